"""Interval sharpness: the default RNNForecaster's intervals against the naive's.

Issue 14 item 4 asks for intervals that hold their coverage; coverage alone
does not rank intervals (wide enough ones always cover).  This script puts
the default forecaster's 80% and 95% intervals next to those of the seasonal
naive forecast (:class:`~seqlearn.forecasting.NaiveForecaster`, with the
protocol's period ``m``; its widths come from the series' own naive errors),
at the protocol's test origins of ``bench_forecasting.py``'s sets, one fit per
origin and seed.

Per set and coverage: the pooled coverage of each, the geometric mean over
series of the width ratio (model over naive, mean width over origins and
steps), and of the interval-score ratio (Gneiting and Raftery 2007: width
plus ``2 / alpha`` times the distance by which the truth falls outside; lower
is better).  Nothing is chosen here.

    OMP_NUM_THREADS=1 python benchmarks/bench_intervals.py [--seeds 1]
        [--sets public heldout fresh]
"""

from __future__ import annotations

import argparse
import os
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import header, set_threads  # noqa: E402
from bench_forecasting import (  # noqa: E402
    gmean,
    horizon_of,
    load_fresh,
    load_heldout,
    load_series,
    origins,
)

from seqlearn import RNNForecaster  # noqa: E402
from seqlearn.forecasting import NaiveForecaster  # noqa: E402

SETS = {"public": load_series, "heldout": load_heldout, "fresh": load_fresh}
COVERAGES = (0.8, 0.95)


def interval_score(truth, lower, upper, coverage):
    """Mean interval score (Gneiting and Raftery 2007): lower is better."""
    alpha = 1 - coverage
    below = np.maximum(lower - truth, 0)
    above = np.maximum(truth - upper, 0)
    return float(np.mean(upper - lower + 2 / alpha * (below + above)))


def band_record(fc, truth, coverage):
    """(points inside, points, mean width, interval score) of one fit's band."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # too few errors (short series): infinite
        band = fc.predict_interval(coverage=coverage)
    lo, hi = band["lower"].to_numpy(), band["upper"].to_numpy()
    inside = int(((lo <= truth) & (truth <= hi)).sum())
    return (
        inside,
        len(truth),
        float(np.mean(hi - lo)),
        interval_score(truth, lo, hi, coverage),
    )


def series_rows(y, m, seeds):
    """Per coverage: the records of the model (per seed) and of the naive.

    The naive forecast has no seed: it is fitted once per origin.
    """
    h = horizon_of(y)
    v = y.to_numpy(float)
    out = {c: {"model": [], "naive": []} for c in COVERAGES}
    for end in origins(y, h, False):
        truth = v[end : end + h]
        naive = NaiveForecaster(horizon=h, season_length=m).fit(y.iloc[:end])
        models = [
            RNNForecaster(horizon=h, random_state=seed).fit(y.iloc[:end])
            for seed in seeds
        ]
        for c in COVERAGES:
            out[c]["naive"].append(band_record(naive, truth, c))
            out[c]["model"] += [band_record(fc, truth, c) for fc in models]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    args = parser.parse_args()
    set_threads(1)
    header("Interval sharpness: default RNNForecaster vs seasonal naive (test origins)")
    rows = []
    for which in args.sets:
        series = SETS[which]()
        records = {}
        for name, (y, m) in series.items():
            if name == "PBS":  # left out of the benchmark (bench_forecasting.py)
                continue
            records[name] = series_rows(y, m, range(args.seeds))
            print(f"done: {which} / {name}", flush=True)
        for c in COVERAGES:
            row = {"set": which, "coverage": f"{c:.0%}", "series": len(records)}
            width, score, finite = [], [], 0
            for who in ("model", "naive"):
                parts = [r[c][who] for r in records.values()]
                inside = sum(p[0] for part in parts for p in part)
                total = sum(p[1] for part in parts for p in part)
                row[f"{who} covers"] = inside / total
            for rec in records.values():
                mw = np.mean([p[2] for p in rec[c]["model"]])
                nw = np.mean([p[2] for p in rec[c]["naive"]])
                ms = np.mean([p[3] for p in rec[c]["model"]])
                ns = np.mean([p[3] for p in rec[c]["naive"]])
                if np.isfinite([mw, nw, ms, ns]).all() and nw > 0 and ns > 0:
                    width.append(mw / nw)
                    score.append(ms / ns)
                    finite += 1
            row["width ratio (gmean)"] = gmean(width)
            row["score ratio (gmean)"] = gmean(score)
            row["score ratio < 1"] = f"{sum(s < 1 for s in score)}/{finite}"
            rows.append(row)
    print()
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3f"))
    print(
        "\nRatios: model over seasonal naive per series (mean over origins, "
        "steps and seeds), geometric mean over the series where both are finite."
    )


if __name__ == "__main__":
    main()
