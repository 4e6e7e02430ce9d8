"""The seasonal naive forecast: the baseline to beat, in the forecasters' API."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from seqlearn.forecasting._forecaster import (
    _check_target,
    _index_season,
    future_index,
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
        check_positive_int(self.horizon, "horizon")
        m = self.season_length
        if m is not None:
            m = check_positive_int(m, "season_length")
        values, index, columns, kind = _check_target(y, fill="keep")
        m = m or _index_season(index)
        tail = _last_season(values, index, m)
        self.season_length_, self.index_ = m, index
        self.n_targets_ = values.shape[1]
        self._tail, self._columns, self._kind = tail, columns, kind
        return self

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
        check_is_fitted(self, "season_length_")
        h = self.horizon if horizon is None else horizon
        h = check_positive_int(h, "horizon")
        tail, index = self._tail, self.index_
        if y is not None:
            values, index, columns, _ = _check_target(y, fill="keep")
            values = match_series(values, columns, y, self._columns, self._kind)
            tail = _last_season(values, index, self.season_length_)
        m = self.season_length_
        pred = np.tile(tail, (-(-h // m), 1))[:h]
        future = future_index(index, h)
        if self._kind == "series":
            return pd.Series(pred[:, 0], index=future, name=self._columns[0])
        return pd.DataFrame(pred, index=future, columns=self._columns)
