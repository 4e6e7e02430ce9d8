"""Checks of the series and covariates the forecasters are given.

Shared by :class:`~seqlearn.RNNForecaster` and
:class:`~seqlearn.forecasting.NaiveForecaster`: a target's values, index and
columns, newer history matched to the fitted series, covariate rows and
their dates, and intervals as frames.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from seqlearn.forecasting._calendar import (
    _index_season,
    _named_freq,
    future_index,
    index_gaps,
)
from seqlearn.preprocessing._windows import check_series_input

# largest |y|: squares (spreads, autocorrelations) stay far from float64's limit
MAX_ABS_VALUE = 1e100
# smallest largest |y| of a nonzero series: its squares stay far from underflow
# (below about 1e-154 a spread squares to 0 and the scale falls back to 1)
MIN_ABS_VALUE = 1e-100


def n_rows(n):
    """``"1 row"``, ``"5 rows"``: a count of rows for a message."""
    return f"{n} row" if n == 1 else f"{n} rows"


def _show(value):
    """Return ``value`` for a message: numpy scalars as Python ones (91)."""
    return value.item() if isinstance(value, np.generic) else value


def check_horizon_argument(horizon):
    """Refuse a series passed as ``horizon`` (``predict(new_y)``) with the fix."""
    if isinstance(horizon, pd.Series | pd.DataFrame | np.ndarray | list | tuple):
        raise TypeError(
            f"horizon must be an int; got a {type(horizon).__name__}. Pass newer "
            "history by keyword: predict(y=...) (the first argument is the horizon)."
        )


def _time_index(index, what="y"):
    """Return ``index`` as a time axis the forecasts can continue, or raise.

    Dates, periods and numbers (row numbers, years) are time axes.  An index
    of ``Timestamp`` or ``Period`` objects (object dtype) is converted; one of
    strings (``read_csv`` without ``parse_dates``) is a ValueError: read as
    row numbers, it would silently lose the dates and the season.
    """
    if isinstance(index, pd.DatetimeIndex | pd.PeriodIndex | pd.TimedeltaIndex):
        return index
    if pd.api.types.is_bool_dtype(index.dtype):
        raise ValueError(f"{what}'s index holds booleans; it must be a time index.")
    if pd.api.types.is_numeric_dtype(index.dtype):
        return index
    kind = pd.api.types.infer_dtype(index, skipna=False)
    if kind in ("datetime64", "datetime", "date"):
        try:
            return pd.DatetimeIndex(index)
        except (TypeError, ValueError) as exc:  # e.g. mixed time zones
            raise ValueError(
                f"{what}'s index holds dates that do not form one DatetimeIndex "
                f"({exc}); convert it with pd.to_datetime(..., utc=True)."
            ) from None
    if kind == "period":
        try:
            return pd.PeriodIndex(index)
        except (TypeError, ValueError) as exc:  # mixed frequencies
            raise ValueError(
                f"{what}'s index holds periods of different frequencies ({exc})."
            ) from None
    first = _show(index[0]) if len(index) else None
    if kind in ("string", "bytes"):
        raise ValueError(
            f"{what}'s index holds strings (first: {first!r}), not times: the "
            "forecasts could not continue it, nor read a season from it. Parse "
            "it first, e.g. y.index = pd.to_datetime(y.index) (or read_csv(..., "
            "index_col=..., parse_dates=True)); for plain row numbers, "
            "y.reset_index(drop=True)."
        )
    raise ValueError(
        f"{what}'s index holds {kind} values (first: {first!r}); it must be a "
        "time index: dates (DatetimeIndex), periods (PeriodIndex) or numbers."
    )


def _warn_gaps(index):
    """Warn when a dated index has missing stretches (rows are read as steps)."""
    found = index_gaps(index)
    if found is None:
        return
    count, dates, step = found
    a, b = (str(d.date()) if d == d.normalize() else str(d) for d in dates)
    if step % pd.Timedelta(days=1) == pd.Timedelta(0):
        step = f"{step.days} day" + ("s" if step.days > 1 else "")
    warnings.warn(
        f"y's index has {count} gap(s) longer than its usual step of {step} "
        f"(the first from {a} to {b}). Its rows are read as "
        "consecutive steps, so a gap shifts the season and the forecast's "
        "dates: put y on its frequency first (e.g. y.asfreq('D')) and fill the "
        "NaN (fill='ffill' or 'interpolate').",
        UserWarning,
        stacklevel=4,
    )


def _check_target(y, fill):
    """Return ``(values (T, k) float64, index, columns, kind)``; fill or reject NaN."""
    check_series_input(y, "y")
    if isinstance(y, pd.Series):
        kind, index, columns, dtypes = "series", y.index, [y.name], [y.dtype]
    elif isinstance(y, pd.DataFrame):
        kind, index, columns = "frame", y.index, list(y.columns)
        dtypes = list(y.dtypes)
    else:
        given = type(y).__name__
        y = np.asarray(y)
        if y.ndim == 0:
            raise ValueError(f"y must be a 1-D or 2-D array-like; got a {given}.")
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D or 2-D; got shape {y.shape}.")
        kind = "series" if y.ndim == 1 else "frame"
        index = pd.RangeIndex(len(y))
        columns = [None] if y.ndim == 1 else list(range(y.shape[1]))
        dtypes = [y.dtype]
    if any(getattr(dtype, "kind", None) in ("m", "M") for dtype in dtypes):
        # they would pass as integers (nanoseconds), forecasts of dates
        raise TypeError(
            "y holds datetime or timedelta values; forecasts need numbers: "
            "convert them first (e.g. y.dt.total_seconds() for durations)."
        )
    if isinstance(index, pd.MultiIndex):
        raise ValueError(
            f"y has a MultiIndex (levels {list(index.names)}); pass one series per "
            "column (a wide frame, e.g. y.unstack(level=0)) or a long frame with "
            "the series' names in a column and id_column set to it."
        )
    index = _time_index(index)
    if not index.is_unique:
        dup = _show(index[index.duplicated()][0])
        # a DataFrame with a label column: a long frame read without id_column
        labels = []
        if isinstance(y, pd.DataFrame):
            numeric = [pd.api.types.is_numeric_dtype(t) for t in y.dtypes]
            labels = [c for c, num in zip(columns, numeric, strict=True) if not num]
        fix = (
            f"a long frame (a row per series and time) needs id_column={labels[0]!r}"
            if labels
            else "aggregate them first (e.g. y.groupby(level=0).mean())"
        )
        raise ValueError(f"y's index has duplicated entries (first: {dup!r}); {fix}.")
    if len(index) > 1 and not index.is_monotonic_increasing:
        raise ValueError(
            "y's index is not sorted oldest first (a newest-first series would be "
            "forecast backwards in time); sort it with y.sort_index()."
        )
    _warn_gaps(index)
    if np.iscomplexobj(np.asarray(y)):
        raise ValueError("y is complex; forecasts need real numbers.")
    try:
        values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"y must hold numbers: {exc}") from None
    if values.size == 0:
        raise ValueError("y is empty; a forecaster needs a series to learn from.")
    values = values.reshape(len(values), -1)
    if np.isinf(values).any():
        raise ValueError("y contains infinity; forecasts need finite values.")
    big = np.nanmax(np.abs(values), initial=0.0)
    if big > MAX_ABS_VALUE:
        raise ValueError(
            f"y has values up to {big:.3g} in absolute value; the forecaster "
            f"handles at most {MAX_ABS_VALUE:.0e} (its spreads square the "
            "values): rescale y, e.g. divide it by a power of ten."
        )
    if 0 < big < MIN_ABS_VALUE:
        raise ValueError(
            f"y's values are at most {big:.3g} in absolute value; the forecaster "
            f"needs some reaching {MIN_ABS_VALUE:.0e} (its spreads square the "
            "values, which would underflow to 0): rescale y, e.g. multiply it by "
            "a power of ten."
        )
    empty = np.isnan(values).all(axis=0)
    if empty.any():
        where = f" in column {columns[int(np.argmax(empty))]!r}"
        raise ValueError(
            f"y is all NaN{where if kind == 'frame' else ''}; there is nothing to "
            "forecast from."
        )
    missing = np.isnan(values).any(axis=1)
    if missing.any() and fill != "keep":
        if fill is None:
            first = int(np.argmax(missing))
            raise ValueError(
                f"y contains NaN in {int(missing.sum())} row(s) (first at position "
                f"{first}, index {_show(index[first])!r}); pass fill='ffill' or "
                "fill='interpolate' to RNNForecaster, or fill them yourself."
            )
        values = _fill(values, fill)
    return values, index, columns, kind


def conformal_rank(n, coverage):
    """Rank ``k = ceil((n + 1) * coverage)`` of the split-conformal quantile.

    The ``k``-th smallest of ``n`` conformity scores bounds a new score with
    probability at least ``coverage``; ``k > n`` means too few scores for
    that coverage (an infinite interval).  (A hair below the product before
    rounding up, so that ``20 * 0.95`` is 19 whatever the float rounding.)
    """
    return math.ceil((n + 1) * coverage - 1e-9)


def conformal_quantile(scores, coverage):
    """Return the ``k``-th smallest score of each column (:func:`conformal_rank`).

    ``scores`` is ``(n, ...)``; infinite where ``k > n``.
    """
    scores = np.asarray(scores)
    n = len(scores)
    k = conformal_rank(n, coverage)
    if k > n:
        return np.full(scores.shape[1:], np.inf)
    return np.partition(scores, k - 1, axis=0)[k - 1]


def last_rows(Y, index, need, reads, fix):
    """Return the last ``need`` rows of ``Y`` (newer history, ``(T, k)``).

    A ValueError when ``Y`` is shorter, or has NaN among them: the message
    says what the rows are (``reads``) and how to fill the NaN (``fix``).
    """
    if len(Y) < need:
        raise ValueError(
            f"y has {len(Y)} rows; forecasting needs the last {need} ({reads})."
        )
    tail = Y[len(Y) - need :]
    if np.isnan(tail).any():
        row = len(Y) - need + int(np.argmax(np.isnan(tail).any(axis=1)))
        raise ValueError(
            f"y has NaN in its last {need} rows, the rows the forecast reads "
            f"({reads}; first at index {_show(index[row])!r}); {fix}"
        )
    return tail


def match_series(Y, columns, y, fitted, kind):
    """Return ``Y``'s columns in the fitted order, or a ValueError.

    A DataFrame's columns (a long frame's series) are matched by name to the
    ``fitted`` names; by position when ``fit`` had no names (an array, or a
    Series without a name).
    """
    fitted = list(fitted)
    unnamed = fitted in (list(range(len(fitted))), [None])
    named = kind == "long" or (isinstance(y, pd.DataFrame) and not unnamed)
    if named and columns != fitted:
        missing = [c for c in fitted if c not in columns]
        unexpected = [c for c in columns if c not in fitted]
        if missing or unexpected or len(set(columns)) != len(columns):
            raise ValueError(
                f"y holds the series {columns}; the forecaster was fitted on "
                f"{fitted} (missing: {missing}, unexpected: {unexpected})."
            )
        Y = Y[:, [columns.index(c) for c in fitted]]
    if Y.shape[1] != len(fitted):
        raise ValueError(
            f"y has {Y.shape[1]} series; the forecaster was fitted on {len(fitted)}."
        )
    return Y


def check_frequency(index, fitted, reads):
    """Refuse newer history whose index is of another frequency than fit's.

    A seasonal period the index implies (monthly 12, quarterly 4, ...) that
    differs from the fitted series' is another frequency; ``reads`` says what
    counts the fitted series' periods (for the message).
    """
    fitted_m, new_m = _index_season(fitted), _index_season(index)
    if fitted_m > 1 and new_m > 1 and fitted_m != new_m:
        raise ValueError(
            f"y's index is of another frequency than the fitted series' "
            f"(their frequencies imply seasonal periods {new_m} and {fitted_m}; "
            f"y ends at {_show(index[-1])}, the fitted series at "
            f"{_show(fitted[-1])}): {reads} count the fitted series' periods. "
            "Resample y, or refit."
        )


def forecast_frame(values, index, fitted):
    """Forecasts ``(h, k)`` shaped like fit's ``y``: a Series, frame or long frame.

    ``fitted`` is ``(columns, kind, id_column, value_name, index_name)`` of
    the fitted ``y``; a long frame has the id column, then ``value_name``.
    """
    columns, kind, id_column, value_name, index_name = fitted
    if kind == "long":
        wide = pd.DataFrame(values, index=index.rename(index_name))
        wide.columns = columns
        return wide.melt(ignore_index=False, var_name=id_column, value_name=value_name)
    if kind == "series":
        return pd.Series(values[:, 0], index=index, name=columns[0])
    return pd.DataFrame(values, index=index, columns=columns)


def interval_frame(parts, index, fitted):
    """Return intervals ``{"forecast", "lower", "upper": (h, k)}`` as a frame.

    One series: those three columns; several: the three under each series'
    name (a two-level column index); a long frame: the id column, then the
    three.  ``fitted`` as for :func:`forecast_frame`.
    """
    columns, kind, id_column, _, index_name = fitted
    if kind == "long":
        frames = {
            k: forecast_frame(v, index, (columns, kind, id_column, k, index_name))
            for k, v in parts.items()
        }
        rest = {k: f[k].to_numpy() for k, f in frames.items() if k != "forecast"}
        return frames["forecast"].assign(**rest)
    if kind == "series":
        return pd.DataFrame({k: v[:, 0] for k, v in parts.items()}, index)
    names = pd.MultiIndex.from_product([columns, list(parts)])
    stacked = np.stack(list(parts.values()), axis=2).reshape(len(index), -1)
    return pd.DataFrame(stacked, index=index, columns=names)


def _long_to_wide(y, id_column):
    """Pivot a long frame (a row per series and time) to a column per series."""
    if not isinstance(y, pd.DataFrame) or id_column not in y.columns:
        raise ValueError(
            f"id_column={id_column!r} reads y as a long frame: a DataFrame with a "
            f"column {id_column!r} naming each row's series, one column of values "
            f"and the times as its index; got {type(y).__name__}"
            + (f" with columns {list(y.columns)}." if hasattr(y, "columns") else ".")
        )
    values = [c for c in y.columns if c != id_column]
    if len(values) != 1:
        raise ValueError(
            f"A long frame has the id column {id_column!r} and one column of "
            f"values; y has {len(values)} others: {values}."
        )
    keys = pd.MultiIndex.from_arrays([y[id_column], y.index])
    if keys.has_duplicates:
        series, time = map(_show, keys[keys.duplicated()][0])
        raise ValueError(
            f"y has several rows for series {series!r} at {time!r}; aggregate "
            "them first."
        )
    wide = y.pivot(columns=id_column, values=values[0])
    ends = wide.apply(pd.Series.last_valid_index)
    short = ends[ends != wide.index[-1]]
    if len(short):
        raise ValueError(
            f"Series {_show(short.index[0])!r} ends at {_show(short.iloc[0])!r}, "
            f"before the latest time {_show(wide.index[-1])!r}: every series of a "
            "long frame must reach the last time (forecasts start after it)."
        )
    return wide, values[0]


def _check_leading_nan(values, index):
    """Allow NaN only before a column's first value (a series that starts later)."""
    missing = np.isnan(values)
    started = np.maximum.accumulate(~missing, axis=0)
    inner = missing & started
    if inner.any() or not started[-1].all():
        row = int(np.argmax(inner.any(axis=1))) if inner.any() else 0
        raise ValueError(
            f"y contains NaN in {int(inner.sum()) or int(missing.sum())} row(s) "
            f"(first at position {row}, index {_show(index[row])!r}); pass "
            "fill='ffill' or fill='interpolate' to RNNForecaster, or fill them "
            "yourself (NaN before a column's first value is allowed: a series "
            "that starts later)."
        )


def _fill(values, how):
    frame = pd.DataFrame(values)
    if how == "ffill":
        frame = frame.ffill()
    else:
        frame = frame.interpolate(limit_direction="forward")
    # leading gaps have nothing before them: take the first observed value
    return frame.bfill().to_numpy(dtype=np.float64)


def _check_exog(X, n_rows, what):
    """Return X as a finite (n, p) float64 array with at least ``n_rows`` rows."""
    if X is None:
        return None
    check_series_input(X, "X")
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"X must hold numbers: {exc}") from None
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X must be 1-D or 2-D; got shape {X.shape}.")
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or infinity; impute covariates first.")
    if len(X) < n_rows:
        raise ValueError(f"X has {len(X)} rows, but {what} needs {n_rows}.")
    return X


def _dated(x_index, index):
    """Whether both indexes are dates or periods (so they can be compared)."""
    kinds = (pd.DatetimeIndex, pd.PeriodIndex)
    return isinstance(x_index, kinds) and isinstance(index, type(x_index))


def _check_exog_index(X, index, past):
    """Check a dated ``X``: the window's ``past`` rows, then the future ones."""
    if not _dated(getattr(X, "index", None), index):
        return  # positional: an array, or an index of another kind
    start = future_index(index, 1)[0]
    if past:
        expected = index[-past:]
        if not X.index[:past].equals(expected):
            raise ValueError(
                f"X's first {past} rows must be the covariates of y's last {past} "
                f"rows ({expected[0]} to {expected[-1]}); X starts at {X.index[0]}."
            )
    if X.index[past] != start:
        raise ValueError(
            f"X's future rows start at {X.index[past]}, but the forecast starts at "
            f"{start}: pass the covariates of the rows after the series."
        )


def _check_future_index(y_index, index):
    """Check that a dated ``y_index`` holds the periods that follow ``index``.

    Dates without a frequency pandas can name (holidays, missing rows) are
    only checked to come after ``index`` and by the last forecast period:
    the next observed date may fall after a gap.
    """
    if not _dated(y_index, index) or not len(y_index):
        return
    expected = future_index(index, len(y_index))
    regular = isinstance(index, pd.PeriodIndex) or _named_freq(index) is not None
    if regular:
        ok = y_index.equals(expected)
    else:
        ok = index[-1] < y_index[0] <= expected[-1]
    if not ok:
        raise ValueError(
            f"y must continue the training series, which ends at {index[-1]}: "
            f"its first {len(y_index)} rows should be {expected[0]} to "
            f"{expected[-1]}; y has {y_index[0]} to {y_index[-1]}."
        )
