#!/usr/bin/env python3
# Times one PyTorch training step of a GPT-2 family model (nanoGPT layout: tied output head,
# tanh GELU, pre-layernorm blocks) to put next to Panatrain's TrainStepBenchmark (CPU) and
# GpuStepReport (CUDA, with --device cuda; FP32, or TF32 with --tf32): zero_grad,
# forward, cross-entropy, backward, clip_grad_norm_(1.0), AdamW step (betas 0.9/0.95, eps 1e-8,
# weight decay 0.1 on 2+-D tensors only). Leaves out data loading (random tokens), dropout,
# mixed precision and the Java side.
#
# Needs Debian's python3-torch (with libopenblas0-pthread installed):
#   python3 scripts/bench/torch_step_reference.py --model gpt2-mini --batch 8 --seq 256 --threads 2 [--json out.json]
# On a GPU machine (the GPU check script runs this):
#   python3 scripts/bench/torch_step_reference.py --device cuda --model gpt2 --batch 8 --seq 1024 [--tf32]
# which also prints machine-readable lines: torch_step MODEL PRECISION B=.. T=.. MS ms TOK tok/s, and
# torch_memory MODEL B=.. T=.. BYTES (torch.cuda.max_memory_allocated over the timed steps).
import argparse
import json
import math
import os
import time

# name -> (n_layer, n_head, n_embd, n_positions, vocab_size), as Gpt2Config's presets
PRESETS = {
    "gpt2-tiny": (2, 4, 128, 128, 256),
    "gpt2-mini": (6, 6, 384, 256, 256),
    "gpt2": (12, 12, 768, 1024, 50257),
}


def build_model(torch, L, NH, C, maxT, V):
    nn = torch.nn
    F = torch.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(C)
            self.c_attn = nn.Linear(C, 3 * C)
            self.c_proj = nn.Linear(C, C)
            self.ln_2 = nn.LayerNorm(C)
            self.c_fc = nn.Linear(C, 4 * C)
            self.mlp_proj = nn.Linear(4 * C, C)

        def forward(self, x):  # x (B, T, C)
            B, T, _ = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
            q, k, v = (t.view(B, T, NH, C // NH).transpose(1, 2) for t in (q, k, v))  # (B, NH, T, HS)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // NH))  # (B, NH, T, T)
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            att = F.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, C)
            x = x + self.c_proj(y)
            return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))

    class Gpt2(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(V, C)
            self.wpe = nn.Embedding(maxT, C)
            self.h = nn.ModuleList(Block() for _ in range(L))
            self.ln_f = nn.LayerNorm(C)

        def forward(self, idx, targets):  # idx, targets (B, T)
            T = idx.shape[1]
            x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))
            for block in self.h:
                x = block(x)
            logits = self.ln_f(x) @ self.wte.weight.T  # (B, T, V), head tied to wte
            return F.cross_entropy(logits.view(-1, V), targets.view(-1))

    model = Gpt2()
    for name, p in model.named_parameters():
        if p.dim() >= 2:
            std = 0.02 / math.sqrt(2 * L) if name.endswith(("c_proj.weight", "mlp_proj.weight")) else 0.02
            torch.nn.init.normal_(p, 0.0, std)
        elif name.endswith("bias"):
            torch.nn.init.zeros_(p)
    return model


def main():
    ap = argparse.ArgumentParser(description="PyTorch GPT-2 training step time")
    ap.add_argument("--model", default="gpt2-mini", choices=sorted(PRESETS))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--tf32", action="store_true", help="on CUDA: let FP32 matmuls use TF32 tensor cores")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    L, NH, C, maxT, V = PRESETS[args.model]
    cuda = args.device == "cuda"
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    model = build_model(torch, L, NH, C, maxT, V).to(args.device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8)
    tokens = torch.randint(0, V, (args.batch, args.seq + 1)).to(args.device)
    inputs, targets = tokens[:, :-1].contiguous(), tokens[:, 1:].contiguous()

    def step():
        opt.zero_grad(set_to_none=False)
        loss = model(inputs, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    times = []
    cpu0 = time.process_time()
    for _ in range(args.steps):
        t0 = time.perf_counter()
        loss = step()   # loss.item() waits for the step's GPU work
        times.append(time.perf_counter() - t0)
    cpu_per_step = (time.process_time() - cpu0) / args.steps   # all threads' CPU time, spin-waits included
    times.sort()
    median = times[len(times) // 2]
    result = {"model": args.model, "batch": args.batch, "seq": args.seq, "threads": args.threads,
              "torch": torch.__version__, "step_seconds_median": median, "step_seconds_min": times[0],
              "tokens_per_second": args.batch * args.seq / median, "cpu_seconds_per_step": cpu_per_step,
              "loss": loss}
    print(f"{args.model} B={args.batch} T={args.seq} threads={args.threads}: median step {median * 1000:.1f} ms "
          f"(min {times[0] * 1000:.1f} ms, {cpu_per_step:.2f} CPU-s per step), {result['tokens_per_second']:.0f} tokens/s, "
          f"last loss {loss:.4f}")
    if cuda:
        precision = "tf32" if args.tf32 else "fp32"
        result["max_memory_allocated"] = torch.cuda.max_memory_allocated()
        print(f"torch_step {args.model} {precision} B={args.batch} T={args.seq} {median * 1000:.1f} ms "
              f"{result['tokens_per_second']:.0f} tok/s")
        print(f"torch_memory {args.model} B={args.batch} T={args.seq} {result['max_memory_allocated']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
