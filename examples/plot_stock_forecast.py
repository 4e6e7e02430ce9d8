"""
Forecasting a stock price with prediction intervals
===================================================

A notebook-style tour of :class:`seqlearn.RNNForecaster` on real daily prices
(Microsoft's closing price, from ``pmdarima``'s bundled data): business days
with holiday gaps in, business days out; a leak-free backtest against the naive
"tomorrow equals today" forecast; split-conformal intervals; and the two plots
you want in a notebook, saved as ``plot_stock_forecast.png``.
"""

# %%
# The data: 7,983 trading days; we keep the last three years.  The index has
# holiday gaps, so it has no regular frequency: rows are taken by position and
# nothing is filled in.
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pmdarima

from seqlearn import RNNForecaster
from seqlearn.forecasting import backtest_metrics
from seqlearn.plotting import plot_forecast, plot_history

data = pmdarima.datasets.load_msft()
close = pd.Series(
    data["Close"].to_numpy(), index=pd.DatetimeIndex(data["Date"]), name="MSFT"
).iloc[-750:]
print(close.tail(3))

# %%
# The forecaster reads 60 trading days and forecasts the next 20.  Prices move
# in proportion to their level, so it models the log price, each window
# normalised by its own mean and spread (a level it has never seen is no
# problem).  ``calibration_size`` keeps the last 60 forecast origins aside to
# measure errors for the intervals.
forecaster = RNNForecaster(
    window=60,
    horizon=20,
    strategy="recursive",
    log=True,
    calibration_size=60,
    hidden_size=32,
    max_epochs=30,
    random_state=0,
)

# %%
# Backtest: refit at three origins, each on the days before it only.  Daily
# stock prices are close to a random walk, so the naive forecast (the last
# price) is the benchmark to respect, not a straw man.
first_origin = len(close) - 60
forecasts = forecaster.backtest(close, initial_window=first_origin, step=20)
print(backtest_metrics(forecasts).round(3))
last_price = close.to_numpy()[first_origin - 1 :: 20][forecasts["fold"]]
naive_mae = (forecasts["y_true"] - last_price).abs().mean()
print(f"naive MAE over the same forecasts: {naive_mae:.3f}")

# %%
# Fit on everything and forecast the next 20 business days with 90% intervals.
forecaster.fit(close)
band = forecaster.predict_interval(coverage=0.9)
print(band.head())
assert (band.index.dayofweek < 5).all()  # business days continue as business days

# %%
# Plot the forecast with its band after the last 120 days, and the training
# loss per epoch.
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), width_ratios=[3, 1])
plot_forecast(close, band, last=120, ax=left)
left.set_title("MSFT close: 20-day forecast with 90% conformal interval")
plot_history(forecaster, ax=right)
right.set_title("training loss")
fig.tight_layout()
fig.savefig("plot_stock_forecast.png", dpi=100)
print("saved plot_stock_forecast.png")
