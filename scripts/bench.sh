#!/usr/bin/env bash
# The wedesk benchmark (bench/, results in BENCHMARKS.md).
#   scripts/bench.sh            full run (~5-10 min): wedesk vs the Node reference peer on the
#                               same pre-built callbacks, p99 at a fixed 1,000 callbacks/s,
#                               throughput with 1 k / 100 k / 1 M tickets in the database;
#                               writes the figures into BENCHMARKS.md
#   scripts/bench.sh --quick    the same, smaller (< 1 min; 1 M-ticket step skipped); prints only
#   scripts/bench.sh --rss-1m   only: 1,000,000 help callbacks at full speed, then peak RSS
#   --write / --no-write        force writing BENCHMARKS.md or not
#   --profile                   also record `perf record -g` of wedesk during the mix run
# Also: the mix at 64 and 256 keep-alive connections, and the mix at a fixed 500/s with 200 slow
# + 200 idle connections held open beside it (bench/hogs.py).
# Environment: CONNECTIONS (8), THREADS (server.threads, 2), REQUESTS (60000), MIX (the main
# run's mix, e.g. "help" or "help=20,my=20,kb=25,create=35", the default).
# Builds Release in build-release/. The load generator runs on the same machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=$ROOT/build-release

mode=full
write=auto
profile=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --rss-1m) mode=rss ;;
    --write) write=yes ;;
    --no-write) write=no ;;
    --profile) profile=1 ;;
    *) echo "usage: scripts/bench.sh [--quick|--rss-1m] [--write|--no-write] [--profile]" >&2; exit 2 ;;
  esac
  shift
done
if [ "$write" = auto ]; then
  if [ "$mode" = quick ]; then write=no; else write=yes; fi
fi

CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
if [ "$mode" = quick ]; then
  REQUESTS=${REQUESTS:-6000}; WARMUP=1000; RATE_REQUESTS=4000; SCALE_REQUESTS=4000
  SIZES="1000 100000"
else
  REQUESTS=${REQUESTS:-60000}; WARMUP=3000; RATE_REQUESTS=30000; SCALE_REQUESTS=30000
  SIZES="1000 100000 1000000"
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log() { printf '\033[1mbench:\033[0m %s\n' "$*" >&2; }

# --- build --------------------------------------------------------------------------------------
log "building Release in build-release/"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEDESK_BUILD_TESTS=OFF \
  -DWEDESK_BENCH=ON >/dev/null
cmake --build "$BUILD" -j2 --target wedesk wedesk_loadgen wedesk_seed >/dev/null
WEDESK=$BUILD/wedesk
LOADGEN=$BUILD/bench/wedesk_loadgen
SEED=$BUILD/bench/wedesk_seed
if [ ! -d bench/peer/node_modules/@wecom/crypto ]; then
  log "installing the reference peer's @wecom/crypto"
  (cd bench/peer && npm ci --omit=dev --no-audit --no-fund >/dev/null)
fi

RUN=$(mktemp -d /tmp/wedesk-bench.XXXXXX)
CACHE=$BUILD/bench-cache
mkdir -p "$CACHE"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$RUN"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
API_PORT=$(free_port)
CORP=wwbench000000000001
TOKEN=benchToken2026
KEY=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG

# write_config FILE DB PORT: a wedesk config (JSON) for one server.
write_config() {
  cat >"$1" <<EOF
{
  "server": {"host": "127.0.0.1", "port": $3, "threads": $THREADS, "public_url": "https://itdesk.example.com"},
  "wecom": {"corp_id": "$CORP", "agent_id": 1000002, "secret": "bench-secret", "token": "$TOKEN",
            "encoding_aes_key": "$KEY", "api_base": "http://127.0.0.1:$API_PORT",
            "max_clock_skew_s": 0},
  "database": {"path": "$2"},
  "log": {"level": "info", "file": "$RUN/wedesk.log"},
  "tickets": {"groups": [{"name": "desktop", "categories": ["pc", "printer", "software", "other"]},
                         {"name": "network", "categories": ["network", "email"]},
                         {"name": "apps", "categories": ["account"]}]}
}
EOF
}

wait_http() {  # wait_http URL [any]: bounded poll until it answers 2xx (any status with "any")
  local f=-f
  [ "${2:-}" = any ] && f=
  for _ in $(seq 1 200); do
    if curl $f -sS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "bench: $1 did not come up" >&2; exit 1
}

# The WeCom API emulator receives the notifications the outbox sends.
write_config "$RUN/api.json" "$RUN/api-unused.db" 1
"$WEDESK" sim api --config "$RUN/api.json" >/dev/null 2>&1 &
PIDS+=($!)

# seeded_db TICKETS DEST: a copy of the cached seed database with the sample knowledge base.
seeded_db() {
  local src=$CACHE/seed-$1.db
  if [ ! -f "$src" ] || [ "$src" -ot "$SEED" ]; then
    log "seeding a database with $1 tickets (cached in $src)"
    rm -f "$src" "$src-wal" "$src-shm"
    "$SEED" --db "$src" --tickets "$1" --users 10000
    write_config "$RUN/seed.json" "$src" 1
    "$WEDESK" admin kb import "$ROOT/tests/data/kb_sample.md" --config "$RUN/seed.json" >/dev/null
  fi
  cp "$src" "$2"
}

WEDESK_PID=
start_wedesk() {  # start_wedesk DB: serve a fresh copy
  local port
  port=$(free_port)
  write_config "$RUN/server.json" "$1" "$port"
  "$WEDESK" serve --config "$RUN/server.json" 2>>"$RUN/wedesk.stderr" &
  WEDESK_PID=$!
  PIDS+=("$WEDESK_PID")
  WEDESK_URL=http://127.0.0.1:$port
  wait_http "$WEDESK_URL/healthz"
}
stop_wedesk() {
  kill "$WEDESK_PID"
  wait "$WEDESK_PID" || true
}

TS=$(date +%s)
# load NAME ARGS...: one loadgen run, its JSON kept as $RUN/NAME.json.
load() {
  local name=$1; shift
  "$LOADGEN" --config "$RUN/server.json" --connections "${CONNECTIONS}" --timestamp "$TS" \
    --label "$name" "$@" >"$RUN/$name.json"
}
j() { jq -r "$2" "$RUN/$1.json"; }

if [ "$mode" = rss ]; then
  seeded_db 1000 "$RUN/rss.db"
  start_wedesk "$RUN/rss.db"
  for batch in 1 2 3 4 5; do
    log "1 M help callbacks: batch $batch of 5 (200,000)"
    load "rss$batch" --url "$WEDESK_URL" --pid "$WEDESK_PID" --requests 200000 --mix help \
      --users 10000 --seed $((1000 + batch))
    jq -c '{callbacks_per_s, p99_ms, server_vmhwm_kb, server_vmrss_kb}' "$RUN/rss$batch.json" >&2
  done
  hwm=$(j rss5 .server_vmhwm_kb); rss=$(j rss5 .server_vmrss_kb)
  total_ok=0
  for b in 1 2 3 4 5; do total_ok=$((total_ok + $(j rss$b .ok))); done
  stop_wedesk
  line="$(date -u +%Y-%m-%d) commit $(git rev-parse --short HEAD 2>/dev/null || echo none): $total_ok help callbacks (all 200) → peak RSS (VmHWM) $((hwm / 1024)) MB, RSS after $((rss / 1024)) MB; last batch $(j rss5 '.callbacks_per_s|floor')/s, p99 $(j rss5 .p99_ms) ms"
  echo "$line"
  if [ "$write" = yes ]; then
    python3 - "$ROOT/BENCHMARKS.md" "$line" <<'EOF'
import re, sys
path, line = sys.argv[1], sys.argv[2]
text = open(path).read()
new = "<!-- rss1m:begin -->\n" + line + "\n<!-- rss1m:end -->"
text = re.sub(r"<!-- rss1m:begin -->.*?<!-- rss1m:end -->", lambda m: new, text, flags=re.S)
open(path, "w").write(text)
EOF
  fi
  exit 0
fi

# --- 1. wedesk and the peer on the same callbacks -----------------------------------------------
seeded_db 1000 "$RUN/main.db"
start_wedesk "$RUN/main.db"
log "wedesk: $REQUESTS mixed callbacks over $CONNECTIONS connections (+$WARMUP warm-up)"
if [ "$profile" = 1 ]; then
  perf record -e cpu-clock -F 999 -g -p "$WEDESK_PID" -o "$BUILD/perf.data" 2>/dev/null &
  PERF_PID=$!
fi
load wedesk --url "$WEDESK_URL" --pid "$WEDESK_PID" --requests "$REQUESTS" --warmup "$WARMUP" \
  --seed 1 --dump 0 ${MIX:+--mix "$MIX"}
if [ "$profile" = 1 ]; then
  kill -INT "$PERF_PID"; wait "$PERF_PID" || true
  # Flat (no call graphs), by library and symbol; `|| true`: head closing the pipe early is
  # not a failure (pipefail would end the script with SIGPIPE).
  { perf report -i "$BUILD/perf.data" --no-children --sort dso,symbol -g none --stdio \
      2>/dev/null | grep -v '^#' | grep -v '^$' | head -60 >"$ROOT/build-release/perf-mix.txt"; } \
    || true
  log "profile: build-release/perf-mix.txt"
fi
tickets_created=$(sqlite3 "$RUN/main.db" "SELECT COUNT(*) FROM tickets" 2>/dev/null || echo "?")
stop_wedesk
# The fixed-rate run gets its own fresh server: not the outbox backlog of the max-rate run.
seeded_db 1000 "$RUN/rate.db"
start_wedesk "$RUN/rate.db"
log "wedesk: fixed rate 1,000 callbacks/s for $RATE_REQUESTS callbacks"
load rate --url "$WEDESK_URL" --pid "$WEDESK_PID" --requests "$RATE_REQUESTS" --rate 1000 \
  --warmup "$WARMUP" --seed 2
stop_wedesk

# The ceiling of HTTP + crypto + one committed inbound-log row: help requests only.
seeded_db 1000 "$RUN/help.db"
start_wedesk "$RUN/help.db"
log "wedesk: $REQUESTS help callbacks (the lightest committed request)"
load help --url "$WEDESK_URL" --pid "$WEDESK_PID" --requests "$REQUESTS" --mix help \
  --warmup "$WARMUP" --seed 4
stop_wedesk

PEER_PORT=$(free_port)
node bench/peer/server.js --token "$TOKEN" --key "$KEY" --corpid "$CORP" --port "$PEER_PORT" \
  --max-skew 0 >/dev/null &
PEER_PID=$!
PIDS+=("$PEER_PID")
wait_http "http://127.0.0.1:$PEER_PORT/" any
log "peer (Node, @wecom/crypto): the same $REQUESTS callbacks"
load peer --url "http://127.0.0.1:$PEER_PORT" --pid "$PEER_PID" --requests "$REQUESTS" \
  --warmup "$WARMUP" --seed 1
kill "$PEER_PID"; wait "$PEER_PID" 2>/dev/null || true

# --- 2. many connections, and slow/idle ones beside the real traffic ------------------------------
for c in 64 256; do
  seeded_db 1000 "$RUN/conn$c.db"
  start_wedesk "$RUN/conn$c.db"
  log "wedesk: $SCALE_REQUESTS mixed callbacks over $c keep-alive connections"
  CONNECTIONS=$c load "conn$c" --url "$WEDESK_URL" --pid "$WEDESK_PID" \
    --requests "$SCALE_REQUESTS" --warmup "$WARMUP" --seed 5
  stop_wedesk
  rm -f "$RUN/conn$c.db"*
done
seeded_db 1000 "$RUN/hogs.db"
start_wedesk "$RUN/hogs.db"
log "wedesk: mix at 500/s with 200 slow + 200 idle connections open"
python3 bench/hogs.py --port "${WEDESK_URL##*:}" --idle 200 --slow 200 --seconds 600 >&2 &
HOGS_PID=$!
PIDS+=("$HOGS_PID")
sleep 2  # let the hogs connect and start trickling (a load condition, not a wait for a result)
load hogs --url "$WEDESK_URL" --pid "$WEDESK_PID" --requests "$RATE_REQUESTS" --rate 500 \
  --warmup "$WARMUP" --seed 6
kill "$HOGS_PID" 2>/dev/null || true
stop_wedesk

# --- 3. throughput against database size -------------------------------------------------------
for n in $SIZES; do
  seeded_db "$n" "$RUN/scale-$n.db"
  start_wedesk "$RUN/scale-$n.db"
  log "wedesk with $n tickets: $SCALE_REQUESTS mixed callbacks"
  load "scale$n" --url "$WEDESK_URL" --pid "$WEDESK_PID" --requests "$SCALE_REQUESTS" \
    --warmup "$WARMUP" --seed 3
  stop_wedesk
  rm -f "$RUN/scale-$n.db"*
done

# --- report ------------------------------------------------------------------------------------
row() {  # row NAME LABEL
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" \
    "$(j "$1" '.callbacks_per_s|floor')" "$(j "$1" '.p50_ms')" "$(j "$1" '.p99_ms')" \
    "$(j "$1" '.p999_ms')" "$(j "$1" '.server_cpu_us_per_callback|floor')" \
    "$(j "$1" '(.loadgen_cpu_s / .requests * 1000000)|floor')" \
    "$(j "$1" '(.server_vmhwm_kb/1024)|floor')" "$(j "$1" '"\(.ok) / \(.non200 + .errors)"')"
}
ratio=$(jq -n --slurpfile w "$RUN/wedesk.json" --slurpfile p "$RUN/peer.json" \
  '($w[0].callbacks_per_s / $p[0].callbacks_per_s * 100 | floor) / 100')
help_ratio=$(jq -n --slurpfile w "$RUN/help.json" --slurpfile p "$RUN/peer.json" \
  '($w[0].callbacks_per_s / $p[0].callbacks_per_s * 100 | floor) / 100')
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
dirty=$(git --no-optional-locks status --porcelain 2>/dev/null | grep -qv '^??' \
  && echo " (+ uncommitted changes)" || true)
report=$RUN/report.md
{
  echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$commit\`$dirty, mode \`$mode\`."
  echo "Machine: $cpu_model, $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB RAM;" \
    "load average before the run: $LOAD_BEFORE. Load generator on the same cores."
  echo "Settings: $CONNECTIONS keep-alive connections, server.threads $THREADS, mix" \
    "\`$(j wedesk .mix)\` (help / my tickets / KB question + open article + solved / full" \
    "5-step create dialog), 10,000 users, log level info to a file."
  echo
  echo "| run | callbacks/s | p50 ms | p99 ms | p99.9 ms | server CPU µs/callback | load generator CPU µs/callback | peak RSS MB | 200 / failed |"
  echo "|---|---|---|---|---|---|---|---|---|"
  row wedesk "wedesk, mix, max rate ($REQUESTS, $(j wedesk .create_dialogs) create dialogs)"
  row peer "Node peer (@wecom/crypto verify + decrypt + encrypted echo), same callbacks"
  row help "wedesk, help only, max rate ($REQUESTS: verify, decrypt, dedupe, commit, encrypted reply)"
  row rate "wedesk, mix, fixed 1,000/s ($RATE_REQUESTS, fresh server)"
  row conn64 "wedesk, mix, max rate, 64 keep-alive connections"
  row conn256 "wedesk, mix, max rate, 256 keep-alive connections"
  row hogs "wedesk, mix, fixed 500/s, 200 slow + 200 idle connections open beside it"
  for n in $SIZES; do row "scale$n" "wedesk, mix, max rate, DB with $n tickets"; done
  echo
  echo "wedesk / peer throughput: **${ratio}×** (target ≥ 1×); help only / peer: **${help_ratio}×** (target ≥ 2×)." \
    "p99 at 64 / 256 connections: **$(j conn64 .p99_ms) / $(j conn256 .p99_ms) ms** (target ≤ 20 ms);" \
    "with 200 slow + 200 idle connections open: **$(j hogs .p99_ms) ms** (target < 100 ms). p99 at 1,000/s:" \
    "**$(j rate .p99_ms) ms** (target < 20 ms; achieved rate $(j rate '.callbacks_per_s|floor')/s)." \
    "Tickets in the main database after the run: $tickets_created."
} >"$report"
cat "$report"
if [ "$write" = yes ]; then
  python3 - "$ROOT/BENCHMARKS.md" "$report" <<'EOF'
import re, sys
path, report = sys.argv[1], open(sys.argv[2]).read().strip()
text = open(path).read()
new = "<!-- bench:begin -->\n" + report + "\n<!-- bench:end -->"
text = re.sub(r"<!-- bench:begin -->.*?<!-- bench:end -->", lambda m: new, text, flags=re.S)
open(path, "w").write(text)
EOF
  log "BENCHMARKS.md updated"
fi
