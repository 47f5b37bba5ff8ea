#!/bin/bash
# The shipped models' weights (models/*/model.safetensors, ~21 MB each) are tracked, so they
# would travel with every device call, and with the kit they exceed the 64 MiB a call carries;
# the GPU run does not need them. `out` moves them to /tmp/alexnet-parked-models before the call,
# `back` puts them back after it (byte for byte; git status is clean again).
set -euo pipefail
cd "$(dirname "$0")/../.."
P=/tmp/alexnet-parked-models
case "${1:-}" in
  out)
    for f in models/*/model.safetensors; do mkdir -p "$P/$(dirname "$f")"; mv "$f" "$P/$f"; echo "parked $f"; done ;;
  back)
    for f in "$P"/models/*/model.safetensors; do r=${f#"$P"/}; mv "$f" "$r"; echo "restored $r"; done
    git diff --quiet -- models && echo "models/ as committed" ;;
  *) echo "usage: $0 out|back" >&2; exit 2 ;;
esac
