#!/usr/bin/env bash
# Include-layering check (STYLE.md 3.2): CMake's PRIVATE links keep foreign include paths out of
# a module, but not headers that sit in /usr/include (uv.h, lmdb.h, simdjson.h, and OpenSSL's
# when libssl-dev is installed). This script rejects such includes by module.
# Usage: scripts/check_layering.sh [repo-root]; exits 1 listing every offending line, else
# prints "layering: ok". Scans *.h, *.cc and *.in under the tree, skipping build*/ and dot-dirs.
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root"

violations=0

report() {  # file line rule text
    printf '%s:%s: %s: %s\n' "$1" "$2" "$3" "$4"
    violations=$((violations + 1))
}

# True when include path $1 names library header $2 in any form: "uv.h", "uv/...", ".../uv.h".
is_header() {
    local include="$1" name="$2"
    [[ "$include" == "$name.h" || "$include" == "$name/"* || "$include" == */"$name.h" ]]
}

is_openssl() {
    [[ "$1" == openssl/* || "$1" == */openssl/* ]]
}

# True when include path $1 is one of the listed library headers.
is_any_header() {
    local include="$1" name
    shift
    for name in "$@"; do
        if is_header "$include" "$name"; then return 0; fi
    done
    return 1
}

check_include() {  # file line include text
    local file="$1" line="$2" include="$3" text="$4"

    if is_openssl "$include" && [[ "$file" != providers/crypto.cc ]]; then
        report "$file" "$line" "openssl headers belong to providers/crypto.cc only" "$text"
    fi

    case "$file" in
        ledger/*)
            if is_any_header "$include" uv llhttp simdjson; then
                report "$file" "$line" "ledger/ must not include libuv, llhttp or simdjson" "$text"
            fi
            if [[ "$include" == http/* || "$include" == providers/* ||
                  ("$include" == reactor/* && "$include" != reactor/base/*) ]]; then
                report "$file" "$line" \
                    "ledger/ may use reactor/base/ only, not http/, providers/ or reactor/" "$text"
            fi
            ;;
        reactor/base/*)
            if is_any_header "$include" uv lmdb llhttp simdjson; then
                report "$file" "$line" \
                    "reactor/base/ must not include libuv, lmdb, llhttp or simdjson" "$text"
            fi
            if [[ "$include" == http/* || "$include" == ledger/* || "$include" == providers/* ||
                  ("$include" == reactor/* && "$include" != reactor/base/*) ]]; then
                report "$file" "$line" "reactor/base/ may include only reactor/base/" "$text"
            fi
            ;;
        reactor/*)
            if is_any_header "$include" llhttp simdjson lmdb; then
                report "$file" "$line" "reactor/ must not include llhttp, simdjson or lmdb" "$text"
            fi
            if [[ "$include" == http/* || "$include" == ledger/* || "$include" == providers/* ]]
            then
                report "$file" "$line" "reactor/ must not include http/, ledger/ or providers/" \
                    "$text"
            fi
            ;;
        providers/*)
            if is_any_header "$include" uv llhttp; then
                report "$file" "$line" "providers/ must not include libuv or llhttp" "$text"
            fi
            if [[ "$include" == http/* ]]; then
                report "$file" "$line" "providers/ must not include http/" "$text"
            fi
            ;;
    esac
}

include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"]'

# Top-level build trees hold generated copies and third-party code; dot-dirs hold .git.
while IFS= read -r -d '' path; do
    file="${path#./}"
    # grep -n gives "line:text"; a file without includes makes grep exit 1, which is fine.
    while IFS= read -r numbered; do
        text="${numbered#*:}"
        if [[ "$text" =~ $include_re ]]; then
            check_include "$file" "${numbered%%:*}" "${BASH_REMATCH[1]}" "$text"
        fi
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$path" || true)
done < <(find . \( -path './.*' -o -path './build*' \) -prune -o -type f \
              \( -name '*.h' -o -name '*.cc' -o -name '*.in' \) -print0 | sort -z)

if ((violations > 0)); then
    echo "layering: $violations violation(s)" >&2
    exit 1
fi
echo "layering: ok"
