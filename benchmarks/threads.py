"""Benchmark: torch threads per process when trainings share the CPU (as two `maxray reproduce` seeds do).

Times one epoch of the table-2 localiser (28 Adam steps of 32 maps of 134 x 128, the cpu preset's multi-car train
split mirrored) with 1 and with the machine's thread count, alone and beside a second process doing the same in a
loop; the baseline of each ratio is 1 thread in the same setting.

    python benchmarks/threads.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time


def epoch_seconds(threads: int, repeats: int) -> float:
    import torch

    from maxray_gen.learn.config import LocaliserConfig
    from maxray_gen.learn.training.localiser import LocaliserNet

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = LocaliserNet(LocaliserConfig(), (134, 128))
    opt = torch.optim.Adam(net.parameters())
    x, y = torch.randn(32, 1, 134, 128), torch.randn(32, 2)

    def epoch():
        for _ in range(28):
            loss = (net(x) - y).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

    epoch()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        epoch()
        best = min(best, time.perf_counter() - t)
    return best


def _busy(threads: int, stop) -> None:
    while not stop.is_set():
        epoch_seconds(threads, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    n = os.cpu_count() or 1
    print(f"{n} CPU cores; seconds per localiser epoch (best of {args.repeats})")
    print("| setting | 1 thread | " + f"{n} threads | ratio |")
    print("|---|---|---|---|")
    for beside in (False, True):
        row = {}
        for threads in (1, n):
            stop, proc = None, None
            if beside:  # a second training with the same thread count, as a second seed would be
                ctx = mp.get_context("spawn")
                stop = ctx.Event()
                proc = ctx.Process(target=_busy, args=(threads, stop))
                proc.start()
                time.sleep(3)
            row[threads] = epoch_seconds(threads, args.repeats)
            if proc is not None:
                stop.set()
                proc.join()
        name = "beside a second training" if beside else "alone"
        print(f"| {name} | {row[1]:.2f} | {row[n]:.2f} | {row[n] / row[1]:.2f}x |")


if __name__ == "__main__":
    main()
