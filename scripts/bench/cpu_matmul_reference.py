#!/usr/bin/env python3
# GFLOP/s of numpy (OpenBLAS) and torch.matmul for the shapes of Panatrain's CpuMatmulBenchmark,
# with a fixed thread count, to put next to the JMH numbers measured in the same run. Leaves out
# the Java side (jmh-benchmarks) and any plotting.
#
# Needs Debian's python3-numpy and python3-torch (with libopenblas0-pthread installed):
#   python3 scripts/bench/cpu_matmul_reference.py --threads 2 [--json out.json] [--shapes NAME:MxKxN:OP ...]
#       [--jmh matmul.json]   (JMH's -rf json output of CpuMatmulBenchmark: adds Panatrain's GFLOP/s
#                              and its ratio to numpy's and torch's, shape by shape)
# A shape is out (M,N) = op(a) @ op(b) with OP one of NN, NT, TN, TT (T: that operand is stored
# transposed, as Kernels.matmul's transA/transB). GFLOP/s = 2*M*N*K / seconds per product, from the
# median and from the fastest call; with --jmh, best/best is our best iteration over numpy's fastest call.
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


def jmh_gflops(path, threads):
    """shape string -> (mean, best) GFLOP/s of the gflop secondary metric of CpuMatmulBenchmark runs."""
    with open(path) as f:
        runs = json.load(f)
    out = {}
    for r in runs:
        if r["benchmark"].endswith("CpuMatmulBenchmark.matmul") and int(r["params"]["threads"]) == threads:
            g = r["secondaryMetrics"]["gflop"]
            out[r["params"]["shape"]] = (g["score"], max(x for fork in g["rawData"] for x in fork))
    return out


def seconds(run, min_seconds, min_reps):
    """(median, min) seconds of run() over at least min_reps calls and min_seconds, after a warm-up call."""
    run()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], times[0]


def main():
    ap = argparse.ArgumentParser(description="numpy and torch.matmul GFLOP/s at CpuMatmulBenchmark's shapes")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--shapes", nargs="*", default=DEFAULT_SHAPES, help="NAME:MxKxN:OP")
    ap.add_argument("--min-seconds", type=float, default=1.0, help="time per shape and library")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--jmh", help="CpuMatmulBenchmark results (JMH -rf json) to compare with")
    ap.add_argument("--list-shapes", action="store_true", help="print the default shapes, one a line, and exit")
    ap.add_argument("--no-header", action="store_true", help="leave out the table's header line")
    args = ap.parse_args()
    if args.list_shapes:
        print("\n".join(DEFAULT_SHAPES))
        return
    # BLAS thread pools read these when the library loads, so set them before importing numpy/torch
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)

    ours = jmh_gflops(args.jmh, args.threads) if args.jmh else {}
    results = []
    # median and best (fastest call) GFLOP/s; Panatrain's are JMH's mean and best iteration
    if not args.no_header:
        print(f"{'shape':16} {'M':>5} {'K':>5} {'N':>5} {'op':>3} {'numpy med/best':>15} {'torch med/best':>15}"
              + (f" {'ours mean/best':>15} {'/numpy':>6} {'/torch':>6} {'best/best':>9}" if ours else ""))
    for spec in args.shapes:
        name, m, k, n, op = parse_shape(spec)
        flops = 2.0 * m * n * k
        row = {"shape": name, "M": m, "K": k, "N": n, "op": op, "threads": args.threads}
        a, b = operands(np, m, k, n, op)
        for lib, x, y, out in (("numpy", a, b, np.empty((m, n), dtype=np.float32)),
                               ("torch", torch.from_numpy(a), torch.from_numpy(b), torch.empty((m, n)))):
            matmul = np.matmul if lib == "numpy" else torch.matmul   # x, y: same memory and strides
            median, fastest = seconds(lambda: matmul(x, y, out=out), args.min_seconds, 5)
            row[lib + "_gflops"], row[lib + "_best_gflops"] = flops / median / 1e9, flops / fastest / 1e9
        line = (f"{name:16} {m:5} {k:5} {n:5} {op:>3} {row['numpy_gflops']:7.1f}/{row['numpy_best_gflops']:<7.1f}"
                f" {row['torch_gflops']:7.1f}/{row['torch_best_gflops']:<7.1f}")
        if spec in ours:
            row["panatrain_gflops"], row["panatrain_best_gflops"] = ours[spec]
            row["ratio_numpy"] = row["panatrain_gflops"] / row["numpy_gflops"]
            row["ratio_torch"] = row["panatrain_gflops"] / row["torch_gflops"]
            row["ratio_best_numpy"] = row["panatrain_best_gflops"] / row["numpy_best_gflops"]
            line += (f" {row['panatrain_gflops']:7.1f}/{row['panatrain_best_gflops']:<7.1f}"
                     f" {row['ratio_numpy']:6.2f} {row['ratio_torch']:6.2f} {row['ratio_best_numpy']:9.2f}")
        results.append(row)
        print(line, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"numpy": np.__version__, "torch": torch.__version__, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
