"""Kernel efficiency: achieved training GFLOP/s of each cell vs the matmul rate.

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_kernels.py`` (``--quick`` for a
smoke run).

For each cell (``nn.RNN``, ``nn.GRU``, ``nn.LSTM``, seqlearn's ``PeepholeLSTM``)
one training step is a forward and a backward pass over a ``(N, L, H_in)``
batch.  Its matmul work is counted as ``3 x`` the forward matmuls (backward
computes the gradients of both inputs and weights): ``3 * 2 * N * L * G * H *
(H_in + H)`` FLOPs with ``G`` gates (1, 3, 4, 4).  The elementwise gate work is
not counted, so the achieved rate is a lower bound of what the CPU does.

Next to it, in the same run: the fp32 matmul rate of this machine on one
thread, for a large square product and for the small per-step product the
recurrence actually does (``(N, H) @ (H, G*H)``), which bounds what any RNN can
reach at this batch size.  The per-cell table and the peephole/``nn.LSTM``
ratio are medians over rounds that alternate the cells.  (Per-cell throughput
through the encoder, and padded vs packed, are in ``bench_recurrent.py``.)
"""

import argparse
import statistics

import _common
import torch
from torch import nn

from seqlearn.nn import PeepholeLSTM

GATES = {"nn.RNN": 1, "nn.GRU": 3, "nn.LSTM": 4, "PeepholeLSTM": 4}


def make_cells(input_size, hidden):
    torch.manual_seed(0)
    return {
        "nn.RNN": nn.RNN(input_size, hidden, batch_first=True),
        "nn.GRU": nn.GRU(input_size, hidden, batch_first=True),
        "nn.LSTM": nn.LSTM(input_size, hidden, batch_first=True),
        "PeepholeLSTM": PeepholeLSTM(input_size, hidden, batch_first=True),
    }


def train_step(module, x):
    def step():
        module.zero_grad(set_to_none=True)
        output, _ = module(x)
        output.square().mean().backward()

    return step


def matmul_rate(m, k, n, reps):
    """GFLOP/s of an fp32 ``(m, k) @ (k, n)`` product (median)."""
    a, b = torch.randn(m, k), torch.randn(k, n)
    inner = max(1, int(2e8 // (2 * m * k * n)))  # ~0.2 GFLOP per timing

    def run():
        for _ in range(inner):
            torch.mm(a, b)

    seconds = _common.median_time(run, reps=reps, warmup=1)
    return 2 * m * k * n * inner / seconds / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--length", type=int, default=50)
    parser.add_argument("--input-size", type=int, default=32)
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--reps", type=int, default=9)
    _common.add_clock_flag(parser)
    args = parser.parse_args(argv)
    _common.use_clock("wall" if args.wall else "cpu")
    if args.quick:
        args.length, args.reps, args.hidden = 10, 2, [32]
    _common.set_threads(1)
    _common.header("Kernel efficiency: training GFLOP/s per cell")
    n, length, h_in = args.batch, args.length, args.input_size

    peak = matmul_rate(1024, 1024, 1024, args.reps)
    print(f"fp32 matmul, 1024 x 1024 x 1024, one thread: **{peak:.1f} GFLOP/s**\n")

    rows, ratios = [], {}
    for hidden in args.hidden:
        cells = make_cells(h_in, hidden)
        x = torch.randn(n, length, h_in)
        steps = {name: train_step(m, x) for name, m in cells.items()}
        times = _common.interleaved(steps, reps=args.reps, warmup=2)
        for name, t in times.items():
            g = GATES[name]
            flops = 3 * 2 * n * length * g * hidden * (h_in + hidden)
            seconds = statistics.median(t)
            step_rate = matmul_rate(n, hidden, g * hidden, max(3, args.reps // 2))
            achieved = flops / seconds / 1e9
            rows.append(
                [
                    name,
                    hidden,
                    seconds * 1e3,
                    achieved,
                    step_rate,
                    f"{achieved / step_rate:.0%}",
                    f"{achieved / peak:.0%}",
                ]
            )
        ratios[hidden] = _common.median_ratio(times["PeepholeLSTM"], times["nn.LSTM"])
    print(f"Batch N={n}, length L={length}, H_in={h_in}; train = forward + backward.\n")
    _common.table(
        [
            "cell",
            "H",
            "train ms",
            "achieved GFLOP/s",
            "per-step matmul GFLOP/s",
            "of per-step matmul",
            "of 1024^3 matmul",
        ],
        rows,
    )
    _common.table(
        ["H", "PeepholeLSTM / nn.LSTM train time", "target"],
        [[h, f"{r:.2f}x", "<= 1.5x"] for h, r in ratios.items()],
    )


if __name__ == "__main__":
    main()
