#!/usr/bin/env bash
# Installs what cashierd needs to build, test and benchmark, from Debian 12's packages.
# Idempotent: installs only what is missing (apt-get needs root; CI and the dev machines are).
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config git
    libuv1-dev libsimdjson-dev liblmdb-dev lmdb-utils node-llhttp
    android-libboringssl-dev libssl-dev
    libgtest-dev libbenchmark-dev
    clang libclang-rt-14-dev clang-format
    wrk nginx-light python3 nodejs
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
# npm (scripts/openapi.sh): Debian's package, unless a nodejs package that bundles npm is there.
command -v npm >/dev/null || missing+=(npm)

if ((${#missing[@]})); then
    echo "bootstrap: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # nginx-light's package starts a system nginx on port 80; the benchmarks run their own.
    if [[ " ${missing[*]} " == *" nginx-light "* ]]; then
        (systemctl stop nginx 2>/dev/null || service nginx stop 2>/dev/null || true) >/dev/null
    fi
fi
echo "bootstrap: ok"
