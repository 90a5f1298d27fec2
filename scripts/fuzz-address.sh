#!/usr/bin/env bash
# Builds fuzz/address_fuzzer.cc with Debian's clang++ (libFuzzer, ASan, UBSan;
# any sanitizer report aborts) straight from the address sources (and the
# SHA-256 of server/base they use), and runs it
# for a bounded time over a seed corpus made at run time from the official
# vectors (tests/testdata), the shipped lists (lists/) and, when present, the
# upstream lists (../shared/data). Exit 77 (ctest SKIP) when clang++ is absent.
#
# Environment: FUZZ_SECONDS (default 60), CXX_FUZZ (default clang++),
# SCREENING_SHARED_DATA (default <repo>/../shared/data), FUZZ_ARTIFACT_DIR
# (where a crashing input is written; default the current directory).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cxx=${CXX_FUZZ:-clang++}
seconds=${FUZZ_SECONDS:-60}
data=${SCREENING_SHARED_DATA:-$root/../shared/data}
artifacts=${FUZZ_ARTIFACT_DIR:-$PWD}

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "fuzz-address: SKIP: $cxx not found (apt-get install clang libclang-rt-14-dev)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "fuzz-address: building with $cxx"
# shellcheck disable=SC2046
"$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -I "$root/server" "$root/fuzz/address_fuzzer.cc" "$root"/server/address/*.cc "$root"/server/base/sha256.cc \
  $(pkg-config --libs absl_status absl_statusor absl_strings) -lcrypto \
  -o "$work/address_fuzzer"

# Seeds: every field of the project's vector files (tests/testdata/vectors),
# every address of the shipped lists, and, when present, the upstream lists.
mkdir -p "$work/seeds" "$work/corpus"
n=0
add_seed() { n=$((n + 1)); printf '%s' "$1" > "$work/seeds/seed$n"; }
# (A vector field writes a byte as \xHH; printf %b turns it back into the byte.)
while IFS= read -r s; do [ -n "$s" ] && n=$((n + 1)) && printf '%b' "$s" > "$work/seeds/seed$n"; done < <(
  grep -hv '^#' "$root"/tests/testdata/vectors/*.csv | tr ',' '\n' | sort -u)
while IFS= read -r s; do [ -n "$s" ] && add_seed "$s"; done < <(
  grep -hv '^#' "$root"/lists/*.csv | cut -d, -f1 | sort -u)
if [ -d "$data/ofac" ]; then
  while IFS= read -r s; do [ -n "$s" ] && add_seed "$s"; done < <(cut -d, -f1 "$data"/ofac/sdn-*.csv | sort -u)
  while IFS= read -r s; do [ -n "$s" ] && add_seed "ETH|$s"; done < <(cut -d, -f1 "$data"/ofac/sdn-*.csv | grep '^0x' | head -20)
fi
echo "fuzz-address: $n seeds, running for ${seconds}s"

"$work/address_fuzzer" -max_total_time="$seconds" -max_len=512 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/address-fuzz-" "$work/corpus" "$work/seeds" 2>"$work/log" || {
  status=$?
  tail -60 "$work/log"
  echo "fuzz-address: FAILED (exit $status); crashing input saved under $artifacts/address-fuzz-*"
  exit 1
}
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$work/log" || true
echo "fuzz-address: passed"
