"""
Forecasting a stock price honestly: the last price is the bar to clear
=======================================================================

A notebook-style tour of :class:`seqlearn.RNNForecaster` on real daily prices
(Microsoft's closing price, from ``pmdarima``'s bundled data).  Daily prices are
close to a random walk, so the honest goal is to be *no worse than the last
price* and to give intervals that hold their coverage.  You will see business
days in and out, a leak-free backtest over several origins against the naive
"tomorrow equals today" forecast, the empirical coverage of the 80% intervals,
and a forecast with its band saved as ``plot_stock_forecast.png``.
"""

# %%
# The data: 7,983 trading days; we keep the last three years.  The index has
# holiday gaps, so it has no regular frequency: rows are taken by position and
# the forecast continues on business days.
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pmdarima

from seqlearn import RNNForecaster
from seqlearn.forecasting import NaiveForecaster, backtest, backtest_metrics
from seqlearn.plotting import plot_forecast

data = pmdarima.datasets.load_msft()
close = pd.Series(
    data["Close"].to_numpy(), index=pd.DatetimeIndex(data["Date"]), name="MSFT"
).iloc[-750:]
print(close.tail(3))

# %%
# The default forecaster: only the horizon (20 trading days) and a seed.  It
# forecasts each window relative to its last value, picks a linear base on the
# latest training windows (here often the last price itself) and lets a small
# ensemble of recurrent networks correct it only where that validates.
horizon = 20
forecaster = RNNForecaster(horizon=horizon, random_state=0)

# %%
# Backtest: six origins 20 days apart; at each one a fresh model is fitted on
# the days before it only.  ``coverage=0.8`` also records each fold's 80%
# interval, so :func:`~seqlearn.forecasting.backtest_metrics` reports how often
# it held the truth.  The naive forecast, the last price before each origin
# (:class:`~seqlearn.forecasting.NaiveForecaster` with ``season_length=1``),
# is backtested on the same days, with intervals from its own in-sample
# errors: the bar for the intervals too.
start = len(close) - 6 * horizon
forecasts = forecaster.backtest(close, initial_window=start, coverage=0.8)
naive = backtest(
    NaiveForecaster(horizon=horizon, season_length=1),
    close,
    initial_window=start,
    coverage=0.8,
)
report = backtest_metrics(forecasts)[["mae", "coverage"]]
report[["last price MAE", "last price coverage"]] = backtest_metrics(naive)[
    ["mae", "coverage"]
]
# Coverage alone does not rank intervals: of two that cover about as often,
# the narrower says more.  Compare their mean widths too (here the last
# price's own intervals can be the narrower ones).
for name, frame in [("model", forecasts), ("last price", naive)]:
    width = (frame["upper"] - frame["lower"]).mean()
    print(f"{name}: mean width of the 80% intervals {width:.2f}")
print(report.round(3))
print(
    f"mean MAE: model {report.loc['all', 'mae']:.3f}, last price "
    f"{report.loc['all', 'last price MAE']:.3f}; 80% interval coverage: model "
    f"{report.loc['all', 'coverage']:.0%}, last price "
    f"{report.loc['all', 'last price coverage']:.0%}"
)

# %%
# Fit on everything and forecast the next 20 business days with an 80% band.
forecaster.fit(close)
band = forecaster.predict_interval(coverage=0.8)
print(band.head())
assert (band.index.dayofweek < 5).all()  # business days continue as business days

# %%
# Plot the forecast with its band after the last 120 days.
fig, ax = plt.subplots(figsize=(9, 4))
plot_forecast(close, band, last=120, ax=ax)
ax.set_title("MSFT close: 20-day forecast with 80% conformal interval")
fig.tight_layout()
fig.savefig("plot_stock_forecast.png", dpi=100)
print("saved plot_stock_forecast.png")
