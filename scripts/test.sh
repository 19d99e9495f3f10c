#!/usr/bin/env bash
# Installs deps, configures, builds and runs every test (unit, integration, interop) with ctest.
#   scripts/test.sh             normal build in build/
#   scripts/test.sh --sanitize  ASan+UBSan build in build-asan/, then scripts/fuzz.sh 20
#   scripts/test.sh --tsan      TSan build in build-tsan/
# Extra arguments after `--` go to ctest (e.g. `-- -R crypto`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

mode=normal
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) mode=asan ;;
    --tsan) mode=tsan ;;
    --) shift; ctest_args+=("$@"); break ;;
    *) echo "usage: scripts/test.sh [--sanitize|--tsan] [-- ctest args]" >&2; exit 2 ;;
  esac
  shift
done

scripts/install-deps.sh

case "$mode" in
  normal) BUILD=build; FLAGS=() ;;
  # The sanitizer builds leave out the benchmark tools; TSan runs the concurrency suite only
  # (tests/CMakeLists.txt says which).
  asan) BUILD=build-asan; FLAGS=(-DWEDESK_SANITIZE=ON -DWEDESK_BENCH=OFF) ;;
  tsan) BUILD=build-tsan; FLAGS=(-DWEDESK_TSAN=ON -DWEDESK_BENCH=OFF) ;;
esac

# ccache: share hits between clones in different folders (CI builds a fresh clone each time).
export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=true

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${FLAGS[@]}" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"

# Interop tests need the official @wecom/crypto package; it lives in a folder the tests own.
scripts/setup-interop.sh

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$ROOT/tests/tsan.supp"
cd "$BUILD"
ctest --output-on-failure --timeout 600 -j"$(nproc)" "${ctest_args[@]}"

# The sanitizer run also gives every libFuzzer target a short turn (clang build in build-fuzz/).
if [ "$mode" = asan ]; then
  cd "$ROOT"
  scripts/fuzz.sh 20
fi
