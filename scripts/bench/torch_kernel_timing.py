#!/usr/bin/env python3
# PyTorch CPU timings of the ops the CPU backend implements, at gpt2-mini shapes (B=8, T=256,
# C=384, NH=6, V=256), to set next to the Java numbers of CpuKernelsTiming (kernels test sources)
# measured in the same run on the same threads. Leaves out matmul (the GEMM benchmarks) and
# anything but float32. Needs Debian's python3-torch.
#   python3 scripts/bench/torch_kernel_timing.py [threads]
import math
import sys
import time

import torch

B, T, C, NH, V = 8, 256, 384, 6, 256
N, HS = B * T, C // NH
PARAMS = 6 * 12 * C * C + V * C + T * C  # about gpt2-mini's parameter count, as CpuKernelsTiming


def best_ms(fn, calls=20):
    for _ in range(5):
        fn()
    best = float("inf")
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def report(name, fn):
    print("%-32s %8.3f ms" % (name, best_ms(fn)))


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else torch.get_num_threads()
    torch.set_num_threads(threads)
    print("torch %s, %d threads, B=%d T=%d C=%d NH=%d V=%d; best of 20 calls" % (torch.__version__, threads, B, T, C, NH, V))

    qkv = torch.randn(B, T, 3 * C, requires_grad=True)
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))

    def attention():  # nanoGPT's non-flash path
        q, k, v = qkv.split(C, dim=2)
        heads = lambda x: x.view(B, T, NH, HS).transpose(1, 2)
        att = (heads(q) @ heads(k).transpose(-2, -1)) * (1.0 / math.sqrt(HS))
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        return (att @ heads(v)).transpose(1, 2).contiguous().view(B, T, C)

    def with_backward(forward, leaf, dout):
        def run():
            leaf.grad = None
            forward().backward(dout)
        return run

    with torch.no_grad():
        report("attention forward", attention)
    report("attention forward+backward", with_backward(attention, qkv, torch.randn(B, T, C)))

    x, w, b = torch.randn(N, C, requires_grad=True), torch.randn(C, requires_grad=True), torch.randn(C, requires_grad=True)
    layernorm = lambda: torch.nn.functional.layer_norm(x, (C,), w, b)
    with torch.no_grad():
        report("layernorm forward (N,C)", layernorm)
    report("layernorm forward+backward (N,C)", with_backward(layernorm, x, torch.randn(N, C)))

    h = torch.randn(N, 4 * C, requires_grad=True)
    gelu = lambda: torch.nn.functional.gelu(h, approximate="tanh")
    with torch.no_grad():
        report("gelu forward (N,4C)", gelu)
    report("gelu forward+backward (N,4C)", with_backward(gelu, h, torch.randn(N, 4 * C)))

    logits, targets = torch.randn(N, V, requires_grad=True), torch.randint(0, V, (N,))
    report("cross-entropy fwd+bwd (N,V)", with_backward(lambda: torch.nn.functional.cross_entropy(logits, targets),
                                                        logits, torch.tensor(1.0)))

    p = torch.nn.Parameter(torch.randn(PARAMS))
    p.grad = torch.randn(PARAMS)
    opt = torch.optim.AdamW([p], lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
    report("adamW (%d)" % PARAMS, opt.step)
    report("clip_grad_norm_ (%d)" % PARAMS, lambda: torch.nn.utils.clip_grad_norm_([p], 1e9))


if __name__ == "__main__":
    main()
