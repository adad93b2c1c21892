#!/usr/bin/env python3
# Generates the per-op reference data the CPU kernel tests compare against: each op's forward
# and backward computed by PyTorch autograd in float64 from a fixed seed, written as small binary
# files. Leaves out matmul (its own benchmarks/tests) and whole-model references (issue 2 item 7).
#
# Needs Debian's python3-torch (PyTorch 1.13) and numpy.
#   python3 scripts/reference/kernel_reference.py kernels/src/test/resources/reference
#
# File format (little-endian), one file per op, read by ReferenceData in the kernel tests:
#   int32 magic 0x46525450 ("PTRF" as bytes), int32 version 1, int32 array count, then per array:
#   int32 name length, name bytes (UTF-8), int32 rank, rank x int32 dims,
#   prod(dims) x float32 values (row-major). Integer data (token ids, targets) is stored as float32;
#   scalars are arrays of shape [1].
import math
import struct
import sys
from pathlib import Path

import torch

MAGIC = 0x46525450
VERSION = 1


def write(path, arrays):
    with open(path, "wb") as f:
        f.write(struct.pack("<iii", MAGIC, VERSION, len(arrays)))
        for name, value in arrays.items():
            t = torch.as_tensor(value, dtype=torch.float64).detach().contiguous()
            data = t.to(torch.float32).numpy().astype("<f4").tobytes()
            raw = name.encode("utf-8")
            f.write(struct.pack("<i", len(raw)) + raw)
            f.write(struct.pack("<i", t.dim()))
            f.write(struct.pack("<%di" % t.dim(), *t.shape))
            f.write(data)


def leaf(*shape, scale=1.0):
    # Values are rounded to float32 first so that the Java side (fp32 inputs) sees the same inputs.
    return (torch.randn(*shape, dtype=torch.float64) * scale).float().double().requires_grad_(True)


def layernorm(out_dir):
    B, T, C = 2, 5, 33
    inp, weight, bias = leaf(B, T, C, scale=2.0), leaf(C), leaf(C)
    with torch.no_grad():
        inp += 0.5  # a non-zero mean
    out = torch.nn.functional.layer_norm(inp, (C,), weight, bias, eps=1e-5)
    dout = leaf(B, T, C).detach()
    out.backward(dout)
    mean = inp.mean(-1)
    rstd = 1.0 / torch.sqrt(inp.var(-1, unbiased=False) + 1e-5)
    write(out_dir / "layernorm.bin", dict(inp=inp, weight=weight, bias=bias, out=out, mean=mean, rstd=rstd,
                                          dout=dout, dinp=inp.grad, dweight=weight.grad, dbias=bias.grad))


def gelu(out_dir):
    x = leaf(1000, scale=3.0)
    out = torch.nn.functional.gelu(x, approximate="tanh")
    dout = leaf(1000).detach()
    out.backward(dout)
    write(out_dir / "gelu.bin", dict(inp=x, out=out, dout=dout, dinp=x.grad))


def attention(out_dir):
    B, T, NH, HS = 2, 7, 3, 5
    C = NH * HS
    qkv = leaf(B, T, 3 * C)
    q, k, v = qkv.split(C, dim=2)
    heads = lambda x: x.view(B, T, NH, HS).transpose(1, 2)  # (B, NH, T, HS)
    scores = heads(q) @ heads(k).transpose(-2, -1) / math.sqrt(HS)
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    att = torch.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1)
    out = (att @ heads(v)).transpose(1, 2).contiguous().view(B, T, C)
    dout = leaf(B, T, C).detach()
    out.backward(dout)
    write(out_dir / "attention.bin", dict(qkv=qkv, numHeads=[NH], out=out, att=att, dout=dout, dqkv=qkv.grad))


def cross_entropy(out_dir):
    N, V = 9, 11
    logits = leaf(N, V, scale=3.0)
    targets = torch.randint(0, V, (N,))
    losses = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
    losses.mean().backward()
    write(out_dir / "crossentropy.bin", dict(logits=logits, targets=targets, losses=losses,
                                             dlossScale=[1.0 / N], dlogits=logits.grad))


def adamw(out_dir):
    lr, beta1, beta2, eps, wd = 1e-2, 0.9, 0.95, 1e-8, 0.1
    param = leaf(7, 13)
    p0 = param.detach().clone()
    grads = [leaf(7, 13).detach(), leaf(7, 13).detach()]
    opt = torch.optim.AdamW([param], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=wd)
    after = []
    for g in grads:
        param.grad = g.clone()
        opt.step()
        after.append(param.detach().clone())
    state = opt.state[param]
    write(out_dir / "adamw.bin", dict(param=p0, grad1=grads[0], grad2=grads[1], lr=[lr], beta1=[beta1],
                                      beta2=[beta2], eps=[eps], weightDecay=[wd], param1=after[0],
                                      param2=after[1], m2=state["exp_avg"], v2=state["exp_avg_sq"]))


def clip_grad_norm(out_dir):
    a, b = leaf(5, 7), leaf(19)
    a.grad, b.grad = leaf(5, 7).detach() * 2, leaf(19).detach() * 2
    ga, gb = a.grad.clone(), b.grad.clone()
    max_norm = 1.0
    norm = torch.nn.utils.clip_grad_norm_([a, b], max_norm)
    write(out_dir / "clipgradnorm.bin", dict(a=ga, b=gb, maxNorm=[max_norm], norm=[norm.item()],
                                             clippedA=a.grad, clippedB=b.grad))


def main():
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "kernels/src/test/resources/reference")
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1234)
    for make in (layernorm, gelu, attention, cross_entropy, adamw, clip_grad_norm):
        make(out_dir)


if __name__ == "__main__":
    main()
