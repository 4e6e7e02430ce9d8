"""
Forecasting airline passengers: a backtest against the seasonal naive forecast
==============================================================================

Monthly totals of international airline passengers, 1949-1960 (the series of
Box & Jenkins, bundled with sktime): a trend and a yearly season that grows
with the level.

The reader learns to judge a forecaster the way it will be used: refit at
several origins on the past only (:meth:`~seqlearn.RNNForecaster.backtest`),
forecast the next 12 months each time, and compare with the seasonal naive
forecast (the same month one year earlier) on exactly the same points.  The
last forecast is drawn with a 90 % conformal prediction interval.
"""

# %%
import matplotlib.pyplot as plt
from sktime.datasets import load_airline

from seqlearn import RNNForecaster
from seqlearn.forecasting import NaiveForecaster, backtest, backtest_metrics
from seqlearn.plotting import plot_forecast

y = load_airline()
print(f"{len(y)} months, {y.index[0]} to {y.index[-1]}")

# %%
# Three origins, 12 months apart; each model sees only the months before its
# origin.  ``log=True`` makes the growing season additive.
forecaster = RNNForecaster(window=24, horizon=12, log=True, random_state=0)
forecasts = forecaster.backtest(y, initial_window=108, step=12, seasonal_period=12)
print(backtest_metrics(forecasts).round(3))

# %%
# The baseline on the same points: :class:`~seqlearn.forecasting.NaiveForecaster`
# repeats the last 12 months before each origin (the season read from the
# monthly index), backtested on the same origins.
naive = backtest(
    NaiveForecaster(horizon=12), y, initial_window=108, step=12, seasonal_period=12
)
naive_mae = naive["error"].abs().mean()
rnn_mae = forecasts["error"].abs().mean()
print(
    f"MAE over {len(forecasts)} forecast months: RNN {rnn_mae:.1f}, "
    f"seasonal naive {naive_mae:.1f}"
)

# %%
# The last year, forecast from the 11 years before it, with a conformal
# interval whose width comes from the errors ``fit`` measured at earlier
# origins of the series.
final = RNNForecaster(window=24, horizon=12, log=True, random_state=0).fit(y[:-12])
intervals = final.predict_interval(coverage=0.9)
ax = plot_forecast(y, intervals, last=48)
ax.set_title("Airline passengers: last 12 months forecast, 90 % interval")
plt.show()
