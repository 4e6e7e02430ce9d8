"""Which window strategy learns from known future covariates?

The forecasting guide says only ``strategy="recursive"`` reads each step's
covariate next to the step it forecasts.  A synthetic task with a known
answer checks it: ``y_t = 2 x_t + noise`` with ``x`` a random walk known in
advance (``h = 12``, noise sd 0.1, 400 rows, the last 12 held out).  Each
strategy is fitted with and without ``X`` (30 epochs, window 24) for a few
seeds; the table is the hold-out MAE.  A strategy that reads ``X`` well
gets far below its own error without ``X`` (the forecast of a random walk
12 steps ahead); the noise level (MAE about 0.08) is the floor.

    OMP_NUM_THREADS=1 python benchmarks/bench_covariates.py [--seeds 3]
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import header, set_threads, table

from seqlearn import RNNForecaster

H, T = 12, 400


def task(seed):
    """Return ``(y, X)``: y is twice a random-walk covariate plus noise."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(size=T))
    return 2 * x + 0.1 * rng.normal(size=T), x[:, None]


def holdout_mae(strategy, use_x, seed):
    y, X = task(seed)
    fc = RNNForecaster(
        horizon=H, window=24, strategy=strategy, max_epochs=30, random_state=seed
    )
    if use_x:
        fc.fit(y[:-H], X[:-H])
        pred = fc.predict(X=X[-H:])
    else:
        fc.fit(y[:-H])
        pred = fc.predict()
    return float(np.mean(np.abs(np.asarray(pred).ravel() - y[-H:])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    set_threads(1)
    header("Known future covariates: hold-out MAE by strategy (y = 2x + noise)")
    rows = []
    for strategy in ("recursive", "multioutput", "seq2seq"):
        for use_x in (True, False):
            maes = [holdout_mae(strategy, use_x, s) for s in range(args.seeds)]
            rows.append(
                [
                    strategy,
                    "yes" if use_x else "no",
                    f"{np.mean(maes):.2f}",
                    f"{min(maes):.2f}-{max(maes):.2f}",
                ]
            )
    table(["strategy", "X", "MAE (mean)", "range over seeds"], rows)


if __name__ == "__main__":
    main()
