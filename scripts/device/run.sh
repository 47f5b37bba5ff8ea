#!/bin/bash
# Runs on a lent GPU machine, in the repository root, after scripts/device/build-kit.sh here
# (README.md beside this file): the kernel suite in three modes, then the bench, then our step
# against PyTorch on the same GPU. Everything lands in $OUT (at most 8 files come back):
#   suite.txt                      per mode (auto, software, default-limits): files, passed, failed, failures
#   bench-auto.{txt,json}          ceilings, GEMM variants, conv passes and step, kernels as chosen for the adapter
#   bench-software.{txt,json}      conv and step with ALEXNET_KERNELS=software (the lavapipe-shaped kernels)
#   compare-torch.{txt,json}       our step alternating with PyTorch's on CUDA (ALEXNET_TORCH_DEVICE=cuda)
# QUICK=1 shrinks everything (a check of the kit itself, e.g. here on lavapipe).
set -uo pipefail
K=.device-kit
OUT=${OUT:-/tmp/device-out}
mkdir -p "$OUT"
QUICK=${QUICK:-0}
step() { echo "== $(date +%T) $*" >&2; }

# The Vulkan loader, where the machine has none; NVIDIA's driver files where no ICD is registered.
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
  for f in "$K"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$nv" ] && ! ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null | grep -qi nvidia; then
  export VK_DRIVER_FILES=$nv
fi

unxz_to() { # $1 .xz, $2 target: xz, else Python's lzma
  [ -s "$2" ] && return 0
  xz -dc "$1" > "$2" 2>/dev/null || python3 -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" "$1" "$2"
}
NODE=/tmp/kit-node
unxz_to "$K/node.xz" "$NODE" && chmod +x "$NODE"
unxz_to "$K/dawn.node.xz" "$K/node_modules/webgpu/dist/linux-x64/dawn.node"
"$NODE" --version >&2 || { echo "error: the kit's node does not run here" >&2; exit 1; }
command -v nvidia-smi >/dev/null && nvidia-smi -L >&2

step "kernel suite"
for mode in auto software default-limits; do
  case $mode in
    auto) env=() ;;
    software) env=(ALEXNET_KERNELS=software) ;;
    default-limits) env=(ALEXNET_GPU_LIMITS=default) ;;
  esac
  files=("$K"/suite/*.test.mjs)
  [ "$QUICK" = 1 ] && files=("$K/suite/gemm-tiled.test.mjs" "$K/suite/conv2d-tiled.test.mjs")
  pass=0; fail=0
  for f in "${files[@]}"; do
    line=$(env "${env[@]}" timeout 300 "$NODE" "$f" 2>>"$OUT/suite-stderr.txt" | tail -1)
    [ -z "$line" ] && line="{\"file\": \"$(basename "$f")\", \"passed\": 0, \"failed\": 1, \"failures\": [{\"name\": \"(the file)\", \"error\": \"crashed or timed out; see suite-stderr.txt\"}]}"
    echo "$mode $line" >> "$OUT/suite.txt"
    p=$(echo "$line" | sed -n 's/.*"passed":\([0-9]*\).*/\1/p'); f_=$(echo "$line" | sed -n 's/.*"failed":\([0-9]*\).*/\1/p')
    pass=$((pass + ${p:-0})); fail=$((fail + ${f_:-1}))
  done
  echo "suite $mode: $pass passed, $fail failed" | tee -a "$OUT/suite.txt" >&2
done

if [ "$QUICK" = 1 ]; then
  bench=(--image-size 67 --reps 2 --gemm-sizes 128x128x128 --elements 65536)
else
  bench=(--image-size 224 --reps 20)
fi
step "bench, kernels as chosen for the adapter"
timeout 400 "$NODE" "$K/x/run-bench.mjs" --only ceilings,gemm,conv,step --gemm-variant blocked8x8,sg16,tiled,tiled64,tiled32,auto \
  "${bench[@]}" --json "$OUT/bench-auto.json" > "$OUT/bench-auto.txt" 2>&1
step "bench, software kernels"
ALEXNET_KERNELS=software timeout 300 "$NODE" "$K/x/run-bench.mjs" --only conv,step "${bench[@]}" \
  --json "$OUT/bench-software.json" > "$OUT/bench-software.txt" 2>&1
step "our step against PyTorch on CUDA"
reps=20; [ "$QUICK" = 1 ] && reps=2
ALEXNET_PYTHON=${ALEXNET_PYTHON:-python3} ALEXNET_TORCH_DEVICE=${ALEXNET_TORCH_DEVICE:-cuda} timeout 300 "$NODE" "$K/x/run-bench.mjs" \
  --only step --compare torch --reps "$reps" "${bench[@]:0:2}" --json "$OUT/compare-torch.json" > "$OUT/compare-torch.txt" 2>&1
step "done"
ls -la "$OUT" >&2
