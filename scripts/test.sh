#!/usr/bin/env bash
# The test command: installs what is missing, checks the module layering, builds with g++
# (-Werror) and runs the whole suite with ctest. `scripts/test.sh clang-asan` runs the same
# suite under clang ASan + UBSan; any configuration of scripts/build.sh works.
set -euo pipefail
cd "$(dirname "$0")/.."

name=${1:-gcc}
scripts/bootstrap.sh
scripts/check_layering.sh
scripts/build.sh "$name"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 suppressions=$PWD/tests/tsan.supp}
ctest --test-dir "build/$name" --output-on-failure -j "$(nproc)" --timeout 600
# docs/openapi.yaml: lint, the committed docs/openapi.json and docs/api.html are fresh, and
# this build's real answers match the document.
CASHIERD_BINARY="build/$name/http/cashierd" scripts/openapi.sh check
