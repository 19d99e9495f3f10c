#!/usr/bin/env bash
# Stops the throwaway directory servers started by start-slapd.sh / start-samba-ad.sh in DIR,
# by the PID files they wrote (never by process name). Idempotent: a missing PID file or a
# process that already ended is fine. The data in DIR is kept (remove DIR to start fresh).
#
#   scripts/stop-test-dirs.sh DIR
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
DIR=$1

stop_pid_file() {
  local f=$1 pid
  [ -s "$f" ] || return 0
  pid=$(head -n1 "$f" | tr -dc '0-9')
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

stop_pid_file "$DIR/slapd.pid"
stop_pid_file "$DIR/samba/run/samba.pid"
exit 0
