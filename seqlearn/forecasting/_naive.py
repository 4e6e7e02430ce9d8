"""The seasonal naive forecast: the baseline to beat, in the forecasters' API."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from seqlearn.forecasting._backtest import check_coverage
from seqlearn.forecasting._calendar import _index_season, future_index
from seqlearn.forecasting._residual import MAX_WINDOWS
from seqlearn.forecasting._series import (
    _check_future_index,
    _check_target,
    _long_to_wide,
    _show,
    check_frequency,
    check_horizon_argument,
    conformal_quantile,
    forecast_frame,
    interval_frame,
    last_rows,
    match_series,
    n_rows,
)
from seqlearn.nn._validation import check_positive_int


def _last_season(values, index, columns, kind, m):
    """Return the last ``m`` rows of ``values``; a ValueError if short or NaN."""
    if len(values) >= m:
        # rows from each series' first value: one that starts later (leading
        # NaN, as a long frame's newer series) is short, not to be filled
        rows = len(values) - np.argmax(~np.isnan(values), axis=0)
        j = int(np.argmin(rows))
        n = int(rows[j])
        if n < m:
            what = "y" if kind == "series" else f"Series {_show(columns[j])!r} of y"
            start = _show(index[len(values) - n])
            raise ValueError(
                f"{what} has {n_rows(n)} (from {start!r}), too "
                f"short for season_length={m}: the seasonal naive forecast "
                f"repeats its last {m} values. Lower season_length, or pass a "
                "longer series."
            )
    reads = f"the season it repeats, season_length={m}"
    return last_rows(values, index, m, reads, "fill them first.")


class NaiveForecaster(BaseEstimator):
    """Repeat the last season (or, with ``season_length=1``, the last value).

    The forecast a user would make without a model, as an estimator with the
    API of :class:`~seqlearn.RNNForecaster`: pandas in and out (a Series, a
    wide frame or, with ``id_column``, a long frame), the index continued by
    :func:`future_index`, ``predict(y=...)`` from newer history, ``score``
    for scikit-learn's searches, and :func:`backtest` /
    :func:`backtest_metrics`, so a model and its baseline are compared on the
    same folds in one run.

    Parameters
    ----------
    horizon : int, default=12
        Number of future steps forecast.
    season_length : int or None, default=None
        The season repeated; None reads it from the index frequency as
        :class:`~seqlearn.RNNForecaster` does (12 monthly, 4 quarterly, 7
        daily, 5 business days, 52 weekly, 24 hourly; a multiple divides it,
        "2MS" 6; 1 otherwise).  Pass 1
        for the last value (the random walk's forecast, e.g. stock prices).
    id_column : str or None, default=None
        Read ``y`` as a long frame: the column of this name says which series
        each row belongs to, one other column holds the values and the index
        the times (as ``df.set_index('date')``).  Each series is forecast on
        its own; forecasts come back in the same long format.

    Attributes
    ----------
    horizon_ : int
        The ``horizon`` of the last fit.  ``predict``, ``predict_interval``
        and ``score`` use the parameters of the last fit (``horizon``,
        ``season_length``, ``id_column``): changing one with ``set_params``
        takes effect at the next fit.
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

    def __init__(self, horizon=12, season_length=None, id_column=None):
        self.horizon = horizon
        self.season_length = season_length
        self.id_column = id_column

    def fit(self, y, X=None):
        """Keep the last season of ``y``.

        Parameters
        ----------
        y : pandas Series, DataFrame or array-like of shape (T,) or (T, k)
            The training series, oldest first (a DataFrame: one per column;
            with ``id_column``, a long frame, see there).  A series may start
            later than the others (NaN before its first value) if it has a
            full season.
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
        id_column = self.id_column
        if id_column is not None and not isinstance(id_column, str):
            raise TypeError(
                "id_column must be a str (the long frame's column that names "
                f"each row's series) or None; got {id_column!r}."
            )
        values, index, columns, kind, value_name = _target(y, id_column)
        m = m or _index_season(index)
        tail = _last_season(values, index, columns, kind, m)
        # step j repeats the value ceil(j / m) seasons back
        lags = m * np.arange(1, -(-h // m) + 1)
        # the latest MAX_WINDOWS errors of each: memory stays bounded
        errors = []
        for lag in lags:
            recent = values[-(MAX_WINDOWS + lag) :]
            errors.append(np.abs(recent[lag:] - recent[:-lag]))
        self.errors_ = errors
        self.horizon_, self.season_length_, self.index_ = h, m, index
        self.n_targets_ = values.shape[1]
        self._tail, self._columns, self._kind = tail, columns, kind
        self._id_column, self._value_name = id_column, value_name
        return self

    def _forecast(self, horizon, y):
        """Forecasts ``(h, k)`` and their index, from fit's rows or ``y``'s."""
        check_is_fitted(self, "season_length_")
        check_horizon_argument(horizon)
        h = self.horizon_ if horizon is None else horizon
        h = check_positive_int(h, "horizon")
        tail, index, m = self._tail, self.index_, self.season_length_
        if y is not None:
            values, index, columns, _, _ = _target(y, self._id_column)
            values = match_series(values, columns, y, self._columns, self._kind)
            check_frequency(index, self.index_, "the season and horizon")
            tail = _last_season(values, index, self._columns, self._kind, m)
        return np.tile(tail, (-(-h // m), 1))[:h], future_index(index, h)

    def _layout(self):
        """How fit's ``y`` was laid out, for :func:`forecast_frame`."""
        layout = self._columns, self._kind, self._id_column, self._value_name
        return (*layout, self.index_.name)

    def predict(self, horizon=None, y=None, X=None):
        """Forecast the periods after the training series (or after ``y``).

        Parameters
        ----------
        horizon : int, default=None
            Steps to forecast; None means the fitted one, ``horizon_``.
        y : pandas Series, DataFrame or array-like, default=None
            Newer history of the same series (at least ``season_length_``
            rows) to forecast from, at the fitted frequency (a long frame
            with ``id_column``); the forecast index continues from ``y``'s.
            A DataFrame's columns (a long frame's series) are matched to the
            fitted series by name (by position when ``fit`` had no names).
        X : None
            Ignored; no covariates.

        Returns
        -------
        forecast : pandas Series or DataFrame
            Indexed by the future periods, shaped like the ``y`` of ``fit``
            (a long frame: the id column, then the values' column).
        """
        pred, future = self._forecast(horizon, y)
        return forecast_frame(pred, future, self._layout())

    def predict_interval(self, coverage=0.9, horizon=None, y=None, X=None):
        """Forecast with intervals from the naive forecast's in-sample errors.

        The half-width at step ``j`` is the ``k``-th smallest, ``k =
        ceil((n + 1) * coverage)``, of the ``n`` absolute errors of the
        training series' own naive forecasts as many seasons back as step
        ``j`` reaches (:attr:`errors_`), per series: it covers with
        probability at least ``coverage`` when those errors are exchangeable
        (a random walk's, for ``season_length=1``), as for
        :meth:`RNNForecaster.predict_interval`.
        With too few errors for ``coverage``, the bounds are infinite, with a
        warning.

        Parameters
        ----------
        coverage : float, default=0.9
            Nominal probability that the interval holds the truth, in (0, 1).
        horizon : int, default=None
            Steps to forecast, at most the fitted horizon ``horizon_``; None
            means ``horizon_``.
        y : pandas Series, DataFrame or array-like, default=None
            Newer history to forecast from, as for :meth:`predict`.
        X : None
            Ignored; no covariates.

        Returns
        -------
        intervals : pandas DataFrame
            Columns ``forecast``, ``lower`` and ``upper`` (for several series,
            those names under each series' name; for a long frame, after the
            id column), indexed by the future periods.
        """
        check_coverage(coverage)
        check_is_fitted(self, "season_length_")
        check_horizon_argument(horizon)
        h = self.horizon_ if horizon is None else check_positive_int(horizon, "horizon")
        if h > self.horizon_:
            raise ValueError(
                f"horizon={h} exceeds the fitted horizon {self.horizon_}: the "
                "errors are measured up to it. Refit with a larger horizon."
            )
        pred, future = self._forecast(h, y)
        width = np.empty_like(pred)
        for i, errors in enumerate(self.errors_):
            steps = slice(i * self.season_length_, (i + 1) * self.season_length_)
            width[steps] = _conformal_width(errors, coverage)
        parts = {"forecast": pred, "lower": pred - width, "upper": pred + width}
        return interval_frame(parts, future, self._layout())

    def score(self, y, X=None):
        """Negative mean absolute error of the forecast of ``y``'s first rows.

        ``y`` holds the rows that follow the training series (as the test part
        of ``TimeSeriesSplit``); the first ``min(len(y), horizon_)`` rows are
        forecast.  A dated ``y`` (DatetimeIndex or PeriodIndex, as the
        training series) must start right after the training series; an
        array is read as the next rows.  So ``GridSearchCV(NaiveForecaster(),
        grid, cv=TimeSeriesSplit(test_size=horizon))`` needs no ``scoring``.

        Parameters
        ----------
        y : pandas Series, DataFrame or array-like
            The true continuation of the training series (a long frame with
            ``id_column``).
        X : None
            Ignored; no covariates.

        Returns
        -------
        score : float
            ``-MAE`` (higher is better, as scikit-learn's searches expect).
        """
        check_is_fitted(self, "season_length_")
        values, index, columns, _, _ = _target(y, self._id_column)
        values = match_series(values, columns, y, self._columns, self._kind)
        h = min(len(values), self.horizon_)
        _check_future_index(index[:h], self.index_)
        truth = values[:h]
        if np.isnan(truth).any():
            row = int(np.argmax(np.isnan(truth).any(axis=1)))
            raise ValueError(
                f"y has NaN in the {h} rows scored (first at index "
                f"{_show(index[row])!r}); the score compares the forecast with "
                "the true values: drop or fill them first."
            )
        pred, _ = self._forecast(h, None)
        return -float(np.mean(np.abs(truth - pred)))


def _target(y, id_column):
    """``(values, index, columns, kind, value_name)`` of ``y``, NaN kept.

    A long frame (``id_column``) is pivoted to a column per series; its kind
    is "long" and ``value_name`` names its column of values.
    """
    value_name = None
    if id_column is not None:
        y, value_name = _long_to_wide(y, id_column)
    values, index, columns, kind = _check_target(y, fill="keep")
    return values, index, columns, "long" if value_name else kind, value_name


def _conformal_width(errors, coverage):
    """Per-column split-conformal quantile of absolute ``errors`` (NaN skipped)."""
    out = np.full(errors.shape[1], np.inf)
    for j, column in enumerate(errors.T):
        out[j] = conformal_quantile(column[~np.isnan(column)], coverage)
    if np.isinf(out).any():
        warnings.warn(
            f"too few in-sample errors for coverage={coverage}: the intervals "
            "are infinite. Pass a longer series or ask for a lower coverage.",
            stacklevel=3,
        )
    return out
