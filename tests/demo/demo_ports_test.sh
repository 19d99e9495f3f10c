#!/usr/bin/env bash
# demo.sh picks two different free ports even when the defaults and the ones after them are
# busy (it used to pick the same port for the server and the API emulator and die).
# Uses demo.sh's own port_busy/pick_port, on ports of its own (not 8080/8081).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "FAIL: $*" >&2; exit 1; }
eval "$(sed -n '/^port_busy()/,/^}/p' "$ROOT/scripts/demo.sh")"  # port_busy and pick_port
declare -F pick_port >/dev/null || die "pick_port not found in demo.sh"

# Two consecutive ports, both listened on by a helper that holds them until it is killed; it
# reports the first through a FIFO once both are bound.
WORK=$(mktemp -d)
mkfifo "$WORK/ready"
python3 - "$WORK/ready" <<'PY' &
import socket, sys, time
for base in range(20000, 60000, 7):
    socks = []
    try:
        for p in (base, base + 1):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            s.listen(8)
            socks.append(s)
    except OSError:
        for s in socks:
            s.close()
        continue
    with open(sys.argv[1], "w") as f:
        f.write(f"{base}\n")
    time.sleep(600)
    break
PY
HELPER=$!
trap 'kill $HELPER 2>/dev/null; rm -rf "$WORK"' EXIT
read -r -t 20 BASE <"$WORK/ready" || die "the listener helper did not report its ports"
[ -n "$BASE" ] || die "no two free consecutive ports"
port_busy "$BASE" || die "helper not listening on $BASE"
port_busy "$((BASE + 1))" || die "helper not listening on $((BASE + 1))"

PORT=$(pick_port "$BASE" "" DEMO_PORT)
API_PORT=$(pick_port "$((BASE + 1))" "" DEMO_API_PORT "$PORT")
echo "busy: $BASE $((BASE + 1)); picked server $PORT, emulator $API_PORT"
[ "$PORT" != "$API_PORT" ] || die "server and emulator got the same port $PORT"
for p in "$PORT" "$API_PORT"; do
    [ "$p" != "$BASE" ] && [ "$p" != "$((BASE + 1))" ] || die "picked busy port $p"
done
echo "ok"
