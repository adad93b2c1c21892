#!/usr/bin/env bash
# Compiles every native-src/*.cu to PTX text (compute_80: it JIT-compiles on A100, H100, H200)
# and assembles each result with ptxas for sm_80 and sm_90 to prove the driver will accept it.
# Usage: scripts/build-ptx.sh [OUTPUT_DIR]   (default: kernels/src/main/resources/ptx)
# Needs nvcc and ptxas on PATH (CUDA 12.x or newer). Runs from the repository root with relative
# paths so that the PTX is byte-identical wherever the checkout lives: nvcc -ptx embeds no source
# path or timestamp without -lineinfo/-G, which are therefore not used.
# Flags: -O3; no --use_fast_math: the kernels are memory-bound, and precise expf/tanhf/division
# keep the FP32 results within 1e-5 of the CPU backend.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-kernels/src/main/resources/ptx}"
mkdir -p "$out"
# Drop PTX whose source is gone, so the folder always mirrors native-src exactly.
for ptx in "$out"/*.ptx; do
    [ -e "$ptx" ] || continue
    [ -e "native-src/$(basename "$ptx" .ptx).cu" ] || rm -- "$ptx"
done
for src in native-src/*.cu; do
    name="$(basename "$src" .cu)"
    nvcc -ptx -arch=compute_80 -O3 -std=c++17 -Inative-src "$src" -o "$out/$name.ptx"
    for sm in sm_80 sm_90; do
        ptxas -arch="$sm" -O3 "$out/$name.ptx" -o /dev/null
    done
    echo "$name.ptx: $(grep -c '^\.visible \.entry' "$out/$name.ptx") kernels, assembled for sm_80 and sm_90" >&2
done
