#!/bin/bash
# Builds .device-kit/ (git-ignored): what a lent GPU machine (the tool library's `device`
# entry) needs to run the kernel suite and the bench with no npm install there — it has no
# Node and reaches no registry. scripts/device/README.md says how to send and run it.
#   x/bench.mjs, x/run-bench.mjs   npm run bench as one esbuild bundle (+ torch_peer.py beside it)
#   suite/*.test.js                 each test/kernels file bundled, 'vitest' → vitest-shim.ts
#   node.xz, dawn.node.xz           this machine's Node binary and Dawn's addon, compressed
#   node_modules/webgpu/            the `webgpu` package's loader (dawn.node unpacked there)
#   debs/                           the Vulkan loader (libvulkan1), which that machine may lack
# The kit and the tracked tree together must stay under the 64 MiB a call carries; the end
# of this script adds them up and fails if they do not.
set -euo pipefail
cd "$(dirname "$0")/../.."
K=.device-kit
mkdir -p "$K/x" "$K/debs" "$K/node_modules/webgpu/dist/linux-x64"
rm -rf "$K/suite"

# CJS dependencies (commander) call require() for Node's modules: give the ES module bundle one.
banner="import { createRequire as __kitRequire } from 'node:module'; const require = __kitRequire(import.meta.url);"
common=(--bundle --platform=node --format=esm --target=node20 --log-level=warning
  --external:webgpu --external:koffi --external:h5wasm '--external:@tensorflow/*' "--banner:js=$banner")

npx esbuild scripts/bench.ts "${common[@]}" --outfile="$K/x/bench.mjs"
cp scripts/bench/torch_peer.py "$K/x/"
# A separate entry file: in a bundle every module's "am I the main script?" check sees the
# bundle's own URL, so the bundle is imported, not run.
echo "import { benchCli } from './bench.mjs'; benchCli();" > "$K/x/run-bench.mjs"

npx esbuild test/kernels/*.test.ts "${common[@]}" --splitting --outdir="$K/suite" \
  --alias:vitest=./scripts/device/vitest-shim.ts --out-extension:.js=.mjs

cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$K/node_modules/webgpu/"
# run.sh unpacks dawn.node here; a kit checked on this machine must not carry it uncompressed.
rm -f "$K/node_modules/webgpu/dist/linux-x64/dawn.node"
squeeze() { # $1 source, $2 target: xz -9e, only when the source is newer
  if [ ! -f "$2" ] || [ "$1" -nt "$2" ]; then nice -n 19 xz -T1 -9e -c "$1" > "$2.tmp" && mv "$2.tmp" "$2"; fi
}
squeeze "$(command -v node)" "$K/node.xz"
squeeze node_modules/webgpu/dist/linux-x64/dawn.node "$K/dawn.node.xz"
if ! ls "$K"/debs/libvulkan1_*.deb >/dev/null 2>&1; then
  (cd "$K/debs" && apt-get download libvulkan1 >/dev/null 2>&1) || echo "warning: could not download libvulkan1 (apt); the kit relies on the machine's loader"
fi

kit=$(du -sb "$K" | cut -f1)
# The shipped models' weights stay behind during the call (park-models.sh), so they are not counted.
tree=$(git ls-files -z | grep -zv '^models/.*\.safetensors$' | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
total=$((kit + tree))
awk -v k="$kit" -v t="$tree" 'BEGIN { printf "kit %.1f MB + tracked tree without the model weights %.1f MB = %.1f MB of the 67.1 MB (64 MiB) a call carries\n", k / 1e6, t / 1e6, (k + t) / 1e6 }'
if [ "$total" -gt $((64 * 1024 * 1024)) ]; then echo "error: too large to send" >&2; exit 1; fi
echo "before the device call: bash scripts/device/park-models.sh out; after it: bash scripts/device/park-models.sh back"
