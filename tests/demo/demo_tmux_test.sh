#!/usr/bin/env bash
# End-to-end test of scripts/demo.sh as a person would use it: copies the checkout (tracked and
# untracked-but-not-ignored files, i.e. what a clean clone plus local edits holds) to a temp dir,
# runs demo.sh there inside a detached tmux session, and drives it by typing into the pane:
#   报修 → category 1 → description → (skip KB suggestions) → urgency 1 → 确认 → ticket IT…-0001,
#   /as lisi → the pushed card → /click 1 接单 → 已接单, /as zhangsan → 已由 李四 受理,
#   重置密码 → the console SMS code echoed as [短信] → typing it → the reset link,
#   Ctrl-C → "demo stopped", and the emulator and server processes are gone.
# Assertions are on the screen text (tmux capture-pane). A terminal can only be awaited by
# polling its screen: every wait is a bounded loop with a short interval.
#
# usage: tests/demo/demo_tmux_test.sh [DIR_WITH_WEDESK_BINARY]
#   (ctest passes $<TARGET_FILE_DIR:wedesk>; without it, demo.sh does its own Release build)
# Exit 77 (ctest: skipped) when tmux is missing. DEMO_TEST_SHOW_SCREEN=1 prints the screen at the
# end; on failure it is always printed, with the tails of the server and emulator logs.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${1:-${WEDESK_BUILD_DIR:-}}
if [ -n "$BUILD_DIR" ]; then
    BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
fi
if ! command -v tmux >/dev/null 2>&1; then
    echo "SKIP: tmux is not installed (scripts/install-deps.sh installs it)"
    exit 77
fi
export LANG=C.UTF-8 LC_ALL=C.UTF-8
unset TMUX  # our own tmux server on its own socket, even when run from inside tmux

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wedesk-demo-test.XXXXXX")
REPO=$WORK/repo
SOCK=$WORK/tmux.sock
T() { tmux -u -S "$SOCK" "$@"; }

teardown() {
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "---- screen ----"
        screen || true
        for f in server.log api.log; do
            echo "---- var/demo/$f (tail) ----"
            tail -n 40 "$REPO/var/demo/$f" 2>/dev/null || true
        done
    fi
    T kill-server 2>/dev/null || true
    # Anything demo.sh started and did not stop (only on failure paths).
    for p in "${DEMO_PIDS[@]:-}"; do
        if [ -n "$p" ]; then kill -KILL "$p" 2>/dev/null || true; fi
    done
    rm -rf "$WORK"
    exit "$rc"
}
DEMO_PIDS=()
trap teardown EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# --- a clean copy of the checkout ---
mkdir -p "$REPO"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$SRC" && git ls-files -z --cached --others --exclude-standard) |
        (cd "$SRC" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
        tar -C "$REPO" -xf -
else
    tar -C "$SRC" --exclude='./build*' --exclude='./var' -cf - . | tar -C "$REPO" -xf -
fi
[ -x "$REPO/scripts/demo.sh" ] || fail "scripts/demo.sh missing from the copy"
[ ! -e "$REPO/var" ] || fail "the copy is not clean: var/ exists"

# --- two free ports (checked by connecting; the demo refuses a taken one) ---
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 20000))
        if ! port_busy "$p" && [ "$p" != "${1:-}" ]; then
            echo "$p"
            return
        fi
    done
    fail "no free port"
}
DEMO_PORT=$(free_port)
DEMO_API_PORT=$(free_port "$DEMO_PORT")

# --- start the demo in a detached tmux session ---
printf 'set -g history-limit 50000\n' >"$WORK/tmux.conf"
cmd="cd '$REPO' && env DEMO_PORT=$DEMO_PORT DEMO_API_PORT=$DEMO_API_PORT"
if [ -n "$BUILD_DIR" ]; then
    cmd+=" WEDESK_BUILD_DIR='$BUILD_DIR'"
fi
cmd+=" scripts/demo.sh; echo \"DEMO-EXIT=\$?\"; sleep 3600"
T -f "$WORK/tmux.conf" new-session -d -s demo -x 220 -y 60 "bash -c \"$cmd\""

screen() { T capture-pane -p -J -S - -E - -t demo; }

# wait_for SECONDS EXTENDED_REGEX [MARK]: until the screen (only the part after the last line
# containing the fixed string MARK, when given) matches; prints the matching line.
wait_for() {
    local secs=$1 re=$2 mark=${3:-} deadline text line
    deadline=$((SECONDS + secs))
    while [ "$SECONDS" -le "$deadline" ]; do
        text=$(screen)
        if [ -n "$mark" ]; then
            text=$(printf '%s\n' "$text" | awk -v m="$mark" 'index($0, m) { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }')
        fi
        if line=$(printf '%s\n' "$text" | grep -E -m1 -- "$re"); then
            printf '%s\n' "$line"
            return 0
        fi
        if printf '%s\n' "$text" | grep -q 'DEMO-EXIT='; then
            fail "demo.sh exited while waiting for /$re/"
        fi
        sleep 0.2
    done
    fail "timed out after ${secs}s waiting for /$re/ (after the line with: ${mark:-start})"
}

type_line() {
    T send-keys -t demo -l -- "$1"
    T send-keys -t demo Enter
}

# Without a prebuilt binary demo.sh installs packages and builds: allow for that.
START_TIMEOUT=120
[ -n "$BUILD_DIR" ] || START_TIMEOUT=1800

wait_for "$START_TIMEOUT" '以 zhangsan 的身份' >/dev/null
wait_for 10 '^zhangsan> ' >/dev/null
echo "ok: demo started, chatting as zhangsan"
DEMO_PIDS=("$(cat "$REPO/var/demo/server.pid")" "$(cat "$REPO/var/demo/api.pid")")
# The recorded pids must be the wedesk processes themselves (not a wrapping subshell), or the
# Ctrl-C check below would prove nothing.
for p in "${DEMO_PIDS[@]}"; do
    cmdline=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null || true)
    [[ "$cmdline" == *wedesk*" serve"* || "$cmdline" == *wedesk*" sim api"* ]] ||
        fail "pid $p is not a wedesk server/emulator: '$cmdline'"
done
[ -s "$REPO/var/demo/wedesk.jsonc" ] || fail "no generated config"
grep -q '@TOKEN@\|@AES_KEY@\|@SECRET@' "$REPO/var/demo/wedesk.jsonc" &&
    fail "placeholders left in the generated config"

# --- employee files a ticket ---
type_line "报修"
wait_for 15 '^1\. 电脑/笔记本' '请选择问题类别' >/dev/null
type_line "1"
wait_for 15 '请描述您遇到的问题' 'zhangsan> 1' >/dev/null
type_line "笔记本电脑屏幕一直闪烁，外接显示器也没有画面"
line=$(wait_for 15 '请选择紧急程度|都不是，继续提交工单' '外接显示器也没有画面')
if [[ "$line" == *都不是* ]]; then
    # The knowledge base offered articles first: pick "none of these, go on".
    skip=$(printf '%s\n' "$line" | grep -oE '^[0-9]+')
    echo "ok: KB suggestions offered; choosing $skip (都不是)"
    type_line "$skip"
    wait_for 15 '请选择紧急程度' "zhangsan> $skip" >/dev/null
fi
type_line "1"
wait_for 15 '请确认工单信息' '请选择紧急程度' >/dev/null
wait_for 5 '紧急程度：一般' '请确认工单信息' >/dev/null
type_line "确认"
line=$(wait_for 15 '已为您创建工单 IT[0-9]{8}-0001' 'zhangsan> 确认')
NO=$(printf '%s\n' "$line" | grep -oE 'IT[0-9]{8}-0001')
echo "ok: ticket $NO created"
wait_for 5 "工程师 李四 将尽快处理" 'zhangsan> 确认' >/dev/null

# --- the engineer sees the pushed card and accepts it ---
type_line "/as lisi"
wait_for 10 '现在以 lisi 的身份对话' '/as lisi' >/dev/null
wait_for 30 "\[推送\] 卡片 #1 .*$NO" '/as lisi' >/dev/null
wait_for 5 '\(1\) 接单 +→ /click 1 1' '/as lisi' >/dev/null
echo "ok: lisi got the card for $NO"
type_line "/click 1 接单"
wait_for 15 '已接单' 'lisi> /click 1 接单' >/dev/null
echo "ok: lisi accepted $NO"

# --- the employee was told ---
type_line "/as zhangsan"
wait_for 30 "\[推送\] .*$NO.*已由 李四 受理" 'lisi> /as zhangsan' >/dev/null
echo "ok: zhangsan was told lisi took $NO"

# --- password reset: the console SMS code is echoed as [短信], the reply carries the link ---
type_line "重置密码"
line=$(wait_for 15 '\[短信\] 发往 .* 的验证码：[0-9]{6}' 'zhangsan> 重置密码')
CODE=$(printf '%s\n' "$line" | grep -oE '[0-9]{6}' | tail -n1)
wait_for 10 '请回复短信中的6位验证码' 'zhangsan> 重置密码' >/dev/null
type_line "$CODE"
wait_for 15 "http://127\.0\.0\.1:$DEMO_PORT/reset/[A-Za-z0-9_-]+" "zhangsan> $CODE" >/dev/null
echo "ok: reset code shown as [短信], link issued"

# --- the server agrees ---
WEDESK_BIN=${BUILD_DIR:+$BUILD_DIR/wedesk}
WEDESK_BIN=${WEDESK_BIN:-$REPO/build-release/wedesk}
status=$(cd "$REPO" && "$WEDESK_BIN" admin tickets show "$NO" --json --config var/demo/wedesk.jsonc |
    grep -oE '"status": *"[a-z_]+"' | head -n1)
[[ "$status" == *in_progress* ]] || fail "ticket $NO status is $status, expected in_progress"
echo "ok: admin tickets show $NO says in_progress"

if [ "${DEMO_TEST_SHOW_SCREEN:-0}" = 1 ]; then
    echo "---- screen before Ctrl-C ----"
    screen
fi

# --- Ctrl-C stops everything ---
T send-keys -t demo C-c
wait_for 30 'demo stopped' >/dev/null
wait_for 10 'DEMO-EXIT=' >/dev/null
for p in "${DEMO_PIDS[@]}"; do
    if kill -0 "$p" 2>/dev/null; then
        fail "process $p still runs after Ctrl-C"
    fi
done
port_busy "$DEMO_PORT" && fail "port $DEMO_PORT still listening after Ctrl-C"
port_busy "$DEMO_API_PORT" && fail "port $DEMO_API_PORT still listening after Ctrl-C"
grep -q 'stopped cleanly' "$REPO/var/demo/server.log" || fail "server did not stop cleanly"
echo "ok: Ctrl-C stopped the server and the emulator"
echo "PASS"
