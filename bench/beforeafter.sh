#!/usr/bin/env bash
# Issue 17's before/after: the commit, stop and logs cases of bench/run.sh,
# with this tree's lumper (A) against an older build (B, the directory given
# as $1, holding lumper and lumper-logger), interleaved run by run on one
# private containerd, and each case's reference (tar | gzip -1, ctr, cat)
# against this tree's lumper in the same run. Prints Markdown table rows.
# BENCH_MID=/dir adds rows against a second older build (e.g. the branch's
# base when $1 is an older baseline); BENCH_ONLY="commit logs" skips the
# other sections (commit, stop, logs); BENCH_COMMIT_KINDS=small runs only
# the 2000-file commit.
#   bench/beforeafter.sh /tmp/old-bin [runs]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/_output/bin
old=$(cd "$1" && pwd)
runs=${2:-9}
mid=${BENCH_MID:+$(cd "$BENCH_MID" && pwd)}
only=" ${BENCH_ONLY:-commit stop logs} "
export LUMPER_CTD_DIR=${BENCH_CTD_DIR:-/tmp/lumper-beforeafter-ctd}
export LUMPER_ADDRESS=$LUMPER_CTD_DIR/containerd.sock
export LUMPER_NAMESPACE=bench
export LUMPER_DATA_ROOT=$LUMPER_CTD_DIR/lumper
export PATH=$bin:$PATH
ctr="$bin/ctr --address $LUMPER_ADDRESS -n bench"
img=docker.io/library/busybox:latest
work=$(mktemp -d)
cleanup() {
	lumper list -q 2>/dev/null | xargs -r lumper rm -f >/dev/null 2>&1 || true
	for c in $($ctr c ls -q 2>/dev/null); do
		$ctr t rm -f "$c" >/dev/null 2>&1 || true
		$ctr c rm "$c" >/dev/null 2>&1 || true
	done
	"$here/hack/containerd.sh" down >/dev/null 2>&1 || true
	grep -- "$LUMPER_CTD_DIR" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$LUMPER_CTD_DIR" "$work"
}
trap cleanup EXIT
cleanup
mkdir -p "$work"
"$here/hack/containerd.sh" up >/dev/null
(cd "$here" && go build -o "$work/timeit" ./bench/timeit && go build -o "$work/floor" ./bench/floor && go run ./hack/mkimage -o "$work" >/dev/null)
lumper load -q -i "$work/busybox-docker.tar" >/dev/null
t() { "$work/timeit" -n "$runs" "$@"; }
# The old lumper with its own logger: a container it runs is logged and
# reaped by the old binaries. Containers made by the new one are shared.
olumper="env PATH=$old:$PATH $old/lumper"
mlumper="env PATH=$mid:$PATH $mid/lumper"

echo "| case | A ms median (min–max) | B ms median (min–max) | A/B | peak RSS MiB A / B |"
echo "|---|---|---|---|---|"

# commit: 100 MB in one file, and in 2000 files of 50 KB. Each run commits a
# layer of its own (a marker file is written into the container's upper
# directory before it) and the images are removed only after the kind's rows.
# Removing each image right after its run (the order before session 5, kept
# as the small files' last row) made every commit re-create 2000 files
# seconds after the previous run's 2000 were freed: on a journal-less ext4
# root, ext4 then scans past every recently freed inode for each new one
# (recently_deleted), seconds of kernel time for both sides that measure the
# bench's own deletions rather than the commit.
mb=${BENCH_COMMIT_MB:-100}
files=$(( mb * 20 ))
upperdir() { $ctr snapshots mounts /x "$1" 2>/dev/null | grep -o 'upperdir=[^,]*' | head -1 | cut -d= -f2; }
crun=$(( runs < 5 ? runs : 5 ))
for kind in ${BENCH_COMMIT_KINDS:-big small}; do
	case $only in *" commit "*) ;; *) continue ;; esac
	name=ba-commit-$kind
	if [ "$kind" = big ]; then
		fill="dd if=/dev/urandom of=/data bs=1M count=$mb 2>/dev/null"
	else
		fill="mkdir /many && dd if=/dev/urandom of=/seed bs=1M count=$mb 2>/dev/null && i=0 && while [ \$i -lt $files ]; do dd if=/seed of=/many/f\$i bs=51200 skip=\$i count=1 2>/dev/null; i=\$((i+1)); done && rm /seed"
	fi
	lumper run --network none --name "$name" "$img" sh -c "$fill" >/dev/null
	up=$(upperdir "$(lumper inspect --format '{{.ID}}' "$name")")
	mark() { echo "sh -c 'echo $1 >$up/.bench-marker'"; } # a layer of its own
	for comp in gzip zstd; do
		"$work/timeit" -n "$crun" -name "commit, $mb MB $kind, $comp: after (A) vs before (B)" \
			-pre-a "$(mark "a-$comp-{i}")" -a "lumper commit --compression $comp $name ba/new-$kind-$comp:{i}" \
			-pre-b "$(mark "b-$comp-{i}")" -b "$olumper commit --compression $comp $name ba/old-$kind-$comp:{i}"
	done
	if [ -n "$mid" ]; then
		"$work/timeit" -n "$crun" -name "commit, $mb MB $kind, gzip: after (A) vs $(basename "$mid") (B)" \
			-pre-a "$(mark "a-mid-{i}")" -a "lumper commit $name ba/new-$kind-vsmid:{i}" \
			-pre-b "$(mark "m-mid-{i}")" -b "$mlumper commit $name ba/mid-$kind:{i}"
	fi
	"$work/timeit" -n "$crun" -name "commit, $mb MB $kind, gzip: after (A) vs tar c \\| gzip -1 of the files (B)" \
		-pre-a "$(mark "a-tar-{i}")" -a "lumper commit $name ba/new-$kind-vstar:{i}" \
		-b "sh -c 'tar c -C $up . | gzip -1 >/dev/null'"
	if [ "$kind" = small ]; then # last: its removals slow whatever follows
		"$work/timeit" -n "$crun" -name "commit, $mb MB $kind, gzip, image removed after each run: after (A) vs before (B)" \
			-pre-a "$(mark "ra-{i}")" -a "lumper commit $name ba/rnew-$kind:{i}" -post-a "lumper rmi ba/rnew-$kind:{i}" \
			-pre-b "$(mark "rb-{i}")" -b "$olumper commit $name ba/rold-$kind:{i}" -post-b "lumper rmi ba/rold-$kind:{i}"
	fi
	lumper rm "$name" >/dev/null
	lumper images --format '{{.Repository}}:{{.Tag}}' | grep '^ba/' | xargs -r lumper rmi >/dev/null
done

# stop -t 1 of a container that ignores SIGTERM.
trapcmd='trap "" TERM; sleep 1000'
srun=$(( runs < 10 ? runs : 10 ))
case $only in *" stop "*)
t -n "$srun" -name 'stop -t 1, SIGTERM ignored: after (A) vs before (B)' \
	-pre-a "lumper run -d --network none --name sa{i} $img sh -c '$trapcmd'" -a "lumper stop -t 1 sa{i}" -post-a "lumper rm sa{i}" \
	-pre-b "$olumper run -d --network none --name sb{i} $img sh -c '$trapcmd'" -b "$olumper stop -t 1 sb{i}" -post-b "lumper rm sb{i}"
t -n "$srun" -name 'stop -t 1, SIGTERM ignored: after (A) vs ctr t kill; sleep 1; ctr t rm -f (B)' \
	-pre-a "lumper run -d --network none --name sc{i} $img sh -c '$trapcmd'" -a "lumper stop -t 1 sc{i}" -post-a "lumper rm sc{i}" \
	-pre-b "$ctr run -d --seccomp $img cs{i} sh -c '$trapcmd'" \
	-b "sh -c '$ctr t kill cs{i} 2>/dev/null; sleep 1; $ctr t rm -f cs{i} >/dev/null 2>&1'" -post-b "$ctr c rm cs{i}"
;; esac

# logs: 2 million lines; a log rotated into 3 × 10 MB; --tail 10.
case $only in *" logs "*) ;; *) exit 0 ;; esac
lumper run -d --network none --name logsbig --log-opt max-size=1g $img seq 1 2000000 >/dev/null
lumper run -d --network none --name logsrot --log-opt max-size=10m --log-opt max-file=3 $img seq 1 1000000 >/dev/null
lumper run -d --network none --name logsempty $img true >/dev/null
for c in logsbig logsrot logsempty; do lumper wait "$c" >/dev/null; done
sleep 1
raw=$(lumper inspect --format '{{.LogPath}}' logsbig)
rot=$(lumper inspect --format '{{.LogPath}}' logsrot)
t -name 'logs of 2M lines: after (A) vs before (B)' -a "sh -c 'lumper logs logsbig >/dev/null'" -b "sh -c '$old/lumper logs logsbig >/dev/null'"
t -name 'logs of 2M lines: after (A) vs cat of the raw log (B)' -a "sh -c 'lumper logs logsbig >/dev/null'" -b "sh -c 'cat $raw >/dev/null'"
if [ -n "$mid" ]; then
	t -name "logs of 2M lines: after (A) vs $(basename "$mid") (B)" -a "sh -c 'lumper logs logsbig >/dev/null'" -b "sh -c '$mid/lumper logs logsbig >/dev/null'"
	t -name "logs of 3 × 10 MB rotated: after (A) vs $(basename "$mid") (B)" -a "sh -c 'lumper logs logsrot >/dev/null'" -b "sh -c '$mid/lumper logs logsrot >/dev/null'"
	t -name "logs of 2M lines: $(basename "$mid") (A) vs cat of the raw log (B)" -a "sh -c '$mid/lumper logs logsbig >/dev/null'" -b "sh -c 'cat $raw >/dev/null'"
	t -name "logs of 3 × 10 MB rotated: $(basename "$mid") (A) vs cat of the 3 files (B)" -a "sh -c '$mid/lumper logs logsrot >/dev/null'" -b "sh -c 'cat $rot.2 $rot.1 $rot >/dev/null'"
fi
t -name 'logs of 3 × 10 MB rotated: after (A) vs before (B)' -a "sh -c 'lumper logs logsrot >/dev/null'" -b "sh -c '$old/lumper logs logsrot >/dev/null'"
t -name 'logs of 3 × 10 MB rotated: after (A) vs cat of the 3 files (B)' -a "sh -c 'lumper logs logsrot >/dev/null'" -b "sh -c 'cat $rot.2 $rot.1 $rot >/dev/null'"
t -name 'logs --tail 10 of 2M lines (A) vs of an empty log (B), after' -a "sh -c 'lumper logs --tail 10 logsbig >/dev/null'" -b "sh -c 'lumper logs --tail 10 logsempty >/dev/null'"
t -name 'logs --tail 10 of 2M lines (A) vs of an empty log (B), before' -a "sh -c '$old/lumper logs --tail 10 logsbig >/dev/null'" -b "sh -c '$old/lumper logs --tail 10 logsempty >/dev/null'"
t -name 'logs --tail 0 (start, dial, lookup, nothing read): after (A) vs before (B)' -a "sh -c 'lumper logs --tail 0 logsrot >/dev/null'" -b "sh -c '$old/lumper logs --tail 0 logsrot >/dev/null'"
# Where the time of `logs` goes: its fixed part (start, dial, lookup) and a
# log large enough that reading dominates. BENCH_LOGS_HUGE=1 adds 10M lines
# (~470 MB of log).
t -name 'logs --tail 0 (the fixed part), after (A) vs cat of the 3 rotated files (B)' -a "sh -c 'lumper logs --tail 0 logsrot >/dev/null'" -b "sh -c 'cat $rot.2 $rot.1 $rot >/dev/null'"
t -name 'floor -noop: start with the client linked, no RPC (A) vs cat of the 3 rotated files (B)' -a "sh -c '$work/floor -noop >/dev/null'" -b "sh -c 'cat $rot.2 $rot.1 $rot >/dev/null'"
if [ -n "${BENCH_LOGS_HUGE:-}" ]; then
	lumper run -d --network none --name logshuge --log-opt max-size=2g $img seq 1 10000000 >/dev/null
	lumper wait logshuge >/dev/null
	huge=$(lumper inspect --format '{{.LogPath}}' logshuge)
	t -name "logs of 10M lines ($(($(stat -c %s "$huge") >> 20)) MiB): after (A) vs cat of the raw log (B)" -a "sh -c 'lumper logs logshuge >/dev/null'" -b "sh -c 'cat $huge >/dev/null'"
	lumper rm -f logshuge >/dev/null
fi
t -name 'lumper --version: after (A) vs before (B)' -a "sh -c 'lumper --version >/dev/null'" -b "sh -c '$old/lumper --version >/dev/null'"
t -name 'lumper --help (A) vs ctr --help (B), before' -a "sh -c '$old/lumper --help >/dev/null'" -b "sh -c '$bin/ctr --help >/dev/null'"
t -name 'lumper --help (A) vs ctr --help (B), after' -a "sh -c 'lumper --help >/dev/null'" -b "sh -c '$bin/ctr --help >/dev/null'"
t -name 'lumper --help: after (A) vs before (B)' -a "sh -c 'lumper --help >/dev/null'" -b "sh -c '$old/lumper --help >/dev/null'"
echo
echo "binary size: lumper $(stat -c %s "$bin/lumper") bytes (before $(stat -c %s "$old/lumper")), ctr $(stat -c %s "$bin/ctr")"
