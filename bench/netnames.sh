#!/usr/bin/env bash
# The per-run cost of names on a user network (issue 16 item 2): run --rm on
# a user network with 0 and with 20 other running containers on it, whose
# hosts files every attach and release rewrites. Uses farm-bench (A/B pairs).
#   BENCH_RUNS  runs per case (default 15)
#   BENCH_BASE  a lumper binary without names (e.g. main's), for the third row
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/_output/bin
runs=${BENCH_RUNS:-15}
export LUMPER_CTD_DIR=${BENCH_CTD_DIR:-/tmp/lumper-bench-netnames}
export LUMPER_ADDRESS=$LUMPER_CTD_DIR/containerd.sock
export LUMPER_NAMESPACE=bench
export LUMPER_DATA_ROOT=$LUMPER_CTD_DIR/lumper
export PATH=$bin:$PATH
img=docker.io/library/busybox:latest
work=$(mktemp -d)
cleanup() {
	lumper list -q 2>/dev/null | xargs -r lumper rm -f >/dev/null 2>&1 || true
	lumper network prune -f >/dev/null 2>&1 || true
	"$here/hack/containerd.sh" down >/dev/null 2>&1 || true
	grep -- "$LUMPER_CTD_DIR" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$LUMPER_CTD_DIR" "$work"
}
trap cleanup EXIT
"$here/hack/containerd.sh" up >/dev/null
(cd "$here" && go run ./hack/mkimage -o "$work" >/dev/null)
lumper load -q -i "$work/busybox-docker.tar" >/dev/null
lumper network create --subnet 10.219.1.0/24 bench-empty >/dev/null
lumper network create --subnet 10.219.2.0/24 bench-busy >/dev/null
for i in $(seq 20); do lumper run -d --network bench-busy --name peer$i $img sleep 100000 >/dev/null; done
fb() { farm-bench -n "$runs" --warmup 2 --timeout 600 "$@"; }
echo "## user network, 0 peers (A) vs the default bridge, no names (B)"
fb --vs "$bin/lumper run --rm $img true" -- "$bin/lumper" run --rm --network bench-empty $img true
echo "## user network, 20 running peers (A) vs 0 peers (B)"
fb --vs "$bin/lumper run --rm --network bench-empty $img true" -- "$bin/lumper" run --rm --network bench-busy $img true
if [ -n "${BENCH_BASE:-}" ]; then
	echo "## 20 peers: this lumper (A) vs $BENCH_BASE, without names (B)"
	fb --vs "$BENCH_BASE run --rm --network bench-busy $img true" -- "$bin/lumper" run --rm --network bench-busy $img true
fi
