"""Memory: peak RSS of windowing a 10-million-point series and training on it.

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_memory.py`` (``--quick`` for a
smoke run on 1 million points; ``--skewed`` for the skewed-ragged table below,
``--table all`` for both).

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

A second table, "skewed ragged input" (``--skewed`` runs only it, ``--table
all`` runs both), measures ``fit`` and ``predict`` of
:class:`seqlearn.RNNClassifier`, :class:`seqlearn.SequenceRegressor` and
:class:`seqlearn.SequenceTagger` on ``--n-short`` univariate float32 sequences
of ``--short-len`` steps plus one of ``--long-len`` steps (10,000 x 10 + one
of 10,000 by default, 0.42 MiB of data), each in a fresh subprocess: the
baseline is the peak RSS after a tiny fit and predict on the first 300
sequences, the row reports the peak growth over it. Padding all sequences to
the longest one would take ``N x longest x 4`` bytes (381 MiB), a
column, for reference. Only public estimator APIs are used, so the table
measures whichever ``seqlearn`` is importable (its path is printed); to
compare two trees, run it twice::

    PYTHONPATH=OLD_TREE OMP_NUM_THREADS=1 python benchmarks/bench_memory.py --skewed
    PYTHONPATH=NEW_TREE OMP_NUM_THREADS=1 python benchmarks/bench_memory.py --skewed

``--quick`` shrinks it to 1,000 x 10 + one of 1,000 steps.
"""

import argparse
import json
import subprocess
import sys

import _common

# one epoch of a tiny vanilla RNN: no convolutional front-end, and no
# long-series budget (windows of 100 steps would otherwise train 600 updates)
ONE_EPOCH = {"cell": "rnn", "conv_channels": None, "min_updates": 0, "max_epochs": 1}

STAGES = ["series", "make_windows", "check_sequences", "SequenceDataset", "fit"]
SKEWED_ESTIMATORS = ["RNNClassifier", "SequenceRegressor", "SequenceTagger"]
SKEWED_STAGES = ["fit", "predict"]


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
    SequenceRegressor(**ONE_EPOCH, hidden_size=hidden).fit(*make_windows(tiny, window))
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
            **ONE_EPOCH, hidden_size=hidden, batch_size=batch_size, random_state=0
        )
        seconds, _ = _common.timed(lambda: reg.fit(X, y))
        result["fit_seconds"] = seconds
        result["model_mib"] = (
            sum(p.numel() * p.element_size() for p in reg.net_.module_.parameters())
            / 2**20
        )
    result["peak"] = _common.peak_rss_mib()
    return result


def skewed_data(n_short, short_len, long_len):
    """``n_short`` short float32 sequences and one long one, plus targets."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = [rng.standard_normal((short_len, 1), dtype=np.float32) for _ in range(n_short)]
    X.append(rng.standard_normal((long_len, 1), dtype=np.float32))
    labels = np.arange(len(X)) % 2
    return X, {
        "RNNClassifier": labels,
        "SequenceRegressor": labels.astype(np.float64),
        "SequenceTagger": [np.full(len(x), i % 2) for i, x in enumerate(X)],
    }


def run_skewed(estimator, stage, n_short, short_len, long_len, hidden):
    """Fit or predict one estimator on skewed ragged input; return a dict."""
    import torch

    import seqlearn

    torch.set_num_threads(1)
    X, ys = skewed_data(n_short, short_len, long_len)
    y = ys[estimator]
    result = {
        "seqlearn": seqlearn.__file__,
        "data_mib": sum(x.nbytes for x in X) / 2**20,
        "n": len(X),
        "longest": max(len(x) for x in X),
    }
    est = getattr(seqlearn, estimator)(
        cell="rnn", hidden_size=hidden, max_epochs=1, random_state=0
    )
    # baseline: the first fit and predict of a process import more (torch
    # optimisers, ~100 MiB of modules); pay that on short sequences only
    est.fit(X[:300], y[:300])
    est.predict(X[:300])
    result["baseline"] = _common.peak_rss_mib()
    if stage == "fit":
        seconds, _ = _common.timed(lambda: est.fit(X, y))
    else:
        seconds, _ = _common.timed(lambda: est.predict(X))
    result["seconds"] = seconds
    result["peak"] = _common.peak_rss_mib()
    return result


def child_json(args):
    """Run this script with ``args`` in a fresh process; return its JSON line."""
    cmd = [sys.executable, __file__, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument(
        "--table",
        choices=["windows", "skewed", "all"],
        default="windows",
        help="which table to run (default: the windowing table)",
    )
    parser.add_argument(
        "--skewed",
        action="store_const",
        dest="table",
        const="skewed",
        help="run only the skewed-ragged table (same as --table skewed)",
    )
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=8192)
    parser.add_argument("--hidden", type=int, default=4)
    parser.add_argument("--n-short", type=int, default=10_000)
    parser.add_argument("--short-len", type=int, default=10)
    parser.add_argument("--long-len", type=int, default=10_000)
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--skewed-estimator", help=argparse.SUPPRESS)
    parser.add_argument("--skewed-stage", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.points = 1_000_000
        args.n_short = 1_000
        args.long_len = 1_000
    if args.stage:  # child process
        res = run_stage(
            args.stage, args.points, args.window, args.batch_size, args.hidden
        )
        print(json.dumps(res))
        return
    if args.skewed_stage:  # child process
        res = run_skewed(
            args.skewed_estimator,
            args.skewed_stage,
            args.n_short,
            args.short_len,
            args.long_len,
            args.hidden,
        )
        print(json.dumps(res))
        return
    _common.set_threads(1)
    if args.table in ("windows", "all"):
        windows_table(args)
    if args.table in ("skewed", "all"):
        skewed_table(args)


def windows_table(args):
    """The windowing table: one subprocess per pipeline stage."""
    _common.set_threads(1)
    _common.header("Memory: windowing a long series and training one epoch")
    rows, info = [], {}
    for stage in STAGES:
        res = child_json(
            [
                "--stage",
                stage,
                *("--points", str(args.points), "--window", str(args.window)),
                *("--batch-size", str(args.batch_size), "--hidden", str(args.hidden)),
            ]
        )
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
        f"SequenceRegressor(cell='rnn', conv_channels=None, min_updates=0, "
        f"hidden_size={args.hidden}, batch_size={args.batch_size}, max_epochs=1), "
        f"model {info['model_mib'] * 2**20:.0f} "
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


def skewed_table(args):
    """The skewed-ragged table: one subprocess per estimator and stage."""
    _common.header("Memory: skewed ragged input (many short sequences, one long)")
    rows, paths = [], set()
    for estimator in SKEWED_ESTIMATORS:
        for stage in SKEWED_STAGES:
            res = child_json(
                [
                    *("--skewed-estimator", estimator, "--skewed-stage", stage),
                    *("--n-short", str(args.n_short)),
                    *("--short-len", str(args.short_len)),
                    *("--long-len", str(args.long_len), "--hidden", str(args.hidden)),
                ]
            )
            paths.add(res["seqlearn"])
            delta = res["peak"] - res["baseline"]
            padded = res["n"] * res["longest"] * 4 / 2**20
            rows.append(
                [
                    estimator,
                    stage,
                    res["data_mib"],
                    res["baseline"],
                    delta,
                    f"{delta / res['data_mib']:.0f}x",
                    padded,
                    res["seconds"],
                ]
            )
    print(f"seqlearn imported from: {', '.join(sorted(paths))}\n")
    print(
        f"Data: {args.n_short:,} univariate float32 sequences of {args.short_len} "
        f"steps + one of {args.long_len:,} steps; estimators (cell='rnn', "
        f"hidden_size={args.hidden}, max_epochs=1, random_state=0), other "
        "parameters at their defaults. Baseline: peak RSS after a fit and "
        "predict on the first 300 sequences, data already built.\n"
    )
    _common.table(
        [
            "estimator",
            "stage",
            "data MiB",
            "baseline MiB",
            "peak - baseline MiB",
            "(peak - baseline) / data",
            "padded N x longest MiB",
            "CPU s",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
