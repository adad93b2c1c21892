#!/usr/bin/env python3
"""Writes a small safetensors file with an independent, hand-rolled writer (struct + json), so
that Panatrain's reader is tested against bytes it did not produce. Needs numpy and PyTorch
(Debian: python3-numpy, python3-torch) for the FP16/BF16 roundings; no safetensors package.

Tensors cover every dtype Panatrain reads, a scalar, an empty tensor, and a data order that
differs from the header order (so FP32 data starts at an offset that is not a multiple of 4).

Usage: python3 scripts/reference/make_safetensors_fixture.py [OUT]
  default OUT: engine/src/test/resources/org/panatrain/engine/io/reference.safetensors
"""
import json
import struct
import sys

import numpy as np
import torch

DEFAULT_OUT = "engine/src/test/resources/org/panatrain/engine/io/reference.safetensors"


def tensors():
    """(name, dtype, shape, raw little-endian bytes), in header order."""
    f32 = np.array([[0.5, -1.25, 3.0], [1e-3, -0.0, 65504.0]], dtype="<f4")
    bf16 = torch.tensor([1.0, -2.5, 0.1, 3e38], dtype=torch.float32).to(torch.bfloat16)
    f16 = np.array([1.0, 0.1, 65504.0], dtype=np.float32).astype("<f2")
    # FP8 codes by hand from the OCP FP8 definitions (torch 1.13 has no float8):
    # E4M3 0x38 = 1.0, 0x7E = 448, 0xB0 = -0.5, 0x01 = 2^-9; E5M2 0x3C = 1.0, 0x7B = 57344, 0x7C = inf.
    return [
        ("h.0.attn.c_attn.weight", "F32", [2, 3], f32.tobytes()),
        ("wte.weight", "BF16", [2, 2], bf16.view(torch.int16).numpy().astype("<i2").tobytes()),
        ("ln_f.bias", "F16", [3], f16.tobytes()),
        ("tokens", "I32", [4], np.array([0, -1, 2**31 - 1, 50256], dtype="<i4").tobytes()),
        ("ids", "U16", [2], np.array([0, 65535], dtype="<u2").tobytes()),
        ("i8", "I8", [3], np.array([-128, 0, 127], dtype="i1").tobytes()),
        ("fp8", "F8_E4M3", [4], bytes([0x38, 0x7E, 0xB0, 0x01])),
        ("fp8b", "F8_E5M2", [3], bytes([0x3C, 0x7B, 0x7C])),
        ("scalar", "F32", [], np.array(7.0, dtype="<f4").tobytes()),
        ("empty", "F32", [0, 4], b""),
    ]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    items = tensors()
    # Data in a different order from the header: the 1-byte tensors first.
    data_order = ["fp8b", "i8", "h.0.attn.c_attn.weight", "fp8", "empty", "wte.weight",
                  "ids", "scalar", "tokens", "ln_f.bias"]
    by_name = {name: (dtype, shape, raw) for name, dtype, shape, raw in items}
    offsets, data, at = {}, b"", 0
    for name in data_order:
        raw = by_name[name][2]
        offsets[name] = [at, at + len(raw)]
        data += raw
        at += len(raw)
    header = {"__metadata__": {"format": "pt", "n_layer": "2"}}
    for name, dtype, shape, _ in items:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": offsets[name]}
    text = json.dumps(header).encode("utf-8")  # default separators: spaces after , and :
    text += b" " * (-len(text) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)
    print(f"wrote {out}: {8 + len(text) + len(data)} bytes")


if __name__ == "__main__":
    main()
