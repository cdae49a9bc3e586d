#!/usr/bin/env bash
# lumper commit against `ctr snapshots diff` (the same diff, without config,
# manifest, image record and unpack) for a 1 MB and a 100 MB change, gzip.
# bench/run.sh calls it with its work directory (holding timeit) and its run
# count, with LUMPER_ADDRESS/LUMPER_NAMESPACE set and lumper on PATH; it prints
# rows of run.sh's Markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$1
runs=${2:-5}
runs=$(( runs < 5 ? runs : 5 )) # a 100 MB commit takes seconds
ctr="$here/_output/bin/ctr --address $LUMPER_ADDRESS -n ${LUMPER_NAMESPACE:-bench}"
img=docker.io/library/busybox:latest

for mb in 1 100; do
	name=bench-commit-$mb
	lumper run --name "$name" "$img" sh -c "dd if=/dev/urandom of=/data bs=1M count=$mb 2>/dev/null" >/dev/null
	id=$(lumper inspect --format '{{.ID}}' "$name")
	"$work/timeit" -n "$runs" -name "commit of a $mb MB change (vs ctr snapshots diff)" \
		-a "lumper commit $name bench/commit-$mb:{i}" -post-a "lumper rmi bench/commit-$mb:{i}" \
		-b "sh -c '$ctr snapshots diff $id >/dev/null 2>&1'"
	lumper rm "$name" >/dev/null
done
