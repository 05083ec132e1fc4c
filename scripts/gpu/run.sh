#!/usr/bin/env bash
# Runs on a GPU machine that has no Node: unpacks the bundle that scripts/gpu/pack.sh made (a Node
# binary, the program with the node_modules it loads, Debian's Vulkan loader and glvnd), then, each
# stage under its own timeout and all under one deadline: the WebGPU adapter (mnist-deep info), the
# webgpu benchmark (train b50/b500, eval, per-kernel profile), the PyTorch CUDA anchor on the same
# GPU, `mnist-deep train`/`eval --backend webgpu`, and the webgpu tests. Everything goes to
# $OUT/log.txt; bench.json beside it. Exits 2 at once when no adapter is found (after the torch anchor).
#
#   bash .gpu14/run.sh [seconds]        (the bundle folder holds this script; default deadline 400 s)
set -u
B=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$B/out}
mkdir -p "$OUT"
DEADLINE=$(( $(date +%s) + ${1:-400} ))
W=${GPU_WORK:-/tmp/gpu14}
rm -rf "$W" && mkdir -p "$W"
LOG=$OUT/log.txt

log() { echo "== $(date -u +%T) $*" | tee -a "$LOG"; }
# stage NAME SECONDS CMD...: runs CMD with at most SECONDS (less if the deadline is nearer).
stage() {
  local name=$1 want=$2 left
  shift 2
  left=$(( DEADLINE - $(date +%s) - 5 ))
  if [ "$left" -lt 10 ]; then log "$name: skipped, deadline reached"; return 124; fi
  [ "$want" -gt "$left" ] && want=$left
  log "$name (timeout ${want}s)"
  local t0=$SECONDS
  timeout -k 5 "$want" "$@" 2>&1 | tee -a "$LOG"
  local rc=${PIPESTATUS[0]}
  log "$name: rc=$rc in $(( SECONDS - t0 ))s"
  return "$rc"
}

unxz_to() { # FILE.xz DEST
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"; fi
}

log "unpacking into $W"
unxz_to "$B/node.xz" "$W/node" && chmod +x "$W/node"
unxz_to "$B/app.tar.xz" "$W/app.tar" && tar -xf "$W/app.tar" -C "$W" && rm "$W/app.tar"
mkdir -p "$W/vk"
for f in "$B"/debs/*.deb; do dpkg-deb -x "$f" "$W/vk" 2>/dev/null || (cd "$W" && ar x "$f" data.tar.xz && tar -xJf data.tar.xz -C "$W/vk" && rm data.tar.xz); done
NODE=$W/node
APP=$W/app

# Dawn dlopens libvulkan.so.1; NVIDIA's Vulkan driver needs glvnd's libGLdispatch. Ours only where the system has none.
VKLIB=$W/vk/usr/lib/x86_64-linux-gnu
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 ' || ! ldconfig -p 2>/dev/null | grep -q 'libGLdispatch.so.0 '; then
  export LD_LIBRARY_PATH=$VKLIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
[ -d /usr/local/nvidia/lib64 ] && export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/nvidia/lib64
for d in /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do
  if [ -f "$d/nvidia_icd.json" ]; then export VK_DRIVER_FILES=$d/nvidia_icd.json; break; fi
done
export XDG_RUNTIME_DIR=/tmp
log "node $("$NODE" --version); LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}; VK_DRIVER_FILES=${VK_DRIVER_FILES:-none found}"
stage machine 20 bash -c 'nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; uname -r; nproc; ldconfig -p | grep -E "libvulkan|libGLX_nvidia|libGLdispatch" | head'

cd "$APP" || exit 1
stage info 60 "$NODE" bin/mnist-deep.js info
if ! "$NODE" bin/mnist-deep.js info --json 2>/dev/null | grep -q '"name":"webgpu","ok":true'; then
  log "no WebGPU adapter: see the info line above; the PyTorch anchor still runs"
  stage torch 120 env PYTHONUNBUFFERED=1 python3 "$B/torch_cuda_bench.py"
  exit 2
fi

stage bench 200 "$NODE" dist/scripts/gpu/webgpu-bench.js --json "$OUT/bench.json"
stage torch 120 env PYTHONUNBUFFERED=1 python3 "$B/torch_cuda_bench.py"

DATA=$W/data
"$NODE" -e "require('./dist/test/helpers/fixtures').writeDataset(process.argv[1], 6000, 2000)" "$DATA"
stage train-b50 90 "$NODE" bin/mnist-deep.js train --backend webgpu --data-dir "$DATA" --validation-size 1000 --steps 400 --log-every 100 --save-dir "$W/m50"
stage train-b500 90 "$NODE" bin/mnist-deep.js train --backend webgpu --data-dir "$DATA" --validation-size 1000 --batch-size 500 --steps 60 --log-every 20 --save-dir "$W/m500"
stage eval 60 bash -c "time '$NODE' bin/mnist-deep.js eval --backend webgpu --model-dir '$W/m50' --data-dir '$DATA' --eval-batch-size 1000 | head -3"
TESTS=$(ls dist/test/backends/webgpu.test.js dist/test/engine/*.test.js 2>/dev/null)
stage tests 150 "$NODE" --test $TESTS
log "done"
