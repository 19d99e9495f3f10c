#!/usr/bin/env bash
# wedesk in ten minutes, without a WeCom tenant: installs the dependencies, builds a Release
# binary, writes a fresh demo config (random Token, EncodingAESKey and app Secret), imports demo
# users and a sample knowledge base, starts the WeCom API emulator (`wedesk sim api`) and the
# server (`wedesk serve`), then opens a terminal WeCom client (`wedesk sim chat`) as employee
# zhangsan. Ctrl-C (or /quit) stops everything it started.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: scripts/demo.sh [--as USERID] [--no-chat] [--help]

Runs wedesk locally with a simulated WeCom. Everything lives in var/demo/ (recreated each run):
  wedesk.jsonc   the generated config (mode 600; fresh random secrets each run)
  wedesk.db      the database (fresh each run)
  server.log     the server's log   — console SMS codes are written here (and echoed as [短信])
  api.log        the WeCom API emulator's log: every message the app sent
  accounts.txt   the local directory's demo accounts and their initial passwords

Options:
  --as USERID   chat as this user (default zhangsan, an employee)
  --no-chat     start the emulator and server, print how to chat, and wait for Ctrl-C
  --help        this text

Environment:
  WEDESK_BUILD_DIR  use the wedesk binary already built in this directory: skips installing
                    dependencies and building (default: build Release in build-release/)
  DEMO_PORT         server port (default 8080, or the next free one)
  DEMO_API_PORT     WeCom API emulator port (default 8081, or the next free one)
  DEMO_DIR          state directory (default var/demo)

Demo people (config/demo-users.csv):
  zhangsan 张三  employee                      lisi   李四  engineer (desktop, network), on duty
  wangwu   王五  engineer (network, apps), on duty  zhaoliu 赵六 lead   admin 系统管理员 admin
In the chat: type 帮助; 报修 to file a ticket; /as lisi to become the engineer who gets it
(his cards show up as [推送]; /click N 接单 accepts); 重置密码 to try the SMS-code reset.
EOF
}

DEMO_USER=zhangsan
CHAT=1
while [ $# -gt 0 ]; do
    case "$1" in
        --as) [ $# -ge 2 ] || { usage >&2; exit 2; }; DEMO_USER=$2; shift ;;
        --no-chat) CHAT=0 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done

cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEMO_DIR=${DEMO_DIR:-$ROOT/var/demo}

if [ -t 1 ]; then
    say() { printf '\033[1m[demo]\033[0m %s\n' "$*"; }
else
    say() { printf '[demo] %s\n' "$*"; }
fi
die() { printf '[demo] error: %s\n' "$*" >&2; exit 1; }

# --- build (or reuse) ---
if [ -n "${WEDESK_BUILD_DIR:-}" ]; then
    WEDESK=$WEDESK_BUILD_DIR/wedesk
    [ -x "$WEDESK" ] || die "WEDESK_BUILD_DIR=$WEDESK_BUILD_DIR has no wedesk binary"
    say "using $WEDESK"
else
    scripts/install-deps.sh
    say "building Release in build-release/ (the first build takes a few minutes)"
    cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DWEDESK_BUILD_TESTS=OFF >/dev/null
    cmake --build build-release --target wedesk
    WEDESK=$ROOT/build-release/wedesk
fi

# --- ports ---
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {  # pick_port DEFAULT EXPLICIT NAME [TAKEN]: TAKEN is picked already (not yet bound)
    local p=$1
    if [ -n "$2" ]; then
        port_busy "$2" && die "$3=$2 is already in use"
        echo "$2"
        return
    fi
    while port_busy "$p" || [ "$p" = "${4:-}" ]; do
        p=$((p + 1))
        [ "$p" -lt 65535 ] || die "no free port found"
    done
    echo "$p"
}
PORT=$(pick_port 8080 "${DEMO_PORT:-}" DEMO_PORT)
API_PORT=$(pick_port 8081 "${DEMO_API_PORT:-}" DEMO_API_PORT "$PORT")
[ "$API_PORT" != "$PORT" ] || die "DEMO_PORT and DEMO_API_PORT must differ"

# --- fresh state and config ---
random_alnum() {  # random_alnum N: N letters/digits from OpenSSL's CSPRNG
    local s
    s=$(openssl rand -base64 $(($1 * 3)) | tr -dc 'A-Za-z0-9')
    printf '%s' "${s:0:$1}"
}
mkdir -p "$DEMO_DIR"
rm -f "$DEMO_DIR"/wedesk.db "$DEMO_DIR"/wedesk.db-wal "$DEMO_DIR"/wedesk.db-shm \
    "$DEMO_DIR"/*.log "$DEMO_DIR"/*.pid "$DEMO_DIR"/accounts.txt
CFG=$DEMO_DIR/wedesk.jsonc
umask 077
sed -e "s|@PORT@|$PORT|g" -e "s|@API_PORT@|$API_PORT|g" \
    -e "s|@TOKEN@|$(random_alnum 32)|g" -e "s|@AES_KEY@|$(random_alnum 43)|g" \
    -e "s|@SECRET@|$(random_alnum 43)|g" -e "s|@DB_PATH@|$DEMO_DIR/wedesk.db|g" \
    config/demo.jsonc >"$CFG"
umask 022

w() { "$WEDESK" --config "$CFG" "$@"; }
say "seeding var/demo: users, duty roster, knowledge base, local directory accounts"
w admin users import config/demo-users.csv
w admin duty on lisi
w admin duty on wangwu
w admin kb import config/kb-sample.md
{
    echo "# local directory accounts of this demo run (account  initial password)"
    for acc in zhangsan:张三:13800000001 lisi:李四:13800000002; do
        IFS=: read -r account name mobile <<<"$acc"
        pw="Demo-$(random_alnum 10)"
        printf '%s\n' "$pw" | w admin directory add-local "$account" --name "$name" \
            --mobile "$mobile" --password-stdin >/dev/null
        echo "$account  $pw"
    done
} >"$DEMO_DIR/accounts.txt"
chmod 600 "$DEMO_DIR/accounts.txt"

# --- start the emulator and the server; stop them on exit ---
PIDS=()
SERVER_PID=""
cleanup() {
    trap - EXIT INT TERM HUP
    [ ${#PIDS[@]} -gt 0 ] || return 0
    echo
    say "stopping (pids ${PIDS[*]})"
    kill -TERM "${PIDS[@]}" 2>/dev/null || true
    for _ in $(seq 1 100); do  # up to 10 s for a graceful stop, then SIGKILL
        local alive=0 p
        for p in "${PIDS[@]}"; do
            if kill -0 "$p" 2>/dev/null; then alive=1; fi
        done
        [ "$alive" = 1 ] || break
        sleep 0.1
    done
    kill -KILL "${PIDS[@]}" 2>/dev/null || true
    wait "${PIDS[@]}" 2>/dev/null || true
    rm -f "$DEMO_DIR"/*.pid
    say "demo stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 129' HUP

wait_listening() {  # wait_listening PORT PID NAME LOG: up to 20 s
    for _ in $(seq 1 200); do
        port_busy "$1" && return 0
        if ! kill -0 "$2" 2>/dev/null; then
            tail -n 20 "$4" >&2 || true
            die "$3 exited at start-up (log: $4)"
        fi
        sleep 0.1
    done
    die "$3 is not listening on port $1 after 20 s (log: $4)"
}

# Started directly (not through the `w` function, which would fork a subshell): $! must be the
# wedesk process itself so that the trap can signal it.
"$WEDESK" --config "$CFG" sim api >"$DEMO_DIR/api.log" 2>&1 &
PIDS+=($!)
echo "$!" >"$DEMO_DIR/api.pid"
wait_listening "$API_PORT" "$!" "wedesk sim api" "$DEMO_DIR/api.log"

"$WEDESK" --config "$CFG" serve >"$DEMO_DIR/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
echo "$SERVER_PID" >"$DEMO_DIR/server.pid"
wait_listening "$PORT" "$SERVER_PID" "wedesk serve" "$DEMO_DIR/server.log"

# The console SMS provider writes codes to the server log; echo them here as a phone would show.
tail -n 0 -F "$DEMO_DIR/server.log" 2>/dev/null > >(
    sed -un 's/.*DEMO console SMS to \([^ ]*\) (\([a-z_]*\)): code \([0-9]*\).*/[短信] 发往 \1 的验证码：\3（\2）/p'
) &
PIDS+=($!)

say "WeCom API emulator on http://127.0.0.1:$API_PORT, server on http://127.0.0.1:$PORT"
say "logs: $DEMO_DIR/server.log, $DEMO_DIR/api.log; demo accounts: $DEMO_DIR/accounts.txt"
say "try: 帮助 · 报修 · 我的工单 · 重置密码 · /as lisi (engineer) · /help · Ctrl-C stops everything"
if [ "$CHAT" = 1 ]; then
    # The chat's exit (Ctrl-C or /quit) ends the demo; the EXIT trap stops the rest.
    w sim chat --as "$DEMO_USER" || true
else
    say "no chat: in another terminal run"
    say "  $WEDESK --config $CFG sim chat --as $DEMO_USER"
    say "Ctrl-C stops everything"
    wait "$SERVER_PID" || true
fi
