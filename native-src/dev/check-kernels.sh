#!/usr/bin/env bash
# Builds every native-src/*.cu as host C++ on the CPU emulation of CUDA (emulate.h) together
# with check_kernels.cpp, and runs the checks against float64 references. Needs g++ 12+ (C++20)
# and CUDA's headers (for the BF16/FP16 types); no GPU and no nvcc.
# Usage: native-src/dev/check-kernels.sh        (CUDA_HOME defaults to /usr/local/cuda)
set -euo pipefail
cd "$(dirname "$0")/../.."
cuda="${CUDA_HOME:-/usr/local/cuda}"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
flags=(-std=c++20 -O1 -pthread -I"$cuda/include" -Inative-src -Wno-deprecated-declarations)
for src in native-src/*.cu; do
    g++ "${flags[@]}" -x c++ -include native-src/dev/emulate.h -c "$src" -o "$build/$(basename "$src" .cu).o"
done
g++ "${flags[@]}" native-src/dev/check_kernels.cpp "$build"/*.o -o "$build/check_kernels"
"$build/check_kernels"
