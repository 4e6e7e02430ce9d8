"""The seasonal naive forecast: the baseline to beat, in the forecasters' API."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from seqlearn.forecasting._backtest import check_coverage
from seqlearn.forecasting._calendar import _index_season, future_index
from seqlearn.forecasting._residual import MAX_WINDOWS
from seqlearn.forecasting._series import (
    _check_target,
    interval_frame,
    last_rows,
    match_series,
)
from seqlearn.nn._validation import check_positive_int


def _last_season(values, index, m):
    """Return the last ``m`` rows of ``values``; a ValueError if short or NaN."""
    reads = f"the season it repeats, season_length={m}"
    return last_rows(values, index, m, reads, "fill them first.")


class NaiveForecaster(BaseEstimator):
    """Repeat the last season (or, with ``season_length=1``, the last value).

    The forecast a user would make without a model, as an estimator with the
    API of :class:`~seqlearn.RNNForecaster`: pandas in and out, the index
    continued by :func:`future_index`, ``predict(y=...)`` from newer history,
    and :func:`backtest` / :func:`backtest_metrics`, so a model and its
    baseline are compared on the same folds in one run.

    Parameters
    ----------
    horizon : int, default=12
        Number of future steps forecast.
    season_length : int or None, default=None
        The season repeated; None reads it from the index frequency as
        :class:`~seqlearn.RNNForecaster` does (12 monthly, 4 quarterly, 7
        daily, 5 business days, 52 weekly, 24 hourly; 1 otherwise).  Pass 1
        for the last value (the random walk's forecast, e.g. stock prices).

    Attributes
    ----------
    season_length_ : int
        The season used.
    errors_ : list of ndarray
        In-sample absolute errors of the naive forecast ``i + 1`` seasons
        back (``errors_[i]``: one row per training row that has one, the
        latest 10,000, one column per series), up to the seasons ``horizon``
        reaches; they set :meth:`predict_interval`'s widths.
    index_ : pandas.Index
        Index of the training series.
    n_targets_ : int
        Number of series (columns) forecast.

    See Also
    --------
    seqlearn.RNNForecaster : The recurrent forecaster to compare with it.

    Examples
    --------
    >>> import pandas as pd
    >>> from seqlearn.forecasting import NaiveForecaster
    >>> y = pd.Series(range(8), index=pd.period_range("2020Q1", periods=8, freq="Q"))
    >>> NaiveForecaster(horizon=5).fit(y).predict().tolist()
    [4.0, 5.0, 6.0, 7.0, 4.0]
    >>> NaiveForecaster(horizon=2, season_length=1).fit(y).predict().index[0]
    Period('2022Q1', 'Q-DEC')
    """

    def __init__(self, horizon=12, season_length=None):
        self.horizon = horizon
        self.season_length = season_length

    def fit(self, y, X=None):
        """Keep the last season of ``y``.

        Parameters
        ----------
        y : pandas Series, DataFrame or array-like of shape (T,) or (T, k)
            The training series, oldest first (a DataFrame: one per column).
        X : None
            Ignored; no covariates.

        Returns
        -------
        self : NaiveForecaster
            The fitted forecaster.
        """
        h = check_positive_int(self.horizon, "horizon")
        m = self.season_length
        if m is not None:
            m = check_positive_int(m, "season_length")
        values, index, columns, kind = _check_target(y, fill="keep")
        m = m or _index_season(index)
        tail = _last_season(values, index, m)
        # step j repeats the value ceil(j / m) seasons back
        lags = m * np.arange(1, -(-h // m) + 1)
        # the latest MAX_WINDOWS errors of each: memory stays bounded
        errors = []
        for lag in lags:
            recent = values[-(MAX_WINDOWS + lag) :]
            errors.append(np.abs(recent[lag:] - recent[:-lag]))
        self.errors_ = errors
        self.season_length_, self.index_ = m, index
        self.n_targets_ = values.shape[1]
        self._tail, self._columns, self._kind = tail, columns, kind
        return self

    def _forecast(self, horizon, y):
        """Forecasts ``(h, k)`` and their index, from fit's rows or ``y``'s."""
        check_is_fitted(self, "season_length_")
        h = self.horizon if horizon is None else horizon
        h = check_positive_int(h, "horizon")
        tail, index = self._tail, self.index_
        if y is not None:
            values, index, columns, _ = _check_target(y, fill="keep")
            values = match_series(values, columns, y, self._columns, self._kind)
            tail = _last_season(values, index, self.season_length_)
        m = self.season_length_
        return np.tile(tail, (-(-h // m), 1))[:h], future_index(index, h)

    def predict(self, horizon=None, y=None, X=None):
        """Forecast the periods after the training series (or after ``y``).

        Parameters
        ----------
        horizon : int, default=None
            Steps to forecast; None means ``self.horizon``.
        y : pandas Series, DataFrame or array-like, default=None
            Newer history of the same series (at least ``season_length_``
            rows) to forecast from; the forecast index continues from ``y``'s.
            A DataFrame's columns are matched to the fitted series by name
            (by position when ``fit`` had no names).
        X : None
            Ignored; no covariates.

        Returns
        -------
        forecast : pandas Series or DataFrame
            Indexed by the future periods, shaped like the ``y`` of ``fit``.
        """
        pred, future = self._forecast(horizon, y)
        if self._kind == "series":
            return pd.Series(pred[:, 0], index=future, name=self._columns[0])
        return pd.DataFrame(pred, index=future, columns=self._columns)

    def predict_interval(self, coverage=0.9, horizon=None, y=None, X=None):
        """Forecast with intervals from the naive forecast's in-sample errors.

        The half-width at step ``j`` is the ``ceil((n + 1) * coverage) / n``
        quantile of the ``n`` absolute errors of the training series' own
        naive forecasts as many seasons back as step ``j`` reaches
        (:attr:`errors_`), per series: it covers with probability at least
        ``coverage`` when those errors are exchangeable (a random walk's, for
        ``season_length=1``), as for :meth:`RNNForecaster.predict_interval`.
        With too few errors for ``coverage``, the bounds are infinite, with a
        warning.

        Parameters
        ----------
        coverage : float, default=0.9
            Nominal probability that the interval holds the truth, in (0, 1).
        horizon : int, default=None
            Steps to forecast, at most ``self.horizon``; None means
            ``self.horizon``.
        y : pandas Series, DataFrame or array-like, default=None
            Newer history to forecast from, as for :meth:`predict`.
        X : None
            Ignored; no covariates.

        Returns
        -------
        intervals : pandas DataFrame
            Columns ``forecast``, ``lower`` and ``upper`` (for several series,
            those names under each series' name), indexed by the future
            periods.
        """
        check_coverage(coverage)
        check_is_fitted(self, "season_length_")
        h = self.horizon if horizon is None else check_positive_int(horizon, "horizon")
        if h > self.horizon:
            raise ValueError(
                f"horizon={h} exceeds the fitted horizon {self.horizon}: the "
                "errors are measured up to it. Refit with a larger horizon."
            )
        pred, future = self._forecast(h, y)
        width = np.empty_like(pred)
        for i, errors in enumerate(self.errors_):
            steps = slice(i * self.season_length_, (i + 1) * self.season_length_)
            width[steps] = _conformal_width(errors, coverage)
        parts = {"forecast": pred, "lower": pred - width, "upper": pred + width}
        return interval_frame(parts, future, self._columns, self._kind == "series")


def _conformal_width(errors, coverage):
    """Per-column split-conformal quantile of absolute ``errors`` (NaN skipped)."""
    out = np.full(errors.shape[1], np.inf)
    for j, column in enumerate(errors.T):
        column = np.sort(column[~np.isnan(column)])
        n = len(column)
        rank = math.ceil((n + 1) * coverage)
        if rank <= n:
            out[j] = column[rank - 1]
    if np.isinf(out).any():
        warnings.warn(
            f"too few in-sample errors for coverage={coverage}: the intervals "
            "are infinite. Pass a longer series or ask for a lower coverage.",
            stacklevel=3,
        )
    return out
