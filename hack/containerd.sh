#!/usr/bin/env bash
# Start or stop a private containerd for development, tests and CI.
# It never touches a host containerd: root, state, sockets and config all live
# under $LUMPER_CTD_DIR (default /tmp/lumper-containerd).
#
#   hack/containerd.sh up      start (idempotent) and wait until it answers
#   hack/containerd.sh down    stop cleanly (SIGTERM, then SIGKILL after 10 s)
#   hack/containerd.sh env     print the export line for LUMPER_ADDRESS
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${LUMPER_BIN_DIR:-$here/_output/bin}
# containerd and its shim may come from elsewhere (make test-compat).
ctdbin=${LUMPER_CTD_BIN:-$bin}
dir=${LUMPER_CTD_DIR:-/tmp/lumper-containerd}
sock=$dir/containerd.sock

config() {
	local major
	major=$("$ctdbin/containerd" --version | awk '{print $3}' | sed 's/^v//; s/\..*//')
	if [ "$major" -lt 2 ]; then
		config_v1
		return
	fi
	cat <<TOML
version = 3
root = "$dir/root"
state = "$dir/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.cri.v1.images",
  "io.containerd.cri.v1.runtime",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.blockfile",
  "io.containerd.snapshotter.v1.erofs",
  "io.containerd.differ.v1.erofs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "$sock"

[ttrpc]
  address = "$sock.ttrpc"

[debug]
  address = "$dir/debug.sock"
  level = "info"

# The restart monitor starts the tasks of containers run with --restart
# (containerd.io/restart.* labels). It checks every 10 s by default; lumper's
# reaper leaves a restartable task stopped for it, so check often.
[plugins."io.containerd.monitor.container.v1.restart"]
  interval = "1s"
TOML
}

# config_v1 is the same daemon set-up in the format containerd 1.x reads.
config_v1() {
	cat <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$sock"

[ttrpc]
  address = "$sock.ttrpc"

[debug]
  address = "$dir/debug.sock"
  level = "info"

[plugins."io.containerd.internal.v1.restart"]
  interval = "1s"
TOML
}

pidof_ctd() { [ -f "$dir/containerd.pid" ] && cat "$dir/containerd.pid"; }

alive() { local p; p=$(pidof_ctd) && kill -0 "$p" 2>/dev/null; }

up() {
	if alive; then
		echo "containerd already running (pid $(pidof_ctd)) at $sock"
		return 0
	fi
	for b in containerd containerd-shim-runc-v2; do
		[ -x "$ctdbin/$b" ] || { echo "missing $ctdbin/$b: run 'make containerd' first" >&2; exit 1; }
	done
	command -v runc >/dev/null || { echo "runc not found: run 'make deps' (apt-get install runc)" >&2; exit 1; }
	mkdir -p "$dir"
	config >"$dir/config.toml"
	PATH=$ctdbin:$PATH setsid "$ctdbin/containerd" --config "$dir/config.toml" \
		>"$dir/containerd.log" 2>&1 </dev/null &
	echo $! >"$dir/containerd.pid"
	for _ in $(seq 1 100); do
		if [ -S "$sock" ] && "$bin/ctr" --address "$sock" version >/dev/null 2>&1; then
			echo "containerd $("$ctdbin/containerd" --version | awk '{print $3}') listening on $sock (log: $dir/containerd.log)"
			return 0
		fi
		alive || break
		sleep 0.1
	done
	echo "containerd did not come up; last log lines:" >&2
	tail -20 "$dir/containerd.log" >&2 || true
	exit 1
}

down() {
	local p
	if ! p=$(pidof_ctd) || ! kill -0 "$p" 2>/dev/null; then
		echo "containerd not running"
		rm -f "$dir/containerd.pid"
		return 0
	fi
	kill -TERM "$p"
	for _ in $(seq 1 100); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$p" 2>/dev/null && kill -KILL "$p"
	rm -f "$dir/containerd.pid"
	echo "containerd stopped"
}

case "${1:-}" in
up) up ;;
down) down ;;
env) echo "export LUMPER_ADDRESS=$sock" ;;
*) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
