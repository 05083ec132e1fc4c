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
# The Vulkan loader and glvnd from Debian, unpacked into / as the device notes advise (the NVIDIA
# driver's libraries are there, its Vulkan ICD needs glvnd); then the first setting under which Dawn
# finds an adapter. (Ours only on LD_LIBRARY_PATH failed on one machine: the ICD gave no vkCreateInstance.)
if [ -z "${GPU_DRY:-}" ]; then # GPU_DRY=1: trying the script on a development machine, leave / alone
  for f in "$B"/debs/*.deb; do dpkg -x "$f" / 2>/dev/null || log "dpkg -x $f failed"; done
  ldconfig 2>/dev/null
fi
export XDG_RUNTIME_DIR=/tmp
NODE=$W/node
APP=$W/app
ICD=
for d in /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do
  [ -f "$d/nvidia_icd.json" ] && { ICD=$d/nvidia_icd.json; break; }
done
[ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
ORIG_LD=${LD_LIBRARY_PATH:-}
has_adapter() { (cd "$APP" && timeout 60 "$NODE" bin/mnist-deep.js info --json 2>/dev/null | grep -q '"name":"webgpu","ok":true'); }
found=
mkdir -p "$W/vk" && for f in "$B"/debs/*.deb; do dpkg-deb -x "$f" "$W/vk"; done
OURS=$W/vk/usr/lib/x86_64-linux-gnu
# VK_DRIVER_FILES (icd: the driver's nvidia_icd.json) | LD_LIBRARY_PATH
for cfg in "icd|$ORIG_LD" "|$ORIG_LD" "icd|" "icd|/usr/local/nvidia/lib64" "icd|$OURS:$ORIG_LD"; do
  if [ "${cfg%%|*}" = icd ] && [ -n "$ICD" ]; then export VK_DRIVER_FILES=$ICD; else unset VK_DRIVER_FILES; fi
  export LD_LIBRARY_PATH=${cfg#*|}
  if has_adapter; then found=1; break; fi
  log "no adapter with VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset} LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
done
if [ -z "$found" ]; then
  export VK_DRIVER_FILES=$ICD LD_LIBRARY_PATH=$ORIG_LD
  log "diagnostics: $ICD"; cat "$ICD" | tee -a "$LOG"
  ls -la /usr/local/nvidia/lib64 /lib 2>/dev/null | grep -i -E "GLX|glcore|spirv|gpucomp|vulkan|GLdispatch" | tee -a "$LOG"
  (cd "$APP" && VK_LOADER_DEBUG=error,warn,driver timeout 60 "$NODE" -e "const {create}=require('./node_modules/webgpu/dist/linux-x64/dawn.node'); create([]).requestAdapter().then(a=>{console.log('adapter', !!a); process.exit(0)})" 2>&1 | tail -40 | tee -a "$LOG")
fi
log "node $("$NODE" --version); LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}; VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"
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
TESTS=$(ls dist/test/backends/webgpu.test.js dist/test/backends/webgpu-kernels.test.js dist/test/engine/contract-webgpu.test.js 2>/dev/null)
stage tests 150 "$NODE" --test $TESTS
log "done"
