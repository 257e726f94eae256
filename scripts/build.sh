#!/usr/bin/env bash
# Configures and builds one configuration into build/<name>:
#   gcc          g++, Debug, -Werror (the test configuration)
#   release      g++, Release (the demo server and benchmarks)
#   clang-asan   clang, ASan + UBSan, -Werror
#   clang-tsan   clang, TSan
#   openssl      g++, Debug, -Werror, crypto against OpenSSL 3 instead of BoringSSL
#   clang-fuzz   clang, libFuzzer + ASan + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."

name=${1:-gcc}
shift || true
common=(-G Ninja -DCASHIERD_WERROR=ON)
case "$name" in
    gcc) args=(-DCMAKE_BUILD_TYPE=Debug) ;;
    release) args=(-DCMAKE_BUILD_TYPE=Release) ;;
    clang-asan) args=(-DCMAKE_BUILD_TYPE=Debug -DCASHIERD_SANITIZE=address,undefined) ;;
    clang-tsan) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCASHIERD_SANITIZE=thread) ;;
    openssl) args=(-DCMAKE_BUILD_TYPE=Debug -DCASHIERD_CRYPTO=openssl) ;;
    clang-fuzz) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCASHIERD_FUZZ=ON -DCASHIERD_SANITIZE=address,undefined) ;;
    *) echo "unknown configuration: $name" >&2; exit 2 ;;
esac
if [[ $name == clang-* ]]; then
    export CC=clang CXX=clang++
else
    export CC=gcc CXX=g++
fi
cmake -S . -B "build/$name" "${common[@]}" "${args[@]}" >/dev/null
cmake --build "build/$name" "$@"
