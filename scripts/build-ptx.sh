#!/usr/bin/env bash
# Compiles every native-src/*.cu to PTX text (compute_80: it JIT-compiles on A100, H100, H200)
# and assembles each result with ptxas for sm_80 and sm_90 to prove the driver will accept it.
# Usage: scripts/build-ptx.sh [OUTPUT_DIR]   (default: kernels/src/main/resources/ptx)
# Needs nvcc and ptxas on PATH (CUDA 12.x or newer). Runs from the repository root with relative
# paths so that the PTX is byte-identical wherever the checkout lives: nvcc -ptx embeds no source
# path or timestamp without -lineinfo/-G, which are therefore not used.
# Flags: -O3; no --use_fast_math: the kernels are memory-bound, and precise expf/tanhf/division
# keep the FP32 results within 1e-5 of the CPU backend.
# PTX ISA: nvcc stamps the ISA of its own release (9.0 for CUDA 13), and a driver refuses PTX newer
# than itself (CUDA_ERROR_UNSUPPORTED_PTX_VERSION), so 9.0 would need a driver >= 580. Every
# instruction these kernels use exists in ISA 7.0 (CUDA 11.0, the first with sm_80), so the stamp is
# lowered to PTX_ISA (default 7.0) and ptxas, which rejects an instruction newer than the stamped
# ISA, proves that below: any driver since R450 can JIT the result.
set -euo pipefail
isa="${PTX_ISA:-7.0}"
cd "$(dirname "$0")/.."
out="${1:-kernels/src/main/resources/ptx}"
mkdir -p "$out"
# Drop PTX whose source is gone, so the folder always mirrors native-src exactly.
for ptx in "$out"/*.ptx; do
    [ -e "$ptx" ] || continue
    [ -e "native-src/$(basename "$ptx" .ptx).cu" ] || rm -- "$ptx"
done
# One job per source, as many at a time as there are processors.
build_one() {
    local src="$1" name
    name="$(basename "$src" .cu)"
    nvcc -ptx -arch=compute_80 -O3 -std=c++17 -Inative-src "$src" -o "$out/$name.ptx"
    sed -i "s/^\.version [0-9.]*\$/.version $isa/" "$out/$name.ptx"
    for sm in sm_80 sm_90; do
        ptxas -arch="$sm" -O3 "$out/$name.ptx" -o /dev/null
    done
    echo "$name.ptx: $(grep -c '^\.visible \.entry' "$out/$name.ptx") kernels, assembled for sm_80 and sm_90" >&2
}
export -f build_one
export out isa
printf '%s\0' native-src/*.cu | xargs -0 -n 1 -P "$(nproc)" bash -c 'set -euo pipefail; build_one "$1"' _
