#!/usr/bin/env bash
# lumper against ctr, side by side, on one private containerd (the go.mod
# version), the same busybox image and this machine. Prints a Markdown table.
#   BENCH_RUNS   runs per case (default 15; `make bench-smoke` uses 1)
#   BENCH_LIST   container counts for the list case (default "0 100 1000")
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/_output/bin
runs=${BENCH_RUNS:-15}
smoke=false
[ "$runs" = 1 ] && smoke=true
counts=${BENCH_LIST:-"0 100 1000"}
$smoke && counts=${BENCH_LIST:-"0 10"}
batch=50
$smoke && batch=5
batch=${BENCH_BATCH:-$batch}

export LUMPER_CTD_DIR=${BENCH_CTD_DIR:-/tmp/lumper-bench-ctd}
export LUMPER_ADDRESS=$LUMPER_CTD_DIR/containerd.sock
export LUMPER_NAMESPACE=bench
export LUMPER_DATA_ROOT=$LUMPER_CTD_DIR/lumper
export PATH=$bin:$PATH
ctr="$bin/ctr --address $LUMPER_ADDRESS -n bench"
img=docker.io/library/busybox:latest
work=$(mktemp -d)
# reset removes every container of the run (lumper's and ctr's), stops the
# daemon, and leaves no shim, mount or file of it behind.
reset() {
	if [ -S "$LUMPER_ADDRESS" ]; then
		lumper list -q 2>/dev/null | xargs -r lumper rm -f >/dev/null 2>&1 || true
		for c in $($ctr c ls -q 2>/dev/null); do
			$ctr t rm -f "$c" >/dev/null 2>&1 || true
			$ctr c rm "$c" >/dev/null 2>&1 || true
		done
	fi
	"$here/hack/containerd.sh" down >/dev/null 2>&1 || true
	local p
	for p in $(pgrep -f containerd-shim-runc-v2 || true); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "$LUMPER_CTD_DIR" && kill -9 "$p" 2>/dev/null
	done
	# runc keeps its state under /run/containerd/runc/<namespace>, outside
	# the daemon's directory: a shim killed above leaves it behind.
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
(cd "$here" && go build -o "$work/timeit" ./bench/timeit && go build -trimpath -ldflags '-s -w' -o "$work/floor" ./bench/floor && go build -o "$work/followlat" ./bench/followlat && go run ./hack/mkimage -o "$work" >/dev/null)
lumper load -q -i "$work/busybox-docker.tar" >/dev/null
timeit() { "$work/timeit" -n "$runs" "$@"; }
# ctr's deprecation warning goes to stderr; keep the table clean.
quiet() { "$@" 2>/dev/null; }

echo "# lumper vs ctr — $(date -u +%Y-%m-%d), $(nproc) cores, containerd $("$bin/containerd" --version | awk '{print $3}'), $(runc --version | head -1)"
echo
echo "| case | lumper ms median (min–max) | reference ms median (min–max) | ratio | peak RSS MiB lumper / ref |"
echo "|---|---|---|---|---|"

timeit -name "run --rm busybox true (vs ctr run --rm --seccomp: the same default profile)" \
	-a "lumper run --rm --network none $img true" \
	-b "$ctr run --rm --seccomp $img r{i} true"
timeit -name 'run --rm, seccomp=unconfined (vs ctr run --rm, no profile)' \
	-a "lumper run --rm --network none --security-opt seccomp=unconfined $img true" \
	-b "$ctr run --rm $img u{i} true"

bruns=$(( runs < 3 ? runs : 3 ))
"$work/timeit" -n "$bruns" -name "run -d + rm -f of $batch, sequential" \
	-a "sh -c 'for i in \$(seq $batch); do lumper run -d --network none --name s\$i $img sleep 1000 >/dev/null; done; for i in \$(seq $batch); do lumper rm -f s\$i >/dev/null; done'" \
	-b "sh -c 'for i in \$(seq $batch); do $ctr run -d --seccomp $img s\$i sleep 1000 >/dev/null 2>&1; done; for i in \$(seq $batch); do $ctr t rm -f s\$i >/dev/null 2>&1; $ctr c rm s\$i 2>/dev/null; done'"
"$work/timeit" -n "$bruns" -name "run -d + rm -f of $batch, 4-way parallel" \
	-a "sh -c 'seq $batch | xargs -P4 -I{} lumper run -d --network none --name p{} $img sleep 1000 >/dev/null; seq $batch | xargs -P4 -I{} lumper rm -f p{} >/dev/null'" \
	-b "sh -c 'seq $batch | xargs -P4 -I{} $ctr run -d --seccomp $img p{} sleep 1000 >/dev/null 2>&1; seq $batch | xargs -P4 -I{} sh -c \"$ctr t rm -f p{} >/dev/null 2>&1; $ctr c rm p{} 2>/dev/null\"'"

have=0
for n in $counts; do
	# Mixed: one in ten running, the rest exited.
	while [ "$have" -lt "$n" ]; do
		seq $((have + 1)) $(( have + 100 < n ? have + 100 : n )) | xargs -P4 -I{} sh -c \
			'if [ $(({} % 10)) = 0 ]; then lumper run -d --network none --name l{} '"$img"' sleep 100000; else lumper run -d --network none --name l{} '"$img"' true; fi' >/dev/null
		have=$(( have + 100 < n ? have + 100 : n ))
	done
	sleep 2
	timeit -name "list, $n containers (vs ctr c ls + ctr t ls)" \
		-a "lumper list" \
		-b "sh -c '$ctr c ls >/dev/null 2>&1; $ctr t ls >/dev/null 2>&1'"
done
lumper list -q | xargs -r -P4 -n 20 lumper rm -f >/dev/null

# Logs at scale: 2 million lines in one file (rotation off), and a log
# rotated into 3 files of 10 MB; --tail reads backwards, so its cost must not
# depend on the log's length.
nlines=2000000
$smoke && nlines=200000
lumper run -d --network none --name logsbig --log-opt max-size=1g $img seq 1 "$nlines" >/dev/null
lumper run -d --network none --name logsrot --log-opt max-size=10m --log-opt max-file=3 $img seq 1 1000000 >/dev/null
lumper run -d --network none --name logsempty $img true >/dev/null
for c in logsbig logsrot logsempty; do lumper wait "$c" >/dev/null; done
sleep 1 # the loggers' last writes
raw=$(lumper inspect --format '{{.LogPath}}' logsbig)
rot=$(lumper inspect --format '{{.LogPath}}' logsrot)
timeit -name "logs of $((nlines / 1000))k lines (vs cat of the raw log)" \
	-a "sh -c 'lumper logs logsbig >/dev/null'" \
	-b "sh -c 'cat $raw >/dev/null'"
timeit -name 'logs of a log rotated into 3 × 10 MB (vs cat of the 3 files)' \
	-a "sh -c 'lumper logs logsrot >/dev/null'" \
	-b "sh -c 'cat $rot.2 $rot.1 $rot >/dev/null'"
timeit -name "logs --tail 10 of $((nlines / 1000))k lines (vs logs --tail 10 of an empty log)" \
	-a "sh -c 'lumper logs --tail 10 logsbig >/dev/null'" \
	-b "sh -c 'lumper logs --tail 10 logsempty >/dev/null'"
# The fixed cost of any lumper command, against ctr's.
timeit -name 'lumper --help (vs ctr --help): process start-up' \
	-a "sh -c 'lumper --help >/dev/null'" \
	-b "sh -c '$bin/ctr --help >/dev/null'"
# The floor under any CLI built on containerd's Go client: a program that
# only links it, and one that also dials and finds the container by name.
timeit -name 'floor: a program linking the containerd client, start + exit (vs cat of the raw log)' \
	-a "sh -c '$work/floor -noop >/dev/null'" \
	-b "sh -c 'cat $raw >/dev/null'"
timeit -name 'floor: containerd client start + dial + find by name (vs cat of the raw log)' \
	-a "sh -c '$work/floor $LUMPER_ADDRESS bench logsbig >/dev/null'" \
	-b "sh -c 'cat $raw >/dev/null'"
lumper rm -f logsbig logsrot logsempty >/dev/null

# stop of a container that ignores SIGTERM, -t 1: the grace period, then
# SIGKILL and the task's delete. The reference is ctr doing the same: kill
# (SIGTERM), the same second, then kill and delete (ctr t rm -f).
trapcmd='trap "" TERM; sleep 1000'
"$work/timeit" -n "$(( runs < 10 ? runs : 10 ))" -name 'stop -t 1 of a container ignoring SIGTERM (vs ctr t kill; sleep 1; ctr t rm -f)' \
	-pre-a "lumper run -d --network none --name stop{i} $img sh -c '$trapcmd'" \
	-a "lumper stop -t 1 stop{i}" -post-a "lumper rm stop{i}" \
	-pre-b "$ctr run -d --seccomp $img cstop{i} sh -c '$trapcmd'" \
	-b "sh -c '$ctr t kill cstop{i} 2>/dev/null; sleep 1; $ctr t rm -f cstop{i} >/dev/null 2>&1'" -post-b "$ctr c rm cstop{i}"

# Follow latency: a container writes a line every 50 ms; lumper logs -f and
# tail -F of the raw log read them side by side.
lumper run -d --network none --name follow $img sh -c 'while :; do echo x; sleep 0.05; done' >/dev/null
flines=100
$smoke && flines=10
"$work/followlat" -n "$flines" -lumper lumper -name follow -raw "$(lumper inspect --format '{{.LogPath}}' follow)"
lumper rm -f follow >/dev/null

if [ -x "$here/bench/commit.sh" ]; then
	if $smoke; then export BENCH_COMMIT_MB=5; fi
	"$here/bench/commit.sh" "$work" "$runs"
fi

size=104857600
$smoke && size=10485760
(cd "$here" && go run ./bench/bigimage -o "$work/big.tar" -size "$size")
timeit -name "load of a $((size / 1048576)) MB image (vs ctr images import)" \
	-a "lumper load -q -i $work/big.tar" -post-a "lumper rmi -f bench/big:latest" \
	-b "$ctr images import $work/big.tar" -post-b "$ctr images rm --sync docker.io/bench/big:latest"

echo
echo "| measure | lumper | ctr |"
echo "|---|---|---|"
echo "| binary size (stripped) | $(( $(stat -c %s "$bin/lumper") / 1048576 )) MiB + logger $(( $(stat -c %s "$bin/lumper-logger") / 1024 )) KiB | $(( $(stat -c %s "$bin/ctr") / 1048576 )) MiB |"

# Memory beside each detached container, and processes left by exited ones.
for i in $(seq 10); do lumper run -d --network none --name m$i $img sleep 100000 >/dev/null; done
sleep 1
rss_of() { # sum of VmRSS (KiB) of processes whose exe is $1 and that serve this containerd
	local total=0 p
	for p in /proc/[0-9]*; do
		[ "$(basename "$(readlink "$p/exe" 2>/dev/null)")" = "$1" ] || continue
		grep -qa "$LUMPER_CTD_DIR" "$p/cmdline" "$p/environ" 2>/dev/null || continue
		total=$(( total + $(awk '/VmRSS/ {print $2}' "$p/status") ))
	done
	echo "$total"
}
count_shims() { # shims of this containerd whose container ID matches $1 (a grep -E pattern)
	local n=0 p
	for p in /proc/[0-9]*; do
		[ "$(basename "$(readlink "$p/exe" 2>/dev/null)")" = containerd-shim-runc-v2 ] || continue
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "$LUMPER_CTD_DIR" || continue
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -Eq -- "-id $1( |$)" && n=$((n + 1))
	done
	echo "$n"
}
echo "| resident memory beside one detached container, beyond its shim | $(( $(rss_of lumper-logger) / 10 )) KiB (lumper-logger) | 0 (no logger; output discarded) |"
echo "| shim RSS per running container | $(( $(rss_of containerd-shim-runc-v2) / 10 )) KiB | same shim |"
lumper list -q | xargs -r lumper rm -f >/dev/null
for i in $(seq $batch); do
	lumper run -d --network none --name e$i $img true >/dev/null
	$ctr run -d $img ce$i true >/dev/null 2>"$work/ctr.err" || { echo "ctr run ce$i failed:" >&2; grep -v DEPRECATION "$work/ctr.err" >&2; }
done
sleep 3
echo "| processes left by $batch exited, not removed, containers | $(( $(count_shims '[0-9a-f]{64}') )) shims + $(rss_of lumper-logger) KiB of loggers | $(count_shims 'ce[0-9]+') shims |"
