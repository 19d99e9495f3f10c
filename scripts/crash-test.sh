#!/usr/bin/env bash
# Crash-safety test, N rounds in a row (default 10): each round streams create-ticket dialogs at
# the real binary, kill -9s it at random moments, restarts it, resends like WeCom, and checks the
# SQLite file (tests/integration/crash_test.cpp). `scripts/test.sh` runs the same test with 3.
#   scripts/crash-test.sh [ROUNDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-10}
BUILD=${BUILD:-build}
cmake -S . -B "$BUILD" -G Ninja >/dev/null
cmake --build "$BUILD" -j2 --target wedesk integration
WEDESK_CRASH_ROUNDS=$ROUNDS WEDESK_CRASH_SEED=${2:-20261127} \
  "$BUILD/tests/integration" "[crash]"
