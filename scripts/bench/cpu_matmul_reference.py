#!/usr/bin/env python3
# GFLOP/s of numpy (OpenBLAS) and torch.matmul for the shapes of Panatrain's CpuMatmulBenchmark,
# with a fixed thread count, to put next to the JMH numbers measured in the same run. Leaves out
# the Java side (jmh-benchmarks) and any plotting.
#
# Needs Debian's python3-numpy and python3-torch (with libopenblas0-pthread installed):
#   python3 scripts/bench/cpu_matmul_reference.py --threads 2 [--json out.json] [--shapes NAME:MxKxN:OP ...]
# A shape is out (M,N) = op(a) @ op(b) with OP one of NN, NT, TN, TT (T: that operand is stored
# transposed, as Kernels.matmul's transA/transB). GFLOP/s = 2*M*N*K / median seconds per product.
import argparse
import json
import os
import sys
import time

# Shapes: the names and values are those of CpuMatmulBenchmark's @Param list.
DEFAULT_SHAPES = [
    "square1024:1024x1024x1024:NN",
    # gpt2-mini (C=384, B=8, T=256 -> 2048 rows, V=256): forward, then backward dX (NT) and dW (TN)
    "mini.qkv:2048x384x1152:NN",
    "mini.fc:2048x384x1536:NN",
    "mini.proj:2048x1536x384:NN",
    "mini.logits:2048x384x256:NT",
    "mini.fc.dx:2048x1536x384:NT",
    "mini.fc.dw:384x2048x1536:TN",
    "mini.proj.dx:2048x384x1536:NT",
    "mini.proj.dw:1536x2048x384:TN",
    # gpt2 124M (C=768, B=4, T=1024 -> 4096 rows): forward
    "gpt2.qkv:4096x768x2304:NN",
    "gpt2.fc:4096x768x3072:NN",
    "gpt2.proj:4096x3072x768:NN",
]


def parse_shape(spec):
    name, dims, op = spec.split(":")
    m, k, n = dims.split("x")
    if op not in ("NN", "NT", "TN", "TT"):
        sys.exit(f"shape {spec}: OP must be NN, NT, TN or TT")
    return name, int(m), int(k), int(n), op


def operands(np, m, k, n, op):
    """op(a) (M,K) and op(b) (K,N) as numpy views of arrays stored transposed where OP says T."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if op[0] == "T" else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if op[1] == "T" else (k, n), dtype=np.float32)
    return (a.T if op[0] == "T" else a), (b.T if op[1] == "T" else b)


def median_seconds(run, min_seconds, min_reps):
    run()  # warm-up
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser(description="numpy and torch.matmul GFLOP/s at CpuMatmulBenchmark's shapes")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--shapes", nargs="*", default=DEFAULT_SHAPES, help="NAME:MxKxN:OP")
    ap.add_argument("--min-seconds", type=float, default=1.0, help="time per shape and library")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    # BLAS thread pools read these when the library loads, so set them before importing numpy/torch
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)

    results = []
    print(f"{'shape':16} {'M':>6} {'K':>6} {'N':>6} {'op':>3} {'numpy GFLOP/s':>14} {'torch GFLOP/s':>14}")
    for spec in args.shapes:
        name, m, k, n, op = parse_shape(spec)
        flops = 2.0 * m * n * k
        row = {"shape": name, "M": m, "K": k, "N": n, "op": op, "threads": args.threads}
        a, b = operands(np, m, k, n, op)
        out = np.empty((m, n), dtype=np.float32)
        row["numpy_gflops"] = flops / median_seconds(lambda: np.matmul(a, b, out=out), args.min_seconds, 5) / 1e9
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)   # same memory, same strides
        tout = torch.empty((m, n), dtype=torch.float32)
        row["torch_gflops"] = flops / median_seconds(lambda: torch.matmul(ta, tb, out=tout), args.min_seconds, 5) / 1e9
        results.append(row)
        print(f"{name:16} {m:6} {k:6} {n:6} {op:>3} {row['numpy_gflops']:14.1f} {row['torch_gflops']:14.1f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"numpy": np.__version__, "torch": torch.__version__, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
