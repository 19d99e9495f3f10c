#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) in build-fuzz/ and runs each one.
#   scripts/fuzz.sh [SECONDS] [TARGET...]    SECONDS per target (default 60); all targets by default
# Seeds come from fuzz/corpus/<target>/ and are copied into build-fuzz/corpus/<target>/, which
# keeps growing between runs; the repository is never written. Crash, timeout and leak
# reproducers land in build-fuzz/artifacts/. Exits non-zero when any target failed, naming the
# reproducer; replay one with `build-fuzz/fuzz/<target> <file>`. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="$ROOT/build-fuzz"

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(callback_fuzz xml_fuzz config_fuzz command_fuzz)
fi
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWEDESK_FUZZ=ON -DWEDESK_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]}"

mkdir -p "$BUILD/artifacts" "$BUILD/logs"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

failed=()
for t in "${targets[@]}"; do
  name=${t%_fuzz}
  corpus="$BUILD/corpus/$name"
  mkdir -p "$corpus"
  cp -n "$ROOT/fuzz/corpus/$name/"* "$corpus/" 2>/dev/null || true
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$BUILD/artifacts/$t-")
  case "$name" in
    callback | xml) args+=(-dict="$ROOT/fuzz/xml.dict") ;;
  esac
  log="$BUILD/logs/$t.log"
  echo "fuzz: $t for ${seconds}s (corpus $corpus, log $log)"
  if "$BUILD/fuzz/$t" "${args[@]}" "$corpus" >"$log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$log" | tail -2 | sed 's/^/  /'
  else
    failed+=("$t")
    echo "fuzz: $t FAILED; last lines of $log:" >&2
    grep -E "ERROR:|invariant violated|SUMMARY|Test unit written|artifact" "$log" | head -20 \
      | sed 's/^/  /' >&2
    repro=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //')
    if [ -n "$repro" ]; then
      echo "fuzz: reproduce with: $BUILD/fuzz/$t $repro" >&2
    fi
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s without a finding"
