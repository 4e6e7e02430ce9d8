"""Forecasting: the pandas-facing :class:`RNNForecaster` and backtests.

``RNNForecaster`` turns a series into windows, fits a network and maps its
outputs back to the series' scale and calendar; :func:`backtest` refits any
forecaster at successive origins, each on the rows before it only;
:class:`TargetTransformer` is the model space of the window strategies (log,
differencing, scaling); :class:`NaiveForecaster` is the seasonal naive
baseline in the same API.
"""

from seqlearn.forecasting._backtest import backtest, backtest_metrics
from seqlearn.forecasting._calendar import future_index
from seqlearn.forecasting._forecaster import RNNForecaster
from seqlearn.forecasting._naive import NaiveForecaster
from seqlearn.forecasting._transforms import TargetTransformer

__all__ = [
    "NaiveForecaster",
    "RNNForecaster",
    "TargetTransformer",
    "backtest",
    "backtest_metrics",
    "future_index",
]
