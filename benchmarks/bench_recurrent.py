"""Speed of the seqlearn.nn recurrent backbone, printed as Markdown tables.

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_recurrent.py`` (``--quick`` for a
smoke run). Three tables:

1. every cell through :class:`~seqlearn.nn.RecurrentEncoder`, training
   (forward + backward) and inference throughput;
2. the raw modules ``nn.LSTM`` and ``PeepholeLSTM`` and the ratio of their
   training times;
3. the encoder's padded strategy against ``nn.LSTM`` on a ``PackedSequence``,
   on a ragged batch with lengths uniform in [L/5, L].

Times are medians over ``--reps`` repetitions after warm-up, so a neighbour
briefly stealing the CPU moves them little.
"""

import argparse
import platform
import statistics
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqlearn.nn import PeepholeLSTM, RecurrentEncoder

CELLS = ("rnn", "lstm", "gru", "peephole")


def median_time(step, reps, warmup):
    """Median wall time of ``step()`` in seconds."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def train_step(module, forward):
    """One forward + backward with a scalar loss on every output."""

    def step():
        module.zero_grad(set_to_none=True)
        loss = sum(out.square().mean() for out in forward())
        loss.backward()

    return step


def infer_step(forward):
    def step():
        with torch.inference_mode():
            forward()

    return step


def raw_forward(module, x):
    def forward():
        output, (h_n, _) = module(x)
        return output, h_n

    return forward


def encoder_forward(encoder, x, lengths):
    return lambda: encoder(x, lengths)


def packed_forward(lstm, x, lengths):
    """nn.LSTM on a PackedSequence, returning what the encoder returns."""

    def forward():
        packed = pack_padded_sequence(
            x, lengths, batch_first=True, enforce_sorted=False
        )
        output, (h_n, _) = lstm(packed)
        output, _ = pad_packed_sequence(
            output, batch_first=True, total_length=x.shape[1]
        )
        summary = torch.cat([h_n[-2], h_n[-1]], -1) if lstm.bidirectional else h_n[-1]
        return output, summary

    return forward


def fmt_rate(batch, seconds):
    return f"{batch / seconds:,.0f}"


def bench_cells(args, x, lengths):
    print(
        f"\n### RecurrentEncoder, every cell (N={args.batch}, L={args.length}, "
        f"H_in={args.input_size}, H_out={args.hidden})\n"
    )
    print("| cell | bidirectional | train seq/s | infer seq/s | train ms | infer ms |")
    print("|---|---|---:|---:|---:|---:|")
    for bidirectional in (False, True):
        for cell in CELLS:
            torch.manual_seed(0)
            encoder = RecurrentEncoder(
                cell, args.input_size, args.hidden, bidirectional=bidirectional
            )
            forward = encoder_forward(encoder, x, lengths)
            train = median_time(train_step(encoder, forward), args.reps, args.warmup)
            infer = median_time(infer_step(forward), args.reps, args.warmup)
            print(
                f"| {cell} | {bidirectional} | {fmt_rate(args.batch, train)} | "
                f"{fmt_rate(args.batch, infer)} | {train * 1e3:.1f} | "
                f"{infer * 1e3:.1f} |"
            )


def bench_raw(args, x):
    print("\n### nn.LSTM vs PeepholeLSTM (raw modules, batch_first)\n")
    print("| module | train seq/s | infer seq/s | train ms | infer ms |")
    print("|---|---:|---:|---:|---:|")
    torch.manual_seed(0)
    modules = {
        "nn.LSTM": nn.LSTM(args.input_size, args.hidden, batch_first=True),
        "PeepholeLSTM": PeepholeLSTM(args.input_size, args.hidden, batch_first=True),
    }
    steps = {
        name: (train_step(m, raw_forward(m, x)), infer_step(raw_forward(m, x)))
        for name, m in modules.items()
    }
    # Alternate the two modules round by round so that a change in machine
    # load hits both alike; the ratio is the median of per-round ratios.
    times = {name: ([], []) for name in modules}
    for train, infer in steps.values():
        for _ in range(args.warmup):
            train()
            infer()
    for _ in range(args.reps):
        for name, (train, infer) in steps.items():
            times[name][0].append(median_time(train, 1, 0))
            times[name][1].append(median_time(infer, 1, 0))
    for name, (train, infer) in times.items():
        train, infer = statistics.median(train), statistics.median(infer)
        print(
            f"| {name} | {fmt_rate(args.batch, train)} | "
            f"{fmt_rate(args.batch, infer)} | {train * 1e3:.1f} | {infer * 1e3:.1f} |"
        )
    ratios = [
        p / lstm
        for p, lstm in zip(times["PeepholeLSTM"][0], times["nn.LSTM"][0], strict=True)
    ]
    infer_ratios = [
        p / lstm
        for p, lstm in zip(times["PeepholeLSTM"][1], times["nn.LSTM"][1], strict=True)
    ]
    print(
        f"\nPeepholeLSTM / nn.LSTM time: training {statistics.median(ratios):.2f}x, "
        f"inference {statistics.median(infer_ratios):.2f}x (median of "
        f"{args.reps} alternating rounds)"
    )


def bench_packed(args):
    gen = torch.Generator().manual_seed(0)
    low = max(1, args.length // 5)
    lengths = torch.randint(low, args.length + 1, (args.batch,), generator=gen)
    lengths[0] = args.length
    x = torch.randn(args.batch, args.length, args.input_size, generator=gen)
    print(
        f"\n### Ragged batch: padded (RecurrentEncoder) vs packed (nn.LSTM on "
        f"PackedSequence), lengths uniform in [{low}, {args.length}]\n"
    )
    print(
        "| bidirectional | strategy | train seq/s | infer seq/s | train ms | infer ms |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for bidirectional in (False, True):
        torch.manual_seed(0)
        encoder = RecurrentEncoder(
            "lstm", args.input_size, args.hidden, bidirectional=bidirectional
        )
        lstm = nn.LSTM(
            args.input_size, args.hidden, batch_first=True, bidirectional=bidirectional
        )
        candidates = {
            "padded + gather": (encoder, encoder_forward(encoder, x, lengths)),
            "packed": (lstm, packed_forward(lstm, x, lengths)),
        }
        for name, (module, forward) in candidates.items():
            train = median_time(train_step(module, forward), args.reps, args.warmup)
            infer = median_time(infer_step(forward), args.reps, args.warmup)
            print(
                f"| {bidirectional} | {name} | {fmt_rate(args.batch, train)} | "
                f"{fmt_rate(args.batch, infer)} | {train * 1e3:.1f} | "
                f"{infer * 1e3:.1f} |"
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--length", type=int, default=50)
    parser.add_argument("--input-size", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--reps", type=int, default=25)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if args.quick:
        args.length, args.reps, args.warmup = 10, 2, 1
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
        f"{platform.processor() or platform.machine()}, "
        f"CPU capability {torch.backends.cpu.get_cpu_capability()}"
    )
    torch.manual_seed(0)
    x = torch.randn(args.batch, args.length, args.input_size)
    lengths = torch.full((args.batch,), args.length)
    bench_cells(args, x, lengths)
    bench_raw(args, x)
    bench_packed(args)


if __name__ == "__main__":
    main()
