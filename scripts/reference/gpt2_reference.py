#!/usr/bin/env python3
# The independent reference for the engine's GPT-2 tests: a small GPT-2 in plain PyTorch
# (float64 math, random weights from a fixed seed) whose inputs, logits, loss, parameter
# gradients and parameters after two AdamW steps with clipping are written to one safetensors
# file as float32. It leaves out everything a test does not compare: dropout, sampling, bf16.
#
# Needs Debian's python3-torch (PyTorch 1.13+) and nothing else; run from the repo root:
#   python3 scripts/reference/gpt2_reference.py [engine/src/test/resources/reference/gpt2_reference.safetensors]
import json
import math
import struct
import sys

import torch

MAGIC = "panatrain-gpt2-reference"
VERSION = "1"
SEED = 1234
# L layers, NH heads, C channels (HS = 12: not a power of two, on purpose), maxT positions,
# V vocabulary (odd, like GPT-2's 50257), B x T tokens per batch (T < maxT: unused wpe rows).
L, NH, C, MAXT, V, B, T = 2, 4, 48, 32, 67, 2, 16
LR, BETAS, EPS, WEIGHT_DECAY, MAX_NORM = 1e-3, (0.9, 0.95), 1e-8, 0.1, 1.0
INIT_STD = 0.1  # larger than GPT-2's 0.02 so that every term of the math shows in the outputs


def parameter_shapes():
    """(HF name, shape) of every parameter, in the order GPT-2 declares them."""
    shapes = [("wte.weight", (V, C)), ("wpe.weight", (MAXT, C))]
    for i in range(L):
        p = f"h.{i}."
        shapes += [
            (p + "ln_1.weight", (C,)), (p + "ln_1.bias", (C,)),
            (p + "attn.c_attn.weight", (C, 3 * C)), (p + "attn.c_attn.bias", (3 * C,)),
            (p + "attn.c_proj.weight", (C, C)), (p + "attn.c_proj.bias", (C,)),
            (p + "ln_2.weight", (C,)), (p + "ln_2.bias", (C,)),
            (p + "mlp.c_fc.weight", (C, 4 * C)), (p + "mlp.c_fc.bias", (4 * C,)),
            (p + "mlp.c_proj.weight", (4 * C, C)), (p + "mlp.c_proj.bias", (C,)),
        ]
    return shapes + [("ln_f.weight", (C,)), ("ln_f.bias", (C,))]


def init_parameters(gen):
    params = {}
    for name, shape in parameter_shapes():
        noise = torch.randn(shape, generator=gen, dtype=torch.float64) * INIT_STD
        # layernorm weights near 1, everything else near 0
        params[name] = (noise + 1.0 if name.endswith("ln_1.weight") or name.endswith("ln_2.weight")
                        or name == "ln_f.weight" else noise).requires_grad_(True)
    return params


def layer_norm(x, w, b):
    return torch.nn.functional.layer_norm(x, (C,), w, b, eps=1e-5)


def attention(x, w, b):
    qkv = x @ w + b                                   # (B,T,3C), HF Conv1D: in x out
    q, k, v = qkv.split(C, dim=2)
    hs = C // NH
    q, k, v = (t.view(B, T, NH, hs).transpose(1, 2) for t in (q, k, v))  # (B,NH,T,HS)
    att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)   # (B,NH,T,T)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    att = torch.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
    return (att @ v).transpose(1, 2).reshape(B, T, C)


def forward(params, idx):
    """Logits (B,T,V) of tokens idx (B,T)."""
    x = params["wte.weight"][idx] + params["wpe.weight"][:T]
    for i in range(L):
        p = lambda n: params[f"h.{i}.{n}"]
        a = attention(layer_norm(x, p("ln_1.weight"), p("ln_1.bias")), p("attn.c_attn.weight"), p("attn.c_attn.bias"))
        x = x + a @ p("attn.c_proj.weight") + p("attn.c_proj.bias")
        h = layer_norm(x, p("ln_2.weight"), p("ln_2.bias")) @ p("mlp.c_fc.weight") + p("mlp.c_fc.bias")
        h = torch.nn.functional.gelu(h, approximate="tanh")
        x = x + h @ p("mlp.c_proj.weight") + p("mlp.c_proj.bias")
    x = layer_norm(x, params["ln_f.weight"], params["ln_f.bias"])
    return x @ params["wte.weight"].t()


def loss_of(logits, targets):
    return torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))


def write_safetensors(path, tensors, metadata):
    """The safetensors format by hand: u64 LE header length, JSON header, raw LE data."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dtype, data = (("I32", t.to(torch.int32).numpy().astype("<i4").tobytes()) if not t.is_floating_point()
                       else ("F32", t.to(torch.float32).numpy().astype("<f4").tobytes()))
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)                  # pad so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "engine/src/test/resources/reference/gpt2_reference.safetensors"
    gen = torch.Generator().manual_seed(SEED)
    params = init_parameters(gen)
    batches = [(torch.randint(0, V, (B, T), generator=gen), torch.randint(0, V, (B, T), generator=gen))
               for _ in range(2)]
    out = {}
    for name, p in params.items():
        out["param." + name] = p.detach().clone()  # opt.step() updates p in place
    for s, (x, y) in enumerate(batches):
        out[f"inputs.{s}"], out[f"targets.{s}"] = x, y

    # nanoGPT's parameter groups: decay on 2+-D tensors (weights, embeddings), none on biases and norms
    decay = [p for p in params.values() if p.dim() >= 2]
    no_decay = [p for p in params.values() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}], lr=LR, betas=BETAS, eps=EPS)
    norms = []
    for s, (x, y) in enumerate(batches):
        opt.zero_grad(set_to_none=True)
        logits = forward(params, x)
        loss = loss_of(logits, y)
        loss.backward()
        if s == 0:
            out["logits"], out["loss"] = logits, loss.reshape(1)
            for name, p in params.items():
                out["grad." + name] = p.grad.clone()
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(params.values()), MAX_NORM)))
        opt.step()
    for name, p in params.items():
        out["after2." + name] = p
    out["grad_norm"] = torch.tensor(norms, dtype=torch.float64)

    metadata = {"magic": MAGIC, "version": VERSION, "seed": str(SEED),
                "n_layer": str(L), "n_head": str(NH), "n_embd": str(C), "n_positions": str(MAXT),
                "vocab_size": str(V), "batch": str(B), "seq": str(T), "lr": repr(LR),
                "beta1": repr(BETAS[0]), "beta2": repr(BETAS[1]), "eps": repr(EPS),
                "weight_decay": repr(WEIGHT_DECAY), "max_norm": repr(MAX_NORM)}
    write_safetensors(out_path, out, metadata)
    print(f"wrote {out_path}: loss {float(out['loss']):.6f}, pre-clip grad norms {norms}")


if __name__ == "__main__":
    main()
