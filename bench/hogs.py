#!/usr/bin/env python3
"""Slow and idle connections against a server, for scripts/bench.sh: N idle connections (connected,
silent) and N slow ones (a request header trickled one byte at a time). A connection the server
closes is opened again. Runs until killed (SIGTERM) or --seconds pass. Loopback only."""
import argparse
import selectors
import socket
import time

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--idle", type=int, default=200)
p.add_argument("--slow", type=int, default=200)
p.add_argument("--interval", type=float, default=1.0, help="seconds between trickled bytes")
p.add_argument("--seconds", type=float, default=600)
a = p.parse_args()

HEADER = b"POST /wecom/callback?msg_signature=x&timestamp=1&nonce=1 HTTP/1.1\r\nHost: bench\r\nX-Slow: "
sel = selectors.DefaultSelector()
conns = {}  # socket -> ("idle"|"slow", bytes sent)


def open_one(kind):
    s = socket.create_connection(("127.0.0.1", a.port))
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    conns[s] = [kind, 0]


for _ in range(a.idle):
    open_one("idle")
for _ in range(a.slow):
    open_one("slow")
end = time.monotonic() + a.seconds
reopened = 0
while time.monotonic() < end:
    for key, _ in sel.select(timeout=a.interval):
        s = key.fileobj
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:  # closed by the server: take its place again
            kind = conns.pop(s)[0]
            sel.unregister(s)
            s.close()
            open_one(kind)
            reopened += 1
    for s, state in list(conns.items()):
        if state[0] == "slow":
            byte = HEADER[state[1]:state[1] + 1] or b"a"
            try:
                s.send(byte)
                state[1] += 1
            except OSError:
                pass
print(f"hogs: reopened {reopened} connections")
