"""Forecast accuracy and fit time of RNNForecaster on the issue-5 backtest protocol.

Airline (window 24, horizon 12, origins 24 and 12 months before the end, MASE
scaled by the in-sample seasonal-naive MAE) and sunspots (window 30, horizon 10,
origins 30, 20 and 10 years before the end, MASE scaled by the in-sample naive
MAE).  Each model is refit at each origin on the rows before it; MASE is pooled
over origins and steps.  Networks run with several seeds: the table shows the
median MASE over seeds (and the range) and the median wall time of a whole
backtest (all origins).

    OMP_NUM_THREADS=1 python benchmarks/bench_forecasting.py [--quick] [--seeds 3]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import Ridge

from seqlearn import RNNForecaster
from seqlearn.forecasting import backtest_metrics
from seqlearn.preprocessing import make_windows

torch.set_num_threads(1)


def load_series():
    import statsmodels.api as sm
    from sktime.datasets import load_airline

    spots = sm.datasets.sunspots.load_pandas().data
    sunspots = pd.Series(
        spots["SUNACTIVITY"].to_numpy(),
        index=pd.PeriodIndex(spots["YEAR"].astype(int), freq="Y"),
        name="sunspots",
    )
    return {
        # name: (series, window, horizon, n_origins, lag of the MASE scale,
        # period of the seasonal-naive baseline: the ~11-year solar cycle)
        "airline": (load_airline(), 24, 12, 2, 12, 12),
        "sunspots": (sunspots, 30, 10, 3, 1, 11),
    }


def baseline_mase(y, window, horizon, n_origins, m, period, method):
    """Pooled MASE of a baseline refit at every origin (same protocol)."""
    values = y.to_numpy(dtype=float)
    errors = []
    for end in len(values) - horizon * np.arange(n_origins, 0, -1):
        train, truth = values[:end], values[end : end + horizon]
        if method == "naive":
            pred = np.repeat(train[-1], horizon)
        elif method == "seasonal naive":
            reps = -(-horizon // period)
            pred = np.tile(train[-period:], reps)[:horizon]
        else:  # Ridge on lags: one linear map from the window to the horizon
            X, Y = make_windows(train, window, horizon)
            model = Ridge(alpha=1.0).fit(X[:, :, 0], Y)
            pred = model.predict(train[None, -window:])[0]
        scale = np.mean(np.abs(train[m:] - train[:-m]))
        errors.append(np.abs(truth - pred) / scale)
    return float(np.mean(errors))


def forecaster_run(y, window, horizon, n_origins, m, params, seed):
    fc = RNNForecaster(window=window, horizon=horizon, random_state=seed, **params)
    start = time.perf_counter()
    forecasts = fc.backtest(
        y, initial_window=len(y) - n_origins * horizon, step=horizon, seasonal_period=m
    )
    seconds = time.perf_counter() - start
    return backtest_metrics(forecasts, by=None).loc["all", "mase"], seconds


VARIANTS = {
    "default (recursive, window)": {},
    "multioutput": {"strategy": "multioutput"},
    "seq2seq": {"strategy": "seq2seq"},
    "recursive, standard": {"scaling": "standard"},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="variant names to run")
    args = parser.parse_args()
    series = load_series()
    seeds = range(1 if args.quick else args.seeds)
    variants = {k: v for k, v in VARIANTS.items() if not args.only or k in args.only}

    rows = []
    for method in ("naive", "seasonal naive", "Ridge on lags"):
        row = {"model": method}
        for name, (y, window, horizon, n_origins, m, period) in series.items():
            mase = baseline_mase(y, window, horizon, n_origins, m, period, method)
            row[name] = f"{mase:.3f}"
            row[f"{name} s"] = "-"
        rows.append(row)
    for label, params in variants.items():
        params = {**params, **({"max_epochs": 2} if args.quick else {})}
        row = {"model": f"RNNForecaster {label}"}
        for name, (y, window, horizon, n_origins, m, _) in series.items():
            runs = [
                forecaster_run(y, window, horizon, n_origins, m, params, seed)
                for seed in seeds
            ]
            mase = np.array([r[0] for r in runs])
            secs = np.median([r[1] for r in runs])
            spread = f" ({mase.min():.2f}-{mase.max():.2f})" if len(mase) > 1 else ""
            row[name] = f"{np.median(mase):.3f}{spread}"
            row[f"{name} s"] = f"{secs:.1f}"
        rows.append(row)
        print(f"done: {label}", flush=True)

    print(
        f"\nMASE pooled over origins (median over {len(seeds)} seed(s), range); "
        "seconds: median wall time of the whole backtest (all refits)\n"
    )
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    main()
