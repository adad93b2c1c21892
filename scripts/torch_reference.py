"""PyTorch's side of the GPU check: torch.matmul TFLOPS for the shapes GpuCheckReport lists (read
from stdin as "shape NAME M N K" lines) in fp32, tf32, bf16 and fp16, and host-to-device copy
GB/s from pinned and pageable memory, printed as "torch_gemm PRECISION SHAPE TFLOPS" and
"torch_h2d pinned|pageable GB/S" lines. Needs PyTorch with CUDA (Debian: python3-torch has no
CUDA; use a CUDA build). Leaves out everything but timing: numbers are best of three."""
import sys

import torch


def gemm_tflops(m, n, k, dtype, tf32):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    a = torch.randn(m, k, device="cuda", dtype=dtype)
    b = torch.randn(k, n, device="cuda", dtype=dtype)
    iterations = 10 if 2.0 * m * n * k > 1e12 else 50
    best = 0.0
    for r in range(3):
        for _ in range(3 if r == 0 else 1):
            torch.matmul(a, b)
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iterations):
            torch.matmul(a, b)
        stop.record()
        stop.synchronize()
        seconds = start.elapsed_time(stop) / 1e3
        best = max(best, 2.0 * m * n * k * iterations / seconds / 1e12)
    del a, b
    torch.cuda.empty_cache()
    return best


def h2d_gbps(pinned):
    n = 64 << 20  # fp32 elements: 256 MiB, as GpuCheckReport
    src = torch.empty(n, dtype=torch.float32, pin_memory=pinned)
    dst = torch.empty(n, dtype=torch.float32, device="cuda")
    best = 0.0
    for r in range(4):
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        start.record()
        dst.copy_(src, non_blocking=pinned)
        stop.record()
        stop.synchronize()
        if r > 0:
            best = max(best, 4.0 * n / (start.elapsed_time(stop) / 1e3) / 1e9)
    return best


def main():
    if not torch.cuda.is_available():
        print("torch has no CUDA here", file=sys.stderr)
        sys.exit(2)
    precisions = [("fp32", torch.float32, False), ("tf32", torch.float32, True),
                  ("bf16", torch.bfloat16, False), ("fp16", torch.float16, False)]
    quick = "--quick" in sys.argv
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 5 or parts[0] != "shape":
            continue
        name, m, n, k = parts[1], int(parts[2]), int(parts[3]), int(parts[4])
        for label, dtype, tf32 in precisions:
            if quick and (label != "bf16" and name != "square-8192"):
                continue
            print(f"torch_gemm {label} {name} {gemm_tflops(m, n, k, dtype, tf32):.1f}", flush=True)
    print(f"torch_h2d pinned {h2d_gbps(True):.1f}")
    print(f"torch_h2d pageable {h2d_gbps(False):.1f}")


if __name__ == "__main__":
    main()
