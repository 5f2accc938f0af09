#!/usr/bin/env bash
# tui-load.sh BUILD_DIR [SECONDS] [PANES] [TOKENS_PER_S] — the workbench's own
# cost while PANES panes stream TOKENS_PER_S tokens/s each from the loopback
# fake provider: starts versus in a private tmux server, sends one prompt,
# samples the process's CPU time over SECONDS and prints the share of one core
# and the resident memory. Needs tmux. Not a test: the figure depends on the
# machine (see BENCHMARKS.md).
set -euo pipefail
build=$(cd "${1:?usage: tui-load.sh BUILD_DIR [SECONDS] [PANES] [TPS]}" && pwd)
secs=${2:-15}; panes=${3:-4}; tps=${4:-2000}
tmp=$(mktemp -d); sock=$tmp/tmux.sock
cleanup() { tmux -S "$sock" kill-server 2>/dev/null || true; [ -n "${fpid:-}" ] && kill "$fpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
"$build/tests/fake/versus-fakeprov" --port-file "$tmp/port" >/dev/null 2>&1 & fpid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
deltas=$(( tps * (secs + 10) ))
models=""; for _ in $(seq "$panes"); do models="$models -m openai:long.tps$tps.deltas$deltas"; done
mkdir -p "$tmp/home"
tmux -S "$sock" new-session -d -x 200 -y 50 \
  "env HOME=$tmp/home XDG_DATA_HOME=$tmp/home/data XDG_STATE_HOME=$tmp/home/state XDG_CONFIG_HOME=$tmp/home/config \
   OPENAI_BASE_URL=http://127.0.0.1:$port/v1 OPENAI_API_KEY=sk-bench $build/versus $models"
for _ in $(seq 50); do pid=$(pgrep -f "^$build/versus -m openai:long" | head -1 || true); [ -n "$pid" ] && break; sleep 0.1; done
sleep 1; tmux -S "$sock" send-keys "go" Enter; sleep 3
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat"); t0=$(date +%s.%N)
sleep "$secs"
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat"); t1=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status"); hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
python3 - "$u0" "$s0" "$u1" "$s1" "$t0" "$t1" "$(getconf CLK_TCK)" "$rss" "$hwm" "$panes" "$tps" <<'PY'
import sys
u0, s0, u1, s1, t0, t1, tck, rss, hwm = map(float, sys.argv[1:10])
panes, tps = sys.argv[10], sys.argv[11]
cpu = 100.0 * ((u1 + s1) - (u0 + s0)) / tck / (t1 - t0)
print(f"{panes} panes x {tps} tokens/s: versus used {cpu:.2f}% of one core "
      f"(network, decoding and UI together) over {t1 - t0:.1f} s; RSS {rss/1024:.1f} MiB, peak {hwm/1024:.1f} MiB")
PY
tmux -S "$sock" capture-pane -p | head -1
