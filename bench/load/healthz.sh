#!/usr/bin/env bash
# GET /healthz keep-alive load: cashierd against nginx answering a fixed body of the same size,
# interleaved in the same run (A, B, A, B, ...) because this machine's speed drifts 20-40 %
# within an hour. Prints req/s, p50/p99 and server CPU microseconds per request (from
# /proc/PID/stat before and after) for each leg and the median ratios.
#
#   bench/load/healthz.sh                 PAIRS=5 DURATION=10 CONNECTIONS=64 SHARDS=1 PIN=1
#
# PIN=1 runs the server on CPU0 and wrk on CPU1 (both servers get one core; wrk gets the other),
# the cleanest per-core comparison on a 2-core machine. Loopback only; every process started
# here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=bench/load
PAIRS=${PAIRS:-5}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
SHARDS=${SHARDS:-1}
PIN=${PIN:-1}
NGINX_PORT=${NGINX_PORT:-38481}
CASHIERD_PORT=${CASHIERD_PORT:-38482}
SCRATCH=$(mktemp -d /var/tmp/cashierd-bench.XXXXXX)
CLK_TCK=$(getconf CLK_TCK)
BINARY=build/release/http/cashierd

[[ -x $BINARY && ${SKIP_BUILD:-0} == 1 ]] || scripts/build.sh release >/dev/null

nginx_pid=""
cashierd_pid=""
cleanup() {
    [[ -n $nginx_pid ]] && kill -QUIT "$nginx_pid" 2>/dev/null || true
    [[ -n $cashierd_pid ]] && kill -TERM "$cashierd_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

server_pin=""
wrk_pin=""
affinity=""
if [[ $PIN == 1 ]]; then
    server_pin="taskset -c 0"
    wrk_pin="taskset -c 1"
    affinity="worker_cpu_affinity 01;"
fi

# nginx
mkdir -p "$SCRATCH/nginx"
sed -e "s|@PORT@|$NGINX_PORT|; s|@PREFIX@|$SCRATCH/nginx|g; s|@AFFINITY@|$affinity|" \
    "$HERE/nginx.conf.in" >"$SCRATCH/nginx/nginx.conf"
nginx -p "$SCRATCH/nginx" -c "$SCRATCH/nginx/nginx.conf"
sleep 0.3
nginx_pid=$(cat "$SCRATCH/nginx/nginx.pid")

# cashierd
cat >"$SCRATCH/cashierd.json" <<JSON
{"listen":"127.0.0.1:$CASHIERD_PORT","shards":$SHARDS,"data_dir":"$SCRATCH/data",
 "log":{"level":"warn","access":false},"limits":{"connections_per_shard_max":10000}}
JSON
$server_pin "$BINARY" serve --config "$SCRATCH/cashierd.json" >"$SCRATCH/cashierd.out" 2>"$SCRATCH/cashierd.err" &
cashierd_pid=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$CASHIERD_PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.05
done
curl -sf "http://127.0.0.1:$NGINX_PORT/healthz" >/dev/null
curl -sf "http://127.0.0.1:$CASHIERD_PORT/healthz" >/dev/null

# CPU ticks (user + system) of a process and its threads and children processes.
cpu_ticks() {
    local total=0 pid
    for pid in "$@"; do
        [[ -r /proc/$pid/stat ]] || continue
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$total"
}
nginx_pids() { echo "$nginx_pid $(pgrep -P "$nginx_pid" | tr '\n' ' ')"; }

run_leg() { # NAME PORT PIDS...
    local name=$1 port=$2
    shift 2
    local before after out
    before=$(cpu_ticks "$@")
    out=$($wrk_pin wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$HERE/report.lua" \
        "http://127.0.0.1:$port/healthz")
    after=$(cpu_ticks "$@")
    read -r _ rps p50 p99 max errors bad <<<"$(grep '^RESULT' <<<"$out")"
    local cpu_us
    cpu_us=$(python3 -c "print(f'{($after-$before)/$CLK_TCK*1e6/max(1.0,$rps*$DURATION):.2f}')")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rps" "$p50" "$p99" "$cpu_us" "$errors" "$bad" \
        >>"$SCRATCH/results.tsv"
    printf '  %-9s %10.0f req/s  p50 %6d us  p99 %6d us  server CPU %6.2f us/req  errors %s/%s\n' \
        "$name" "$rps" "$p50" "$p99" "$cpu_us" "$errors" "$bad"
}

echo "GET /healthz, wrk -t1 -c$CONNECTIONS, ${DURATION}s legs, $PAIRS pairs, cashierd shards=$SHARDS, pinned=$PIN"
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
# Warm-up, not measured.
$wrk_pin wrk -t1 -c16 -d2s "http://127.0.0.1:$NGINX_PORT/healthz" >/dev/null
$wrk_pin wrk -t1 -c16 -d2s "http://127.0.0.1:$CASHIERD_PORT/healthz" >/dev/null
for pair in $(seq "$PAIRS"); do
    echo "pair $pair"
    # shellcheck disable=SC2046
    run_leg nginx "$NGINX_PORT" $(nginx_pids)
    run_leg cashierd "$CASHIERD_PORT" "$cashierd_pid"
done

python3 - "$SCRATCH/results.tsv" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
legs = {"nginx": [], "cashierd": []}
for name, rps, p50, p99, cpu, errors, bad in rows:
    legs[name].append((float(rps), int(p50), int(p99), float(cpu), int(errors), int(bad)))
pairs = list(zip(legs["nginx"], legs["cashierd"]))
med = statistics.median
def col(name, i): return [r[i] for r in legs[name]]
print()
print("| server | req/s (median) | p50 µs | p99 µs | server CPU µs/req | errors |")
print("|---|---|---|---|---|---|")
for name in ("nginx", "cashierd"):
    print(f"| {name} | {med(col(name,0)):,.0f} | {med(col(name,1)):.0f} | {med(col(name,2)):.0f} "
          f"| {med(col(name,3)):.2f} | {sum(col(name,4)) + sum(col(name,5))} |")
rps_ratio = med([c[0] / n[0] for n, c in pairs])
p99_ratio = med([c[2] / n[2] for n, c in pairs])
cpu_ratio = med([c[3] / n[3] for n, c in pairs])
print()
print(f"paired medians: cashierd/nginx req/s = {rps_ratio:.2f}x, p99 = {p99_ratio:.2f}x, "
      f"CPU per request = {cpu_ratio:.2f}x")
PY
