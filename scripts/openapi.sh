#!/usr/bin/env bash
# docs/openapi.yaml's tooling (node, npm packages pinned in tools/openapi/package-lock.json):
#   scripts/openapi.sh build   lint docs/openapi.yaml, regenerate docs/openapi.json and
#                              docs/api.html (both committed: the C++ build compiles them in)
#   scripts/openapi.sh check   lint, fail if the committed generated files are stale, then start
#                              cashierd ($CASHIERD_BINARY, default build/gcc/http/cashierd) and
#                              check its real answers against the document
# Works offline once tools/openapi/node_modules is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=tools/openapi
redocly=$tools/node_modules/.bin/redocly
# Redocly's own usage reports and update checks: off, and nothing here depends on the network.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
# Hosts the rendered page's code loads images and telemetry from; the build points those URLs
# at empty data: URLs so the page loads nothing from the network (its CSP forbids it anyway).
fetched_hosts='cdn\.redoc\.ly|cdn\.redocly\.com|otel\.cloud\.redocly\.com'

fail() {
    echo "openapi: $*" >&2
    exit 1
}

require_node() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        fail "node and npm are required (scripts/bootstrap.sh installs them)"
    fi
    # @redocly/cli 2.x needs node >= 20.19.
    node -e 'const [a, b] = process.versions.node.split(".").map(Number);
             process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
        fail "node $(node --version) is too old: @redocly/cli needs 20.19 or later"
}

# npm ci when node_modules does not match the committed lockfile.
install_tools() {
    require_node
    local stamp=$tools/node_modules/.cashierd-package-lock.json
    if [[ -x $redocly ]] && cmp -s "$tools/package-lock.json" "$stamp"; then
        return
    fi
    echo "openapi: npm ci in $tools"
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$tools/package-lock.json" "$stamp"
}

# Fails if the page would load anything from another host: a script, stylesheet, image or
# frame by URL, a CSS @import or url(), or one of the hosts its code is known to fetch from.
# Links (<a href>) are fine: they load nothing until clicked.
check_offline_page() {
    local page=$1 found
    found=$(grep -oiE "<(script|link|img|iframe|frame|source|audio|video|embed|object|track|input)[^>]*(src|href|srcset|data)[[:space:]]*=[[:space:]]*[\"']?(https?:)?//[^\"' >]*" "$page" || true)
    found+=$(grep -oiE "(@import|url\()[[:space:]]*[\"']?(https?:)?//[^\"' )]*" "$page" || true)
    found+=$(grep -oE "https?://($fetched_hosts)[^\"'\` )]*" "$page" || true)
    [[ -z $found ]] || fail "$page would load from the network:
$found"
}

# Lints docs/openapi.yaml and writes openapi.json and api.html into $1.
generate() {
    local out=$1
    "$redocly" lint --lint-config error --config "$tools/redocly.yaml" docs/openapi.yaml \
        --format stylish >&2 || fail "docs/openapi.yaml: lint failed"
    "$redocly" bundle --lint-config error --config "$tools/redocly.yaml" docs/openapi.yaml \
        -o "$out/openapi.json" >/dev/null 2>&1 || fail "docs/openapi.yaml: bundle failed"
    "$redocly" build-docs --lint-config error --config "$tools/redocly.yaml" \
        "$out/openapi.json" --inlineBundle --openapi.disableTelemetry=true \
        --title "cashierd API" -o "$out/api.raw.html" >/dev/null 2>&1 ||
        fail "build-docs failed"
    sed -E "s#https?://($fetched_hosts)(/[^\"'\` )]*)?#data:,#g" "$out/api.raw.html" \
        >"$out/api.html"
    rm -f "$out/api.raw.html"
    check_offline_page "$out/api.html"
}

build() {
    install_tools
    local out
    out=$(mktemp -d)
    trap 'rm -rf "$out"' RETURN
    generate "$out"
    cp "$out/openapi.json" docs/openapi.json
    cp "$out/api.html" docs/api.html
    echo "openapi: wrote docs/openapi.json and docs/api.html"
}

check() {
    install_tools
    local work
    work=$(mktemp -d)
    # Global, not local: the EXIT trap runs after this function has returned.
    server_pid=""
    # shellcheck disable=SC2064  # $work expanded now, $server_pid when the trap runs.
    trap "[[ -n \${server_pid:-} ]] && kill -KILL \$server_pid 2>/dev/null; rm -rf '$work'" EXIT
    generate "$work"
    local name stale=0
    for name in openapi.json api.html; do
        if ! cmp -s "$work/$name" "docs/$name"; then
            echo "openapi: docs/$name is stale or edited by hand: run scripts/openapi.sh build" >&2
            stale=1
        fi
    done
    ((stale == 0)) || exit 1
    echo "openapi: lint ok, docs/openapi.json and docs/api.html are up to date"

    local binary=${CASHIERD_BINARY:-build/gcc/http/cashierd}
    [[ -x $binary ]] || fail "$binary not found (build it, or set CASHIERD_BINARY)"
    "$binary" serve --listen 127.0.0.1:0 --data "$work/data" --shards 2 \
        >"$work/stdout.log" 2>"$work/stderr.log" &
    server_pid=$!
    local port="" i
    for ((i = 0; i < 150; ++i)); do
        port=$(grep -m1 -oE '"listen":"127\.0\.0\.1:[0-9]+"' "$work/stderr.log" |
            grep -oE '[0-9]+"$' | tr -d '"' || true)
        [[ -n $port ]] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z $port ]]; then
        cat "$work/stderr.log" >&2
        fail "cashierd did not start"
    fi

    # The server runs the embedded conf/demo.json: its demo world, its manager token,
    # customer 1 (who owns login 2000001, the examples' account), and the sandbox provider's
    # webhook secret (the webhook example is signed with it).
    local manager customer sandbox_secret
    manager=$(node -e 'process.stdout.write(require("./conf/demo.json").manager_tokens[0])')
    sandbox_secret=$(node -e 'process.stdout.write(require("./conf/demo.json").providers
        .find((p) => p.code === "sandbox").webhook_secret)')
    customer=$("$binary" token --customer 1) || fail "cashierd token failed"
    local rc=0
    node "$tools/check_responses.mjs" --spec docs/openapi.json --manager-token "$manager" \
        --customer-token "$customer" --webhook-secret "sandbox=$sandbox_secret" \
        "http://127.0.0.1:$port" || rc=$?

    kill -TERM "$server_pid"
    local server_rc=0
    wait "$server_pid" || server_rc=$?
    server_pid=""
    if ((server_rc != 0)); then
        tail -n 20 "$work/stderr.log" >&2
        fail "cashierd exited $server_rc after SIGTERM"
    fi
    ((rc == 0)) || fail "cashierd's answers do not match docs/openapi.json"
}

case ${1:-} in
    build) build ;;
    check) check ;;
    *)
        echo "usage: scripts/openapi.sh build|check" >&2
        exit 2
        ;;
esac
