#!/usr/bin/env bash
# Installs what is missing, builds the release binary and starts the demo server
# (conf/demo.json: 127.0.0.1:8080, data under ./var). Extra arguments go to `cashierd serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
scripts/build.sh release --target cashierd
exec build/release/http/cashierd serve --config conf/demo.json "$@"
