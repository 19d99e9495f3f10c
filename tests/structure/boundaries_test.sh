#!/usr/bin/env bash
# Module boundaries that the compiler cannot see (docs/architecture.md, "Who owns what"):
#   1. only the store talks to the SQL engine: no SQLiteCpp or sqlite3.h outside src/store/
#      (modules use include/wedesk/store/sql.hpp), so a second backend touches the store alone;
#   2. the simulator (API emulator, inbound-XML builder, SimClient) is not in a production
#      module: nothing under src/ outside src/sim/ and src/app/cmd_sim.cpp includes it.
# Exits non-zero naming each violation.
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0

engine=$(grep -rlE '#include <(SQLiteCpp/|sqlite3\.h)' src include |
  grep -vE '^src/store/' || true)
if [ -n "$engine" ]; then
  echo "the SQL engine is included outside src/store/:"
  echo "$engine" | sed 's/^/  /'
  status=1
fi

sim=$(grep -rlE '#include "wedesk/sim/' src include |
  grep -vE '^(src/sim/|include/wedesk/sim/|src/app/cmd_sim\.cpp$)' || true)
if [ -n "$sim" ]; then
  echo "the simulator is used by a production module:"
  echo "$sim" | sed 's/^/  /'
  status=1
fi

if [ "$status" -eq 0 ]; then
  echo "module boundaries hold"
fi
exit "$status"
