#!/usr/bin/env bash
# lumper end to end on a busybox image built from Debian's static busybox:
# load, run (foreground and detached), list, logs, stop, rm, images, rmi.
# Runs against the private containerd started by `make containerd-up`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export LUMPER_ADDRESS=${LUMPER_ADDRESS:-${LUMPER_CTD_DIR:-/tmp/lumper-containerd}/containerd.sock}
export LUMPER_NAMESPACE=${LUMPER_NAMESPACE:-lumper-demo}
export LUMPER_DATA_ROOT=${LUMPER_DATA_ROOT:-${LUMPER_CTD_DIR:-/tmp/lumper-containerd}/lumper}
lumper=${LUMPER_BIN:-$here/_output/bin/lumper}
img=$here/_output/images

step() { printf '\n\033[1m$ lumper %s\033[0m\n' "$*"; "$lumper" "$@"; }

mkdir -p "$img"
(cd "$here" && go run ./hack/mkimage -o "$img" >/dev/null)
step load -q -i "$img/busybox-docker.tar"
step images
step run --rm busybox echo "hello from a lumper container"
step run --rm -e WHO=lumper -w /tmp --hostname demo busybox sh -c 'echo "$WHO in $(pwd) on $(hostname), pid $$"'
"$lumper" rm -f demo-web >/dev/null 2>&1 || true
step run -d --name demo-web busybox sh -c 'for i in 1 2 3; do echo "tick $i"; sleep 0.2; done; sleep 1000'
sleep 1
step list
step logs demo-web
step stop -t 1 demo-web
step list
step rm demo-web
set +e
"$lumper" run --rm busybox sh -c 'exit 3'
code=$?
set -e
printf '\n$ lumper run --rm busybox sh -c "exit 3"  -> exit code %s\n' "$code"
[ "$code" = 3 ]
step rmi busybox
printf '\ndemo finished: lumper works end to end.\n'
