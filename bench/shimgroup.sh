#!/usr/bin/env bash
# Shim groups (issue 17 item 1): memory per running detached container with
# groups on (lumper's default) and off (--shim isolated), against ctr (one
# shim each, and one group via --annotation), for 1, 10 and 50 containers;
# run --rm and run -d latency on and off; how one group's shim grows with its
# members (the bound per group, ShimGroupSize). Prints Markdown tables.
#   BENCH_RUNS    runs per latency case (default 15; 1 for a smoke run)
#   BENCH_COUNTS  container counts of the memory table (default "1 10 50")
#   BENCH_GROW    members of the growth table (default 64)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/_output/bin
runs=${BENCH_RUNS:-15}
counts=${BENCH_COUNTS:-"1 10 50"}
grow=${BENCH_GROW:-64}

export LUMPER_CTD_DIR=${BENCH_CTD_DIR:-/tmp/lumper-bench-shimgroup}
export LUMPER_ADDRESS=$LUMPER_CTD_DIR/containerd.sock
export LUMPER_NAMESPACE=bench
export LUMPER_DATA_ROOT=$LUMPER_CTD_DIR/lumper
unset LUMPER_SHIM
export PATH=$bin:$PATH
ctr="$bin/ctr --address $LUMPER_ADDRESS -n bench"
img=docker.io/library/busybox:latest
work=$(mktemp -d)

# This run's shims and loggers only (their command line names its daemon or
# data root).
ours() { pgrep -f "$1" | while read -r p; do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "$LUMPER_CTD_DIR" && echo "$p"; done; true; }
shims() { ours containerd-shim-runc-v2; }
loggers() { ours lumper-logger; }

reset() {
	if [ -S "$LUMPER_ADDRESS" ]; then
		lumper list -q 2>/dev/null | xargs -r lumper rm -f >/dev/null 2>&1 || true
		for c in $($ctr c ls -q 2>/dev/null); do
			$ctr t rm -f "$c" >/dev/null 2>&1 || true
			$ctr c rm "$c" >/dev/null 2>&1 || true
		done
	fi
	"$here/hack/containerd.sh" down >/dev/null 2>&1 || true
	for p in $(shims); do kill -9 "$p" 2>/dev/null || true; done
	runc --root /run/containerd/runc/bench list -q 2>/dev/null | xargs -r -n1 runc --root /run/containerd/runc/bench delete -f >/dev/null 2>&1 || true
	grep -- "$LUMPER_CTD_DIR" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$LUMPER_CTD_DIR"
}
cleanup() {
	reset
	rm -rf "$work"
}
trap cleanup EXIT

reset
"$here/hack/containerd.sh" up >/dev/null
(cd "$here" && go build -o "$work/timeit" ./bench/timeit && go run ./hack/mkimage -o "$work" >/dev/null)
lumper load -q -i "$work/busybox-docker.tar" >/dev/null
lumper --namespace bench-empty load -q -i "$work/busybox-docker.tar" >/dev/null

# mem PIDS...: total RSS and PSS in KiB of the processes.
mem() {
	local rss=0 pss=0 p r s
	for p in "$@"; do
		r=$(awk '/^Rss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		s=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		rss=$((rss + ${r:-0})) pss=$((pss + ${s:-0}))
	done
	echo "$rss $pss"
}
mib() { awk -v k="$1" -v n="$2" 'BEGIN{printf "%.2f", k/1024/n}'; }

# settle waits until the count of this run's shims stops changing.
settle() {
	local prev=-1 cur
	for _ in $(seq 50); do
		cur=$(shims | wc -l)
		[ "$cur" = "$prev" ] && return
		prev=$cur
		sleep 0.2
	done
}

echo "# shim groups — $(date -u +%Y-%m-%d), $(nproc) cores, containerd $("$bin/containerd" --version | awk '{print $3}'), group size $(grep -o 'ShimGroupSize = [0-9]*' "$here/pkg/container/shimgroup.go" | awk '{print $3}')"
echo
echo "## Memory per running detached container (busybox sleep, --network none)"
echo
echo "| setup | containers | shims | MiB RSS per container (shims + loggers) | MiB PSS per container (shims + loggers) | of which shims RSS / PSS |"
echo "|---|---|---|---|---|---|"
for n in $counts; do
	for mode in group isolated; do
		seq "$n" | xargs -P2 -I{} lumper run -d --network none --shim "$mode" --name m{} "$img" sleep 100000 >/dev/null
		settle
		mapfile -t s < <(shims)
		mapfile -t l < <(loggers)
		read -r srss spss < <(mem "${s[@]}")
		read -r arss apss < <(mem "${s[@]}" "${l[@]}")
		echo "| lumper --shim $mode | $n | ${#s[@]} | $(mib "$arss" "$n") | $(mib "$apss" "$n") | $(mib "$srss" "$n") / $(mib "$spss" "$n") |"
		lumper list -q | xargs -r -P2 -n 20 lumper rm -f >/dev/null
		settle
	done
	for mode in isolated group; do
		ann=""
		[ "$mode" = group ] && ann="--annotation io.containerd.runc.v2.group=ctr"
		for i in $(seq "$n"); do $ctr run -d --seccomp $ann "$img" c$i sleep 100000 >/dev/null 2>&1; done
		settle
		mapfile -t s < <(shims)
		read -r srss spss < <(mem "${s[@]}")
		echo "| ctr run -d ($mode) | $n | ${#s[@]} | $(mib "$srss" "$n") | $(mib "$spss" "$n") | $(mib "$srss" "$n") / $(mib "$spss" "$n") |"
		for i in $(seq "$n"); do $ctr t rm -f c$i >/dev/null 2>&1 || true; $ctr c rm c$i >/dev/null 2>&1 || true; done
		settle
	done
done

echo
echo "## Latency, groups on (A) against off (B); 10 other containers run in the group"
echo
echo "| case | A ms median (min–max) | B ms median (min–max) | ratio | peak RSS MiB A / B |"
echo "|---|---|---|---|---|"
seq 10 | xargs -P2 -I{} lumper run -d --network none --name bg{} "$img" sleep 100000 >/dev/null
"$work/timeit" -n "$runs" -name "run --rm busybox true (--shim group vs isolated)" \
	-a "lumper run --rm --network none --shim group $img true" \
	-b "lumper run --rm --network none --shim isolated $img true"
"$work/timeit" -n "$runs" -name "run -d busybox sleep (--shim group vs isolated; rm -f untimed)" \
	-a "lumper run -d --network none --shim group --name dg{i} $img sleep 1000" -post-a "lumper rm -f dg{i}" \
	-b "lumper run -d --network none --shim isolated --name di{i} $img sleep 1000" -post-b "lumper rm -f di{i}"
"$work/timeit" -n "$runs" -name "rm -f of a running container (group vs isolated)" \
	-pre-a "lumper run -d --network none --shim group --name rg{i} $img sleep 1000" -a "lumper rm -f rg{i}" \
	-pre-b "lumper run -d --network none --shim isolated --name ri{i} $img sleep 1000" -b "lumper rm -f ri{i}"
"$work/timeit" -n "$runs" -name "run --rm busybox true, alone in its group (vs isolated)" \
	-a "lumper --namespace bench-empty run --rm --network none --shim group $img true" \
	-b "lumper --namespace bench-empty run --rm --network none --shim isolated $img true"
lumper list -q | xargs -r -P2 -n 20 lumper rm -f >/dev/null
settle

echo
echo "## One group's shim as it grows (ctr run -d with one group annotation)"
echo
echo "| members | shim MiB RSS | shim MiB PSS | ms to start member k (ctr run -d) | ms to delete member k (ctr t rm -f) |"
echo "|---|---|---|---|---|"
for k in $(seq "$grow"); do
	t0=$(date +%s%N)
	$ctr run -d --seccomp --annotation io.containerd.runc.v2.group=grow "$img" g$k sleep 100000 >/dev/null 2>&1
	t1=$(date +%s%N)
	case $k in 1 | 8 | 16 | 32 | 48 | 64 | "$grow")
		# Delete and re-create one member to time a delete at this size.
		$ctr run -d --seccomp --annotation io.containerd.runc.v2.group=grow "$img" probe sleep 100000 >/dev/null 2>&1
		d0=$(date +%s%N)
		$ctr t rm -f probe >/dev/null 2>&1
		d1=$(date +%s%N)
		$ctr c rm probe >/dev/null 2>&1
		mapfile -t s < <(shims)
		read -r srss spss < <(mem "${s[@]}")
		echo "| $k | $(mib "$srss" 1) | $(mib "$spss" 1) | $(((t1 - t0) / 1000000)) | $(((d1 - d0) / 1000000)) |"
		;;
	esac
done
