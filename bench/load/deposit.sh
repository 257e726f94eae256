#!/usr/bin/env bash
# Durable POST /cashier/deposit load against the raw group-commit ceiling of our own ledger,
# interleaved in the same run because this machine's flush latency swings by 10x or more
# within minutes: cashierd (durability fsync: a 200 means the deposit's batch was fsync'd)
# under wrk -t1 -cCONNECTIONS keep-alive, for each shard count in SHARDS_LIST, with
# bench/ledger_commit_bench (the same kind of record, K per commit, no HTTP) at K=16 and K=128
# run before the first leg and after every leg. Prints per leg deposits/s, p50/p99, server CPU
# microseconds per deposit (/proc/PID/stat), the mean commit batch and commit time (from
# /metrics), and the ratio deposits/s / raw records/s (the mean of the ceilings measured just
# before and just after the leg); then checks that the server stores at least as many
# transactions as wrk counted 200s. Any non-2xx answer or socket error fails the run.
# WEBHOOKS=1 (default) follows each deposit leg with a webhook leg of WEBHOOK_DURATION seconds
# (default DURATION/2): every transaction still pending is given a success event, signed just
# before the leg (bench/load/webhook.lua sends each once), so each 200 is one durable credit;
# it prints credits/s and p99 beside the leg's deposits/s, and at the end checks that the
# server holds at least as many credited transactions as the webhook legs counted 200s.
#
#   bench/load/deposit.sh         LEGS=3 DURATION=10 CONNECTIONS=64 CUSTOMERS=64 SHARDS_LIST="1 2"
#
# WITHDRAWALS=1 (default) follows with a withdrawal leg of the same length (bench/load/deposit.lua
# with KIND=withdrawal: POST /cashier/withdrawal of 1.00, each a durable hold checked against
# the available balance of an account funded with 10^9 at start): withdrawals/s, p99 and CPU
# beside the deposit leg before it; its 200s count in the stored-rows check.
# OUTBOX=0 runs without delivering the notification outbox (records are still written): the A/B
# of the notifier's cost. PIN=1 (default) runs a 1-shard server on CPU0 and wrk on CPU1; 2 shards are not pinned (on a
# 2-core machine they share both cores with wrk). BUILD_DIR (default build/release) is built
# unless SKIP_BUILD=1; a BUILD_DIR other than build/release must be configured already.
# PERF=1 records `perf record -g` on the server during the first leg of each shard count and
# prints the top symbols; KEEP=1 keeps the scratch dir (perf data, logs, per-leg TSVs). Loopback
# only; every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=bench/load
LEGS=${LEGS:-3}
CEILING_SECONDS=${CEILING_SECONDS:-1}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
CUSTOMERS=${CUSTOMERS:-64}
SHARDS_LIST=${SHARDS_LIST:-"1 2"}
WEBHOOKS=${WEBHOOKS:-1}
WEBHOOK_DURATION=${WEBHOOK_DURATION:-$(((DURATION + 1) / 2))}
WITHDRAWALS=${WITHDRAWALS:-1}
PIN=${PIN:-1}
PERF=${PERF:-0}
PORT=${PORT:-38483}
BUILD_DIR=${BUILD_DIR:-build/release}
SCRATCH=$(mktemp -d /var/tmp/cashierd-deposit.XXXXXX)
CLK_TCK=$(getconf CLK_TCK)
BINARY=$BUILD_DIR/http/cashierd
COMMIT_BENCH=$BUILD_DIR/bench/ledger_commit_bench

if [[ ${SKIP_BUILD:-0} != 1 || ! -x $BINARY || ! -x $COMMIT_BENCH ]]; then
    if [[ $BUILD_DIR == build/release ]]; then
        scripts/build.sh release --target cashierd ledger_commit_bench >/dev/null
    else
        cmake --build "$BUILD_DIR" --target cashierd ledger_commit_bench >/dev/null
    fi
fi

cashierd_pid=""
stop_server() {
    if [[ -n $cashierd_pid ]]; then
        kill -TERM "$cashierd_pid" 2>/dev/null || true
        wait "$cashierd_pid" 2>/dev/null || true
        cashierd_pid=""
    fi
}
cleanup() {
    stop_server
    if [[ ${KEEP:-0} == 1 ]]; then
        echo "kept $SCRATCH" >&2
    else
        rm -rf "$SCRATCH"
    fi
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# CPU ticks (user + system) of a process, all its threads included.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Config: one brand, one USD group, the sandbox provider (card deposits 1 .. 1,000,000 USD) and
# CUSTOMERS customers with one account each (login 3000000 + id): customer id mod shards spreads
# them over the shards.
write_config() { # SHARDS DATA_DIR FILE
    python3 - "$@" "$PORT" "$CUSTOMERS" <<'PY'
import json, os, sys
shards, data, path, port, customers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
config = {
    "listen": f"127.0.0.1:{port}", "shards": int(shards), "data_dir": data, "durability": "fsync",
    "manager_tokens": ["bench-manager-token-0123456789abcdef"],
    "jwt": {"keys": [{"kid": "bench", "alg": "HS256",
                      "secret": "bench-jwt-secret-0123456789abcdef0123456789"}]},
    "log": {"level": "warn", "access": False},
    "limits": {"connections_per_shard_max": 10000},
    # OUTBOX=0 leaves the outbox undelivered (the webhook notifier has no delivery yet): an A/B
    # of what delivering it costs.
    **({} if os.environ.get("OUTBOX", "1") == "1" else
       {"notifier": {"kind": "webhook", "url": "http://127.0.0.1:9/", "secret": "x" * 32}}),
    "brands": [{"id": "bench", "name": "Bench"}],
    "groups": [{"id": "usd", "brand": "bench", "currency": "USD"}],
    "providers": [{"code": "sandbox", "module": "sandbox",
                   "webhook_secret": "bench-sandbox-webhook-secret-0123456789",
                   "methods": [{"method": "card", "method_id": 1, "type": "deposit",
                                "currencies": ["USD"], "min_amount": 1,
                                "max_amount": 1000000},
                               {"method": "card_payout", "method_id": 2, "type": "withdrawal",
                                "currencies": ["USD"], "min_amount": 1,
                                "max_amount": 1000000}]}],
    "customers": [{"id": i, "brand": "bench", "country": "GB"} for i in range(1, customers + 1)],
    # Funded so that withdrawal legs never run out of available balance.
    "accounts": [{"login": 3000000 + i, "customer_id": i, "group": "usd",
                  "balance": "1000000000.00"} for i in range(1, customers + 1)],
}
json.dump(config, open(path, "w"))
PY
}

# Sums of the commit metrics over shards: "<batches> <jobs> <commit seconds> <failures>".
commit_totals() {
    curl -sf "http://127.0.0.1:$PORT/metrics" | python3 -c '
import sys
want = {"cashierd_commit_batch_size_count": 0, "cashierd_commit_batch_size_sum": 0,
        "cashierd_commit_duration_seconds_sum": 0, "cashierd_commit_failures_total": 0}
for line in sys.stdin:
    name = line.split("{", 1)[0]
    if name in want:
        want[name] += float(line.rsplit(" ", 1)[1])
print(*want.values())'
}

# Raw group commit: records/s of ledger_commit_bench at K=16 and K=128, one line per K.
commit_ceiling() { # SHARDS POINT
    CASHIERD_BENCH_DIR=/var/tmp "$COMMIT_BENCH" --benchmark_filter='group_commit_fresh/(16|128)/' \
        --benchmark_min_time="$CEILING_SECONDS" --benchmark_format=json 2>/dev/null | python3 -c '
import json, sys
for b in json.load(sys.stdin)["benchmarks"]:
    k = b["name"].split("/")[1]
    rate, p50, p99 = b["items_per_second"], b["commit_p50_us"], b["commit_p99_us"]
    print(f"{sys.argv[1]}\t{sys.argv[2]}\t{k}\t{rate:.0f}\t{p50:.0f}\t{p99:.0f}")
' "$1" "$2" >>"$SCRATCH/ceiling.tsv"
    awk -F'\t' -v s="$1" -v p="$2" '$1 == s && $2 == p {printf "  raw K=%-3s %8d records/s  commit p50 %6d us  p99 %6d us\n", $3, $4, $5, $6}' \
        "$SCRATCH/ceiling.tsv"
}

MANAGER="bench-manager-token-0123456789abcdef"
SANDBOX_SECRET="bench-sandbox-webhook-secret-0123456789"

# Writes "<signature>\t<body>" for every pending transaction to $1, signed now; prints the count.
sign_pending() { # FILE
    python3 - "$PORT" "$MANAGER" "$SANDBOX_SECRET" "$1" <<'PY'
import hashlib, hmac, http.client, json, sys, time
port, manager, secret, path = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), sys.argv[4]
connection = http.client.HTTPConnection("127.0.0.1", port)
pending, cursor = [], None
while True:
    query = "/admin/transactions?status=pending_payment&limit=200" + (f"&cursor={cursor}" if cursor else "")
    connection.request("GET", query, headers={"Authorization": "Bearer " + manager})
    response = connection.getresponse()
    page = json.loads(response.read())
    if response.status != 200:
        sys.exit(f"GET {query}: {response.status} {page}")
    pending += page["transactions"]
    cursor = page["next_cursor"]
    if cursor is None:
        break
now = str(int(time.time()))
with open(path, "w") as out:
    for t in pending:
        body = json.dumps({"id": f"evt_bench_{t['id']}", "transaction_id": t["id"],
                           "provider_payment_id": t["provider_payment_id"], "status": "succeeded",
                           "amount": t["amount"], "currency": t["currency"]},
                          separators=(",", ":"))
        mac = hmac.new(secret, (now + "." + body).encode(), hashlib.sha256).hexdigest()
        out.write(f"t={now},v1={mac}\t{body}\n")
print(len(pending))
PY
}

credited_total() {
    python3 - "$PORT" "$MANAGER" <<'PY'
import http.client, json, sys
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
total, cursor = 0, None
while True:
    query = "/admin/transactions?status=credited&limit=200" + (f"&cursor={cursor}" if cursor else "")
    connection.request("GET", query, headers={"Authorization": "Bearer " + sys.argv[2]})
    page = json.loads(connection.getresponse().read())
    total += len(page["transactions"])
    cursor = page["next_cursor"]
    if cursor is None:
        break
print(total)
PY
}

webhooks_acknowledged=0
webhook_leg() { # SHARDS LEG
    local file="$SCRATCH/webhooks-$1-$2.txt" count out rps p50 p99 max sock bad responses exhausted
    local before after cpu
    count=$(sign_pending "$file")
    before=$(cpu_ticks "$cashierd_pid")
    out=$(WEBHOOK_REQUESTS=$file $wrk_pin wrk -t1 -c"$CONNECTIONS" -d"${WEBHOOK_DURATION}s" \
        --latency -s "$HERE/webhook.lua" "http://127.0.0.1:$PORT/cashier/webhook/sandbox")
    after=$(cpu_ticks "$cashierd_pid")
    read -r _ rps p50 p99 max sock bad responses exhausted <<<"$(grep '^RESULT' <<<"$out")"
    cpu=$(python3 -c "print(f'{($after - $before) / $CLK_TCK * 1e6 / max(1, $responses):.1f}')")
    [[ $bad == 0 && $sock == 0 ]] || fail "shards=$1 webhook leg $2: $bad non-2xx, $sock socket errors"
    ((exhausted == 0)) || fail "shards=$1 webhook leg $2: $count pending transactions ran out (raise DURATION or lower WEBHOOK_DURATION)"
    webhooks_acknowledged=$((webhooks_acknowledged + responses))
    printf '%s\t%s\t%.0f\t%s\t%s\t%s\t%s\n' "$1" "$2" "$rps" "$p50" "$p99" "$count" "$cpu" \
        >>"$SCRATCH/webhooks.tsv"
    printf '  leg %s %8.0f credits/s   p50 %6d us  p99 %6d us  server CPU %6.1f us/credit  (%d pending signed)\n' \
        "$2" "$rps" "$p50" "$p99" "$cpu" "$count"
}

withdrawal_leg() { # SHARDS LEG
    local out rps p50 p99 max sock bad responses before after cpu
    before=$(cpu_ticks "$cashierd_pid")
    out=$(KIND=withdrawal RUN_NONCE="wd-$1-$2-$(date +%s%N)" $wrk_pin wrk -t1 -c"$CONNECTIONS" \
        -d"${DURATION}s" --latency -s "$HERE/deposit.lua" "http://127.0.0.1:$PORT/cashier/withdrawal")
    after=$(cpu_ticks "$cashierd_pid")
    read -r _ rps p50 p99 max sock bad responses <<<"$(grep '^RESULT' <<<"$out")"
    [[ $bad == 0 && $sock == 0 ]] || fail "shards=$1 withdrawal leg $2: $bad non-2xx, $sock socket errors"
    acknowledged=$((acknowledged + responses))
    cpu=$(python3 -c "print(f'{($after - $before) / $CLK_TCK * 1e6 / max(1, $responses):.1f}')")
    printf '%s\t%s\t%.0f\t%s\t%s\t%s\n' "$1" "$2" "$rps" "$p50" "$p99" "$cpu" >>"$SCRATCH/withdrawals.tsv"
    printf '  leg %s %8.0f withdrawals/s  p50 %6d us  p99 %6d us  server CPU %6.1f us/withdrawal\n' \
        "$2" "$rps" "$p50" "$p99" "$cpu"
}

wrk_pin=""
echo "POST /cashier/deposit durable, wrk -t1 -c$CONNECTIONS, $LEGS x ${DURATION}s legs per shard count" \
    "($SHARDS_LIST), $CUSTOMERS customers, pinned(1 shard)=$PIN"
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "data on $(findmnt -no SOURCE,FSTYPE --target /var/tmp)"

for shards in $SHARDS_LIST; do
    data="$SCRATCH/data-$shards"
    config="$SCRATCH/cashierd-$shards.json"
    write_config "$shards" "$data" "$config"
    server_pin=""
    wrk_pin=""
    if [[ $PIN == 1 && $shards == 1 ]]; then
        server_pin="taskset -c 0"
        wrk_pin="taskset -c 1"
    fi
    $server_pin "$BINARY" serve --config "$config" >"$SCRATCH/cashierd-$shards.out" \
        2>"$SCRATCH/cashierd-$shards.err" &
    cashierd_pid=$!
    for _ in $(seq 200); do
        curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
        sleep 0.05
    done
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || fail "cashierd did not start: $(cat "$SCRATCH/cashierd-$shards.err")"
    tokens="$SCRATCH/tokens-$shards.txt"
    : >"$tokens"
    for id in $(seq "$CUSTOMERS"); do
        echo "$((3000000 + id)) $("$BINARY" token --config "$config" --customer "$id")" >>"$tokens"
    done
    export DEPOSIT_TOKENS=$tokens
    acknowledged=0
    echo "shards=$shards"
    commit_ceiling "$shards" 0
    # Warm-up (its 200s are stored too: counted for the row check).
    out=$(RUN_NONCE="warm-$shards-$RANDOM" $wrk_pin wrk -t1 -c16 -d2s -s "$HERE/deposit.lua" \
        "http://127.0.0.1:$PORT/cashier/deposit")
    read -r _ _ _ _ _ sock bad responses <<<"$(grep '^RESULT' <<<"$out")"
    [[ $sock == 0 && $bad == 0 ]] || fail "warm-up: $sock socket errors, $bad non-2xx"
    acknowledged=$((acknowledged + responses))
    for leg in $(seq "$LEGS"); do
        read -r b0 j0 s0 f0 <<<"$(commit_totals)"
        perf_pid=""
        if [[ $PERF == 1 && $leg == 1 ]]; then
            perf record -g -o "$SCRATCH/perf-$shards.data" -p "$cashierd_pid" \
                >/dev/null 2>&1 &
            perf_pid=$!
        fi
        before=$(cpu_ticks "$cashierd_pid")
        out=$(RUN_NONCE="leg-$shards-$leg-$(date +%s%N)" $wrk_pin wrk -t1 -c"$CONNECTIONS" \
            -d"${DURATION}s" --latency -s "$HERE/deposit.lua" "http://127.0.0.1:$PORT/cashier/deposit")
        after=$(cpu_ticks "$cashierd_pid")
        if [[ -n $perf_pid ]]; then
            kill -INT "$perf_pid"
            wait "$perf_pid" 2>/dev/null || true
        fi
        read -r b1 j1 s1 f1 <<<"$(commit_totals)"
        read -r _ rps p50 p99 max sock bad responses <<<"$(grep '^RESULT' <<<"$out")"
        [[ $bad == 0 ]] || fail "shards=$shards leg $leg: $bad non-2xx responses (see $SCRATCH)"
        [[ $sock == 0 ]] || fail "shards=$shards leg $leg: $sock socket errors"
        acknowledged=$((acknowledged + responses))
        python3 - "$shards" "$leg" "$rps" "$p50" "$p99" "$max" "$before" "$after" "$CLK_TCK" \
            "$DURATION" "$b0" "$j0" "$s0" "$f0" "$b1" "$j1" "$s1" "$f1" >>"$SCRATCH/legs.tsv" <<'PY'
import sys
a = sys.argv[1:]
shards, leg, rps, p50, p99, mx = a[0], a[1], float(a[2]), int(a[3]), int(a[4]), int(a[5])
before, after, tck, duration = int(a[6]), int(a[7]), int(a[8]), float(a[9])
b0, j0, s0, f0, b1, j1, s1, f1 = map(float, a[10:18])
cpu_us = (after - before) / tck * 1e6 / max(1.0, rps * duration)
batches = max(1.0, b1 - b0)
print(f"{shards}\t{leg}\t{rps:.0f}\t{p50}\t{p99}\t{mx}\t{cpu_us:.1f}\t{(j1 - j0) / batches:.1f}"
      f"\t{(s1 - s0) / batches * 1e6:.0f}\t{(b1 - b0) / duration:.0f}\t{int(f1 - f0)}")
PY
        tail -1 "$SCRATCH/legs.tsv" | awk -F'\t' '{printf "  leg %s %8d deposits/s  p50 %6d us  p99 %6d us  max %6d us  server CPU %6.1f us/deposit  batch %5.1f  commit %5d us  %5d commits/s  failures %s\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11}'
        if [[ $WEBHOOKS == 1 ]]; then
            webhook_leg "$shards" "$leg"
        fi
        if [[ $WITHDRAWALS == 1 ]]; then
            withdrawal_leg "$shards" "$leg"
        fi
        commit_ceiling "$shards" "$leg"
        if [[ -n $perf_pid ]]; then
            perf report -i "$SCRATCH/perf-$shards.data" --no-children --percent-limit 1.5 \
                --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -25 \
                >"$SCRATCH/perf-$shards.txt" || true
            echo "  perf (leg 1, self time >= 1.5 %):"
            sed 's/^/    /' "$SCRATCH/perf-$shards.txt"
        fi
    done
    # Acknowledged means durable: the server must hold at least every 200 (more when requests
    # were in flight as wrk stopped). Counted through the Cashier API, page by page.
    stored=$(python3 - "$PORT" "$tokens" <<'PY'
import http.client, json, sys
port, tokens = int(sys.argv[1]), sys.argv[2]
connection = http.client.HTTPConnection("127.0.0.1", port)
total = 0
for line in open(tokens):
    login, token = line.split()
    cursor = None
    while True:
        path = f"/cashier/transactions?login={login}&limit=200" + (f"&cursor={cursor}" if cursor else "")
        connection.request("GET", path, headers={"Authorization": "Bearer " + token})
        response = connection.getresponse()
        page = json.loads(response.read())
        if response.status != 200:
            sys.exit(f"GET {path}: {response.status} {page}")
        total += len(page["transactions"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
print(total)
PY
    )
    echo "  stored transactions: $stored, 200s counted by wrk: $acknowledged"
    ((stored >= acknowledged)) || fail "shards=$shards: the server stores $stored transactions, wrk saw $acknowledged 200s"
    printf '%s\t%s\t%s\n' "$shards" "$stored" "$acknowledged" >>"$SCRATCH/rows.tsv"
    if [[ $WEBHOOKS == 1 ]]; then
        credited=$(credited_total)
        echo "  credited transactions: $credited, webhook 200s counted by wrk: $webhooks_acknowledged"
        ((credited >= webhooks_acknowledged)) || fail "shards=$shards: $credited credited, wrk saw $webhooks_acknowledged webhook 200s"
        webhooks_acknowledged=0
    fi
    stop_server
    rm -rf "$data"
done

touch "$SCRATCH/webhooks.tsv" "$SCRATCH/withdrawals.tsv"
python3 - "$SCRATCH/legs.tsv" "$SCRATCH/ceiling.tsv" "$SCRATCH/rows.tsv" "$CONNECTIONS" \
    "$SCRATCH/webhooks.tsv" "$SCRATCH/withdrawals.tsv" <<'PY'
import statistics, sys
med = statistics.median
legs = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
ceiling = {}  # (shards, point, K) -> records/s
for shards, point, k, rate, _p50, _p99 in (l.rstrip("\n").split("\t") for l in open(sys.argv[2])):
    ceiling[(shards, int(point), int(k))] = float(rate)
rows = {s: (int(st), int(ack)) for s, st, ack in (l.rstrip("\n").split("\t") for l in open(sys.argv[3]))}
def around(shards, leg, k):  # The ceilings measured just before and just after the leg.
    return (ceiling[(shards, leg - 1, k)] + ceiling[(shards, leg, k)]) / 2
print()
print("| shards | deposits/s (median) | p50 µs | p99 µs | server CPU µs/deposit | mean batch "
      "| mean commit µs | raw K=16 rec/s | raw K=128 rec/s | ÷ raw K=16 | ÷ raw K=128 | stored ≥ 200s |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for shards in dict.fromkeys(l[0] for l in legs):
    mine = [l for l in legs if l[0] == shards]
    col = lambda i: [float(l[i]) for l in mine]
    raw16 = [around(shards, int(l[1]), 16) for l in mine]
    raw128 = [around(shards, int(l[1]), 128) for l in mine]
    r16 = med([float(l[2]) / r for l, r in zip(mine, raw16)])
    r128 = med([float(l[2]) / r for l, r in zip(mine, raw128)])
    stored, ack = rows[shards]
    print(f"| {shards} | {med(col(2)):,.0f} | {med(col(3)):,.0f} | {med(col(4)):,.0f} | {med(col(6)):.1f} "
          f"| {med(col(7)):.1f} | {med(col(8)):,.0f} | {med(raw16):,.0f} | {med(raw128):,.0f} "
          f"| {r16:.2f} | {r128:.2f} | {stored:,} ≥ {ack:,} |")
print()
print("ratios: median over legs of deposits/s ÷ the mean of the raw ceilings measured just before")
print(f"and after that leg. Targets (c{sys.argv[4]}): deposits/s ≥ 0.50 × raw group commit, p99 < 5,000 µs")
# A leg kind run beside the deposit legs (webhook credits, withdrawals), per shard count, against
# the deposit leg of the same number: columns shards, leg, per-second, p50, p99, ..., and the
# server CPU per request at `cpu_col`.
def beside_deposits(path, noun, cpu_col, reading):
    rows = [l.rstrip("\n").split("\t") for l in open(path)]
    if not rows:
        return
    print()
    print(f"| shards | {noun}s/s (median) | p50 µs | p99 µs | server CPU µs/{noun} | deposits/s (same legs) "
          f"| CPU µs/deposit (same legs) | {noun}s ÷ deposits |")
    print("|---|---|---|---|---|---|---|---|")
    for shards in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == shards]
        deposits = {l[1]: float(l[2]) for l in legs if l[0] == shards}
        ratio = med([float(r[2]) / deposits[r[1]] for r in mine])
        cpu_deposit = med([float(l[6]) for l in legs if l[0] == shards])
        print(f"| {shards} | {med([float(r[2]) for r in mine]):,.0f} | {med([float(r[3]) for r in mine]):,.0f} "
              f"| {med([float(r[4]) for r in mine]):,.0f} | {med([float(r[cpu_col]) for r in mine]):.1f} "
              f"| {med(deposits.values()):,.0f} | {cpu_deposit:.1f} | {ratio:.2f} |")
    print()
    print(reading)
beside_deposits(sys.argv[5], "credit", 6,
                "credits ÷ deposits: median over legs of the webhook leg's credits/s ÷ the deposit leg just before it.\n"
                "Target: credits/s ≥ deposits/s (ratio ≥ 1.00).")
beside_deposits(sys.argv[6], "withdrawal", 5,
                "withdrawals ÷ deposits: median over legs of the withdrawal leg's withdrawals/s ÷ the deposit leg of that leg.")
PY
