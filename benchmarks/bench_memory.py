"""Memory: peak RSS of windowing a 10-million-point series and training on it.

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_memory.py`` (``--quick`` for a
smoke run on 1 million points).

Each row is a fresh subprocess that imports seqlearn, fits a tiny regressor
once (the first fit imports ``torch._dynamo`` through ``torch.optim``, about
100 MiB that no data causes), notes its peak RSS (the baseline), then runs the
pipeline up to one stage and reports its peak RSS again:

1. ``series``: a float32 series of ``--points`` values;
2. ``make_windows``: windows of ``--window`` steps (a read-only strided view)
   and the next value as the target;
3. ``check_sequences``: the estimators' validation into the canonical format;
4. ``SequenceDataset``: the tensors the net batches from;
5. ``fit``: one epoch of :class:`seqlearn.SequenceRegressor` (tiny vanilla RNN,
   large batches), which includes 2-4.

The target is a peak of at most 2x the series plus the model above the
baseline.  A stage whose peak grows by about a window array's size
(``n_windows * window * 4`` bytes, 100x the series) would mean the windows were
copied; growth of one or two series sizes points at a per-window array (y,
sample order) instead.
"""

import argparse
import json
import subprocess
import sys

import _common

STAGES = ["series", "make_windows", "check_sequences", "SequenceDataset", "fit"]


def run_stage(stage, points, window, batch_size, hidden):
    """Run the pipeline up to ``stage`` in this process; return a result dict."""
    import numpy as np
    import torch

    from seqlearn import SequenceRegressor
    from seqlearn.data import SequenceDataset, check_sequences
    from seqlearn.preprocessing import make_windows

    torch.set_num_threads(1)
    result = {"imports": _common.peak_rss_mib()}
    # the first fit of a process imports more (torch.optim pulls in
    # torch._dynamo, ~100 MiB of modules): pay that on a tiny series first
    tiny = np.linspace(0, 1, 4 * window, dtype=np.float32)
    SequenceRegressor(cell="rnn", hidden_size=hidden, max_epochs=1).fit(
        *make_windows(tiny, window)
    )
    result["baseline"] = _common.peak_rss_mib()
    rng = np.random.default_rng(0)
    series = rng.standard_normal(points, dtype=np.float32)
    np.cumsum(series, out=series)  # a random walk, built in place
    series /= max(series.max(), -series.min())  # no temporary copy
    result["series_mib"] = series.nbytes / 2**20
    if stage != "series":
        X, y = make_windows(series, window)
        result["windows_view_mib"] = X.size * X.itemsize / 2**20
        result["X_is_view"] = bool(np.shares_memory(X, series))
    if stage in ("check_sequences", "SequenceDataset"):
        data = check_sequences(X)
        result["values_is_view"] = bool(np.shares_memory(data.values, series))
    if stage == "SequenceDataset":
        ds = SequenceDataset(data.values, data.lengths, y)
        result["tensor_is_view"] = (
            ds.values.untyped_storage().data_ptr()
            == torch.from_numpy(series).untyped_storage().data_ptr()
        )
    if stage == "fit":
        reg = SequenceRegressor(
            cell="rnn",
            hidden_size=hidden,
            batch_size=batch_size,
            max_epochs=1,
            random_state=0,
        )
        seconds, _ = _common.timed(lambda: reg.fit(X, y))
        result["fit_seconds"] = seconds
        result["model_mib"] = (
            sum(p.numel() * p.element_size() for p in reg.net_.module_.parameters())
            / 2**20
        )
    result["peak"] = _common.peak_rss_mib()
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M points")
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=8192)
    parser.add_argument("--hidden", type=int, default=4)
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.points = 1_000_000
    if args.stage:  # child process
        res = run_stage(
            args.stage, args.points, args.window, args.batch_size, args.hidden
        )
        print(json.dumps(res))
        return
    _common.set_threads(1)
    _common.header("Memory: windowing a long series and training one epoch")
    rows, info = [], {}
    for stage in STAGES:
        cmd = [
            sys.executable,
            __file__,
            "--stage",
            stage,
            *("--points", str(args.points), "--window", str(args.window)),
            *("--batch-size", str(args.batch_size), "--hidden", str(args.hidden)),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        info.update(res)
        series = res["series_mib"]
        delta = res["peak"] - res["baseline"]
        rows.append(
            [
                stage,
                res["imports"],
                res["baseline"],
                res["peak"],
                delta,
                f"{delta / series:.2f}x",
            ]
        )
    n_windows = args.points - args.window
    print(
        f"Series: {args.points:,} float32 points ({info['series_mib']:.1f} MiB); "
        f"window {args.window} -> {n_windows:,} windows, which as a copy would "
        f"take {info['windows_view_mib']:,.0f} MiB.  Fit: "
        f"SequenceRegressor(cell='rnn', hidden_size={args.hidden}, batch_size="
        f"{args.batch_size}, max_epochs=1), model {info['model_mib'] * 2**20:.0f} "
        f"bytes, {info['fit_seconds']:.1f} CPU s.\n"
    )
    print(
        f"Views: make_windows X shares the series' memory: {info['X_is_view']}; "
        f"check_sequences values: {info['values_is_view']}; SequenceDataset "
        f"tensor: {info['tensor_is_view']}.\n"
    )
    _common.table(
        [
            "pipeline up to",
            "RSS MiB after imports",
            "baseline MiB (+ warm-up fit)",
            "peak RSS MiB",
            "peak - baseline MiB",
            "(peak - baseline) / series",
        ],
        rows,
    )
    print("Target: peak - baseline <= 2x series + model.\n")


if __name__ == "__main__":
    main()
