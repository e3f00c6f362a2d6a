"""Benchmark: radio-visual training throughput (samples/s) per method and input size, fp32 eager as the baseline.

Each case times full optimiser steps (forward, backward, Adam) on random inputs with the model's real shapes, after
warm-up steps; the first case of each size (CL, fp32, eager) is the baseline its ratios refer to. On a GPU the
optimised variant (bf16 autocast + channels-last, and torch.compile with --compile) is measured beside it. The
last column extrapolates the paper's schedule: 200 epochs of 24k samples.

    python benchmarks/train.py [--sizes 480x640,120x160] [--batch 8] [--steps 3] [--width 1.0] [--markdown]
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from maxray_gen.learn.config import SSLConfig
from maxray_gen.learn.training.train_ssl import build_model


def step_rate(method: str, hw: tuple[int, int], batch: int, steps: int, width: float, device: torch.device,
              amp: bool, channels_last: bool, compile_: bool) -> float:
    cfg = SSLConfig(method=method, batch_size=batch, backbone={"width": width}, input={"radio_size": list(hw)})
    model = build_model(cfg, hw, hw, batch).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    fn = torch.compile(model) if compile_ else model
    opt = torch.optim.Adam(model.parameters(), lr=1e-5)
    g = torch.Generator().manual_seed(0)
    radio = torch.rand(batch, 1, *hw, generator=g).to(device)
    image = torch.randn(batch, 3, *hw, generator=g).to(device)
    if channels_last:
        radio, image = radio.contiguous(memory_format=torch.channels_last), image.contiguous(memory_format=torch.channels_last)
    x0 = torch.randint(0, hw[1] // 2, (batch,), generator=g).float()
    y0 = torch.randint(0, hw[0] // 2, (batch,), generator=g).float()
    boxes = torch.stack([x0, y0, x0 + hw[1] // 4, y0 + hw[0] // 4], 1)

    def one():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = fn(radio, image, boxes)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(2 if compile_ else 1):
        one()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        one()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="480x640,120x160", help="HxW of both inputs")
    ap.add_argument("--batch", type=int, default=None, help="default: 4 on CPU, 32 on GPU")
    ap.add_argument("--steps", type=int, default=None, help="default: 2 on CPU, 20 on GPU")
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    batch = args.batch or (32 if cuda else 4)
    steps = args.steps or (20 if cuda else 2)
    name = torch.cuda.get_device_name() if cuda else f"{platform.processor() or 'cpu'}, {torch.get_num_threads()} threads"
    print(f"# training throughput on {name}, torch {torch.__version__}, batch {batch}, width {args.width}")
    rows = []
    variants = [("fp32 eager", False, False, False)]
    if cuda:
        variants.append(("bf16 + channels-last", True, True, False))
        if args.compile:
            variants.append(("bf16 + channels-last + compile", True, True, True))
    for size in args.sizes.split(","):
        hw = tuple(int(v) for v in size.split("x"))
        base = None
        for method in ("cl", "mcl", "scl"):
            for label, amp, cl, comp in variants:
                rate = step_rate(method, hw, batch, steps, args.width, device, amp, cl, comp)
                base = base or rate
                hours = 200 * 24_000 / rate / 3600
                rows.append((f"{hw[0]}x{hw[1]}", method, label, rate, rate / base, hours))
                print(f"{hw[0]}x{hw[1]} {method:3s} {label:32s} {rate:9.2f} samples/s  x{rate / base:5.2f}  "
                      f"200 epochs x 24k: {hours:8.1f} h", flush=True)
    if args.markdown:
        print("\n| input | method | variant | samples/s | vs CL fp32 | 200 x 24k (h) |\n|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.2f} | {r[4]:.2f} | {r[5]:.1f} |")


if __name__ == "__main__":
    main()
