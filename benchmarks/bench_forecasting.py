"""Forecast accuracy of the default RNNForecaster against simple baselines.

The public benchmark set and protocol of ``shared/DATA.md`` (issue 14): for
each series, horizon ``h`` (12 monthly, 8 quarterly, 10 yearly, at most a
sixth of the series: shampoo's 36 months get 6), three origins at ``3h``,
``2h`` and ``h`` points before the end, each forecasting the next ``h``
points from the data before it only.  Error: MAE relative to seasonal naive's
MAE on the same points (period ``m``: 12 monthly, 4 quarterly, 1 yearly and
for the monthly stock prices, which are not seasonal: ``m = 1`` is the last
value), averaged over origins; summary: geometric mean over series.

Columns: naive; seasonal naive (1.00 by definition); ETS (statsmodels
``ExponentialSmoothing``, damped additive trend, additive season when
``m > 1``); Ridge on lags (``alpha=1``, window ``max(2m, h)``, each window
shifted by its mean and divided by its spread, targets alike); the default
``RNNForecaster(horizon=h, random_state=seed)``: mean and min-max over seeds,
and fit seconds (CPU, one fit, median).  The seed spread is max/min of the
geometric mean over seeds.  Coverage: share of the true values inside the
default forecaster's 80% and 95% intervals, pooled over series, origins,
steps and seeds.

``--heldout`` runs the same table on series outside the public set (see
:func:`load_heldout`), which no default was chosen on; ``--fresh`` on a
second such set (:func:`load_fresh`), which no setting of any kind (interval
rule included) ever saw, with geometric means per source as well.

``--select`` runs the ablation on *selection origins* instead: 6h, 5h and 4h
points before the end, each on the data before it (the protocol's test
points are never seen), for every variant in ``VARIANTS``.

    OMP_NUM_THREADS=1 python benchmarks/bench_forecasting.py [--quick]
        [--seeds 5] [--series airline nile] [--select] [--variants ...]
        [--heldout | --fresh]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import header, set_threads  # noqa: E402

from seqlearn import RNNForecaster  # noqa: E402

H_BY_FREQ = {"M": 12, "Q": 8, "Y": 10}
M_BY_FREQ = {"M": 12, "Q": 4, "Y": 1}

# ablation: parameter changes to the default (the first row is the default)
VARIANTS = {
    "default": {},
    "no network (base only)": {"_variant": ("no_net",)},
    "no margin (best base on validation)": {"_variant": ("no_margin",)},
    "no tiers (margin over the last value only)": {"_variant": ("no_tiers",)},
    "no smoothed-level bases": {"_variant": ("no_smooth",)},
    "log levels when they validate 10% better": {"_variant": ("log",)},
    "log levels and no tiers": {"_variant": ("log", "no_tiers")},
    "calibration on validation windows, pooled (before)": {
        "_variant": ("val_calibration", "cal_pooled")
    },
    "calibration: rolling origins over the latest half": {"_variant": ("cal_half",)},
    "damped Holt(-Winters) bases": {"_variant": ("ets",)},
    "longer window: max(2m, 2h, 8)": {"_variant": ("long_window",)},
    "max_steps=100 (a third of the step budget)": {"max_steps": 100},
    "max_steps=150 (half the step budget)": {"max_steps": 150},
    "n_models=1 (one network)": {"n_models": 1},
    "hidden_size=8": {"hidden_size": 8},
    "max_steps=200": {"max_steps": 200},
    "hidden_size=8, max_steps=150": {"hidden_size": 8, "max_steps": 150},
    "full drift (before session 8)": {"_variant": ("drift_full",)},
    "no Theta bases (before session 8)": {"_variant": ("no_theta",)},
    "seasonally adjusted Theta bases": {"_variant": ("stheta",)},
    "seasonally adjusted Theta bases and naive": {
        "_variant": ("stheta", "stheta_naive")
    },
    "seasonal window of 4 seasons": {"_variant": ("season_window4",)},
    "seasonal window of 4 seasons, ridge on the last 2": {
        "_variant": ("season_window4", "ridge_core")
    },
    "seasonal profile from 4 seasons, all else on the last 2": {
        "_variant": ("season_window4", "core_bases")
    },
    "rolling-origin base selection": {"_variant": ("rolling_select",)},
    "ridge needs L training windows": {"_variant": ("ridge_needs_L",)},
    "ridge needs 2L training windows": {"_variant": ("ridge_needs_2L",)},
}


def load_series():
    """name -> (series with a PeriodIndex, seasonal period m)."""
    import pmdarima
    import statsmodels.api as sm
    import vega_datasets
    from sktime.datasets import (
        load_airline,
        load_lynx,
        load_PBS_dataset,
        load_shampoo_sales,
    )

    def yearly(frame, year, col):
        idx = pd.PeriodIndex(frame[year].astype(int), freq="Y")
        return pd.Series(frame[col].to_numpy(float), index=idx)

    co2 = sm.datasets.co2.load_pandas().data["co2"].resample("MS").mean()
    co2 = co2.interpolate()
    co2.index = co2.index.to_period("M")
    austres = pmdarima.datasets.load_austres()
    ausbeer = pmdarima.datasets.load_ausbeer()
    ausbeer = ausbeer[np.isfinite(ausbeer)]
    out = {
        "airline": (load_airline(), 12),
        "lynx": (load_lynx(), 1),
        "shampoo": (load_shampoo_sales(), 12),
        "PBS": (load_PBS_dataset(), 12),
        "sunspots": (
            yearly(sm.datasets.sunspots.load_pandas().data, "YEAR", "SUNACTIVITY"),
            1,
        ),
        "co2": (co2, 12),
        "nile": (yearly(sm.datasets.nile.load_pandas().data, "year", "volume"), 1),
        "austres": (
            pd.Series(
                austres, pd.period_range("1971Q2", periods=len(austres), freq="Q")
            ),
            4,
        ),
        "ausbeer": (
            pd.Series(
                ausbeer, pd.period_range("1956Q1", periods=len(ausbeer), freq="Q")
            ),
            4,
        ),
    }
    stocks = vega_datasets.data.stocks()
    for sym, g in stocks.groupby("symbol"):
        idx = pd.PeriodIndex(pd.DatetimeIndex(g["date"]), freq="M")
        out[sym] = (pd.Series(g["price"].to_numpy(float), index=idx), 1)
    for name, (y, _) in out.items():
        y.name = name
    return out


def load_heldout():
    """Series outside the public set, never used to choose a default.

    statsmodels' ``macrodata`` (12 quarterly US series, 1959-2009), pmdarima's
    daily MSFT closes resampled to month ends (1986-2017), and Seattle's daily
    maximum temperature averaged by month (vega_datasets, 2012-2015).  The
    period ``m`` comes from the frequency (1 for stock prices), as in the
    protocol.
    """
    import pmdarima
    import statsmodels.api as sm
    import vega_datasets

    out = {}
    macro = sm.datasets.macrodata.load_pandas().data
    idx = pd.period_range("1959Q1", periods=len(macro), freq="Q")
    for col in macro.columns.drop(["year", "quarter"]):
        out[col] = (pd.Series(macro[col].to_numpy(float), index=idx), 4)
    msft = pmdarima.datasets.load_msft()
    close = pd.Series(msft["Close"].to_numpy(float), pd.DatetimeIndex(msft["Date"]))
    monthly = close.resample("ME").last()
    monthly.index = monthly.index.to_period("M")
    out["MSFT 1986-2017"] = (monthly, 1)  # stock prices: not seasonal
    weather = vega_datasets.data.seattle_weather()
    temp = pd.Series(
        weather["temp_max"].to_numpy(float), pd.DatetimeIndex(weather["date"])
    )
    temp = temp.resample("ME").mean()
    temp.index = temp.index.to_period("M")
    out["Seattle temp_max"] = (temp, 12)
    for name, (y, _) in out.items():
        y.name = name
    return out


# us-employment's 15 leaf sectors (its aggregates are sums of these)
EMPLOYMENT = (
    "mining_and_logging",
    "construction",
    "durable_goods",
    "nondurable_goods",
    "wholesale_trade",
    "retail_trade",
    "transportation_and_warehousing",
    "utilities",
    "information",
    "financial_activities",
    "professional_and_business_services",
    "education_and_health_services",
    "leisure_and_hospitality",
    "other_services",
    "government",
)


def load_fresh():
    """A second held-out set: series no setting was ever chosen or checked on.

    Fixed before its first run (session 10): pmdarima's ``wineind`` (monthly)
    and ``woolyrnq`` (quarterly); statsmodels' ``elnino`` (monthly sea surface
    temperature, 1950-2010), ``interest_inflation`` (``Dp``, ``R``; quarterly
    from 1972Q2) and ``danish_data`` (5 quarterly series from 1974Q1);
    sktime's ``uschange`` (5 quarterly US growth rates, 1970Q1-2016Q3) and
    vega_datasets' ``us-employment`` (the 15 leaf sectors, monthly
    2006-2015).  Returns ``name -> (series, m)``; each series' source is in
    its ``attrs["source"]``.
    """
    import pmdarima
    import statsmodels.api as sm
    import vega_datasets
    from sktime.datasets import load_uschange

    out = {}

    def add(source, name, values, start, freq):
        idx = pd.period_range(start, periods=len(values), freq=freq)
        y = pd.Series(np.asarray(values, float), index=idx)
        y.attrs["source"] = source
        out[name] = (y, M_BY_FREQ[freq])

    add("pmdarima", "wineind", pmdarima.datasets.load_wineind(), "1980-01", "M")
    add("pmdarima", "woolyrnq", pmdarima.datasets.load_woolyrnq(), "1965Q1", "Q")
    nino = sm.datasets.elnino.load_pandas().data
    add(
        "elnino", "elnino", nino.drop(columns="YEAR").to_numpy().ravel(), "1950-01", "M"
    )
    infl = sm.datasets.interest_inflation.load_pandas().data
    for col in ("Dp", "R"):
        add("interest_inflation", f"interest_inflation {col}", infl[col], "1972Q2", "Q")
    danish = sm.datasets.danish_data.load_pandas().data
    for col in danish.columns:
        add("danish_data", f"danish {col}", danish[col], "1974Q1", "Q")
    consumption, others = load_uschange()
    for col, values in [("Consumption", consumption), *others.items()]:
        add("uschange", f"uschange {col}", values, "1970Q1", "Q")
    jobs = vega_datasets.data("us-employment")
    for col in EMPLOYMENT:
        add("us-employment", f"employment {col}", jobs[col], "2006-01", "M")
    for name, (y, _) in out.items():
        y.name = name
    return out


def horizon_of(y):
    freq = y.index.freqstr[0]
    return min(H_BY_FREQ[freq], len(y) // 6)


def snaive(train, m, h):
    return np.tile(train[-m:], -(-h // m))[:h]


def ridge_lags(train, m, h):
    from sklearn.linear_model import Ridge

    L = min(max(2 * m, h), len(train) - h - 2)
    w = np.lib.stride_tricks.sliding_window_view(train, L + h)
    mu = w[:, :L].mean(1, keepdims=True)
    sd = w[:, :L].std(1, keepdims=True) + 1e-8
    z = (w - mu) / sd
    model = Ridge(alpha=1.0).fit(z[:, :L], z[:, L:])
    last = train[-L:]
    s = last.std() + 1e-8
    return model.predict(((last - last.mean()) / s)[None])[0] * s + last.mean()


def ets(train, m, h):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    seasonal = "add" if m > 1 and len(train) >= 2 * m + 2 else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ExponentialSmoothing(
            train,
            trend="add",
            damped_trend=True,
            seasonal=seasonal,
            seasonal_periods=m if seasonal else None,
        ).fit()
    return fit.forecast(h)


BASELINES = {
    "naive": lambda tr, m, h: np.repeat(tr[-1], h),
    "seasonal naive": snaive,
    "ETS": ets,
    "Ridge": ridge_lags,
}


def origins(y, h, select):
    k = (6, 5, 4) if select else (3, 2, 1)
    return [len(y) - i * h for i in k]


def evaluate(y, m, h, ends, predict):
    """Mean over origins of MAE relative to seasonal naive's MAE."""
    v = y.to_numpy(float)
    rel = []
    for end in ends:
        truth = v[end : end + h]
        base = np.abs(truth - snaive(v[:end], m, h)).mean()
        rel.append(np.abs(truth - predict(end)).mean() / base)
    return float(np.mean(rel))


def gmean(x):
    return float(np.exp(np.mean(np.log(x))))


def forecaster_scores(y, m, h, ends, seeds, params, cover):
    """Relative MAE per seed, fit seconds and coverage counts."""
    v = y.to_numpy(float)
    scores, secs = [], []
    for seed in seeds:

        def predict(end, seed=seed):
            extra = dict(params)
            ablation = extra.pop("_variant", ())
            fc = RNNForecaster(horizon=h, random_state=seed, **extra)
            fc._ablation = ablation
            start = time.process_time()
            fc.fit(y.iloc[:end])
            secs.append(time.process_time() - start)
            if cover is not None:
                truth = v[end : end + h]
                for c in (0.8, 0.95):
                    band = fc.predict_interval(coverage=c)
                    inside = (band["lower"] <= truth) & (truth <= band["upper"])
                    cover[c][0] += int(inside.sum())
                    cover[c][1] += h
            return fc.predict().to_numpy()

        scores.append(evaluate(y, m, h, ends, predict))
    return np.array(scores), float(np.median(secs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 3 series")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--series", nargs="*", help="series names to run")
    parser.add_argument(
        "--select", action="store_true", help="ablation, selection origins"
    )
    parser.add_argument("--variants", nargs="*", help="ablation variants to run")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--heldout", action="store_true", help="series outside the public set"
    )
    where.add_argument(
        "--fresh", action="store_true", help="a second set outside the public set"
    )
    args = parser.parse_args()
    set_threads(1)
    if args.fresh:
        series = load_fresh()
    else:
        series = load_heldout() if args.heldout else load_series()
    # PBS is left out: its last 38 months are all zero, so seasonal naive's
    # MAE (the denominator) is zero at every origin
    default = [n for n in series if n != "PBS"]
    names = args.series or (["airline", "nile", "MSFT"] if args.quick else default)
    seeds = range(1 if args.quick else args.seeds)
    header(
        "Forecasting: default RNNForecaster vs baselines "
        f"({'selection' if args.select else 'test'} origins"
        f"{', held-out series' if args.heldout else ''}"
        f"{', fresh held-out series' if args.fresh else ''})"
    )
    if args.select:
        return ablation(series, names, seeds, args.variants)
    rows, per_seed = [], []
    cover = {0.8: [0, 0], 0.95: [0, 0]}
    for name in names:
        y, m = series[name]
        h = horizon_of(y)
        ends = origins(y, h, False)
        v = y.to_numpy(float)
        row = {"series": name, "n": len(y), "h": h, "m": m}
        for label, fn in BASELINES.items():
            row[label] = evaluate(
                y, m, h, ends, lambda e, fn=fn, v=v, m=m, h=h: fn(v[:e], m, h)
            )
        scores, secs = forecaster_scores(y, m, h, ends, seeds, {}, cover)
        per_seed.append(scores)
        row["seqlearn mean"] = scores.mean()
        row["seqlearn range"] = f"{scores.min():.2f}-{scores.max():.2f}"
        row["fit s"] = secs
        rows.append(row)
        print(f"done: {name}", flush=True)
    table = pd.DataFrame(rows)
    geo = {"series": "geometric mean", "n": "", "h": "", "m": ""}
    for label in [*BASELINES, "seqlearn mean"]:
        geo[label] = gmean(table[label])
    by_seed = np.exp(np.log(np.array(per_seed)).mean(axis=0))
    geo["seqlearn range"] = f"{by_seed.min():.2f}-{by_seed.max():.2f}"
    geo["fit s"] = table["fit s"].sum()
    table = pd.concat([table, pd.DataFrame([geo])], ignore_index=True)
    print()
    print(table.to_markdown(index=False, floatfmt=".2f"))
    print(
        f"\nseed spread (max/min geometric mean over {len(seeds)} seeds): "
        f"{by_seed.max() / by_seed.min():.3f}; worst series (mean over seeds): "
        f"{table['seqlearn mean'].iloc[:-1].max():.2f}"
    )
    for c, (inside, total) in cover.items():
        print(f"coverage of {c:.0%} intervals: {inside / total:.1%} ({total} points)")
    if args.fresh:
        print("\nGeometric mean per source:")
        sources = [series[n][0].attrs["source"] for n in names]
        table = table.iloc[:-1].assign(source=sources)
        cols = [*BASELINES, "seqlearn mean"]
        per = table.groupby("source", sort=False)[cols].agg(gmean)
        per.insert(0, "series", table.groupby("source", sort=False).size())
        print(per.to_markdown(floatfmt=".2f"))


def ablation(series, names, seeds, only):
    rows = []
    variants = {k: p for k, p in VARIANTS.items() if not only or k in only}
    for label, params in variants.items():
        row = {"variant": label}
        for split in ("select", "test"):
            rel = []
            cover = {0.8: [0, 0], 0.95: [0, 0]}
            for name in names:
                y, m = series[name]
                h = horizon_of(y)
                ends = origins(y, h, split == "select")
                if ends[0] < 2 * h + 4:
                    continue  # too short for selection origins (shampoo)
                scores, _ = forecaster_scores(y, m, h, ends, seeds, params, cover)
                rel.append(scores)
            by_seed = np.exp(np.log(np.array(rel)).mean(axis=0))
            row[f"{split} geomean"] = by_seed.mean()
            row[f"{split} worst series"] = np.array(rel).mean(axis=1).max()
            for c, (inside, total) in cover.items():
                row[f"{split} cov{round(c * 100)}"] = inside / total
        rows.append(row)
        print(
            f"{label}: "
            + ", ".join(f"{k} {v:.3f}" for k, v in row.items() if k != "variant"),
            flush=True,
        )
    print()
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
