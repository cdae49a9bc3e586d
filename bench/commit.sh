#!/usr/bin/env bash
# lumper commit of a 100 MB change (one random file; 2000 files of 50 KB),
# gzip and zstd, against `tar c | gzip -1` of the same files (the container's
# overlay upper directory) on the same machine. bench/run.sh calls it with its
# work directory (holding timeit) and its run count, with LUMPER_ADDRESS and
# LUMPER_NAMESPACE set and lumper on PATH; it prints rows of run.sh's table.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$1
runs=${2:-5}
runs=$(( runs < 5 ? runs : 5 )) # a 100 MB commit takes seconds
mb=${BENCH_COMMIT_MB:-100}
ctr="$here/_output/bin/ctr --address $LUMPER_ADDRESS -n ${LUMPER_NAMESPACE:-bench}"
img=docker.io/library/busybox:latest

upperdir() { # the overlay upper directory of a container's snapshot
	$ctr snapshots mounts /x "$1" 2>/dev/null | grep -o 'upperdir=[^,]*' | head -1 | cut -d= -f2
}

files=$(( mb * 20 )) # 50 KB each
for kind in big small; do
	name=bench-commit-$kind
	if [ "$kind" = big ]; then
		fill="dd if=/dev/urandom of=/data bs=1M count=$mb 2>/dev/null"
	else
		fill="mkdir /many && dd if=/dev/urandom of=/seed bs=1M count=$mb 2>/dev/null && i=0 && while [ \$i -lt $files ]; do dd if=/seed of=/many/f\$i bs=51200 skip=\$i count=1 2>/dev/null; i=\$((i+1)); done && rm /seed"
	fi
	lumper run --network none --name "$name" "$img" sh -c "$fill" >/dev/null
	id=$(lumper inspect --format '{{.ID}}' "$name")
	up=$(upperdir "$id")
	# Each run commits a layer of its own (a marker file) and the images are
	# removed after the kind's rows: removing each right after its run made
	# the next commit pay ext4's scan past the 2000 inodes just freed (see
	# bench/beforeafter.sh).
	for comp in gzip zstd; do
		"$work/timeit" -n "$runs" -name "commit, $mb MB $kind, $comp (vs tar c \\| gzip -1 of the files)" \
			-pre-a "sh -c 'echo $comp-{i} >$up/.bench-marker'" -a "lumper commit --compression $comp $name bench/commit-$kind-$comp:{i}" \
			-b "sh -c 'tar c -C $up . | gzip -1 >/dev/null'"
	done
	lumper rm "$name" >/dev/null
	lumper images --format '{{.Repository}}:{{.Tag}}' | grep '^bench/commit-' | xargs -r lumper rmi >/dev/null
done
