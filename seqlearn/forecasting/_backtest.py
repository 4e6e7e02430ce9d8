"""Backtests of any forecaster: refit at successive origins, leak-free."""

from __future__ import annotations

import copy
import math
import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import check_random_state

from seqlearn.forecasting._series import _long_to_wide, _show
from seqlearn.preprocessing._windows import check_series_input


def _rows(y, start, end):
    return y.iloc[start:end] if hasattr(y, "iloc") else y[start:end]


def check_flag(value, name):
    """Raise a TypeError unless ``value`` is a bool (numpy's too).

    A string such as ``"no"`` is truthy: read as a flag, it would mean yes.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}.")


def check_origins(horizon, step, initial_window, window_type, seasonal_period, n_rows):
    """Validate the arguments that place a backtest's origins; return them.

    Parameters
    ----------
    horizon, step, initial_window : int
        As for :func:`backtest` (``step`` already defaulted).
    window_type : str
        "expanding" or "sliding".
    seasonal_period : int
        Lag of the naive forecast that scales MASE: at least 1 and less than
        ``initial_window`` (the training rows of the first fold).
    n_rows : int
        Rows of the series.

    Returns
    -------
    ends : ndarray of int
        The origins: each fold trains on the rows before its end.

    Raises
    ------
    ValueError
        Naming the argument and its value, or when no origin leaves a full
        horizon.
    """
    for name, value in (
        ("horizon", horizon),
        ("step", step),
        ("initial_window", initial_window),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Integral)
            or value < 1
        ):
            raise ValueError(f"{name} must be a positive int; got {value!r}.")
    if window_type not in ("expanding", "sliding"):
        raise ValueError(
            f"window_type must be 'expanding' or 'sliding'; got {window_type!r}."
        )
    m = seasonal_period
    if (
        isinstance(m, bool)
        or not isinstance(m, numbers.Integral)
        or not 1 <= m < initial_window
    ):
        raise ValueError(
            "seasonal_period must be a positive int smaller than "
            f"initial_window={initial_window} (the lag of the naive forecast "
            f"that scales MASE); got {m!r}."
        )
    ends = np.arange(initial_window, n_rows - horizon + 1, step)
    if not len(ends):
        raise ValueError(
            f"No origin: initial_window={initial_window} and horizon={horizon} "
            f"leave no full horizon in {n_rows} rows."
        )
    return ends


def backtest(
    forecaster,
    y,
    X=None,
    *,
    initial_window,
    horizon=None,
    step=None,
    refit=True,
    window_type="expanding",
    seasonal_period=1,
    coverage=None,
):
    """Forecast from successive origins with a model fitted before each.

    Origin ``i`` is row ``initial_window + i * step`` (the first forecast
    row); a fresh clone of ``forecaster`` is fitted on the rows before it only
    (all of them, or the last ``initial_window`` with
    ``window_type="sliding"``) and forecasts the next ``horizon`` rows.
    Origins run while a full horizon remains.

    Parameters
    ----------
    forecaster : object
        Any forecaster with ``fit(y)`` and ``predict(horizon)`` returning
        ``horizon`` rows and one column per series (a Series, DataFrame or
        array; 1-D for one series).  One with ``get_params`` is copied per
        fold with :func:`sklearn.base.clone`, and its ``random_state``
        parameter, if any, is replaced per origin by a seed drawn from it, so
        the folds differ but the whole backtest is reproducible; any other is
        copied, unfitted, with :func:`copy.deepcopy`.
    y : pandas Series, DataFrame or array-like of shape (T,) or (T, k)
        The whole series, oldest first.  A long frame when the forecaster has
        an ``id_column`` (its series are then backtested as the columns of
        the wide frame).
    X : DataFrame or array-like of shape (T, p), default=None
        Covariates known in the future, row ``t`` with row ``t`` of ``y``
        (at least ``T`` rows).  Each fold fits on the rows of ``X`` it trains
        on, ``fit(y_rows, X_rows)``, and forecasts with the rows from its
        origin on, ``predict(horizon, X=X_rows)``, as
        :meth:`RNNForecaster.backtest` does (:class:`NaiveForecaster` ignores
        them).  Needs ``refit=True``.  None passes no ``X`` to the forecaster.
    initial_window : int
        Training rows before the first origin.
    horizon : int, default=None
        Steps forecast from each origin; None means ``forecaster.horizon``.
    step : int, default=None
        Rows between origins; None means ``horizon``.
    refit : bool, default=True
        Refit at every origin; False fits once, before the first origin, and
        forecasts the later origins with ``predict(horizon, y=rows before the
        origin)`` (the forecaster must accept newer history ``y``).
    window_type : {"expanding", "sliding"}, default="expanding"
        Train on all past rows, or on the last ``initial_window`` only.
    seasonal_period : int, default=1
        Lag of the in-sample naive forecast that scales MASE (a positive int
        smaller than ``initial_window``).
    coverage : float in (0, 1), default=None
        Also record each fold's prediction interval of this coverage, from
        ``predict_interval(coverage=coverage, horizon=horizon)``: a DataFrame
        with ``forecast``, ``lower`` and ``upper`` columns (for several series,
        those names as the second level of its columns), as
        :meth:`RNNForecaster.predict_interval` returns.

    Returns
    -------
    forecasts : pandas DataFrame
        One row per origin, step and target: ``fold``, ``origin``, ``time``,
        ``step`` (1-based), ``target``, ``y_true``, ``y_pred``, ``error`` and
        ``scaled_error`` (see :func:`backtest_metrics`; NaN where the fold's
        in-sample naive MAE is 0, a constant training series); with
        ``coverage``, also ``lower`` and ``upper``.  ``target`` is the
        series' name: a DataFrame's column, a Series' ``name``, a 2-D array's
        column number; an unnamed Series or a 1-D array is ``0``, the column
        it would have as a one-column frame (``y.to_frame()``).

    Raises
    ------
    TypeError, ValueError
        For an invalid argument, naming it, before any fold is fitted.
    ValueError
        When a fold's ``fit`` or ``predict`` raises one (a column that starts
        after the first origin, say): the forecaster's message, with the fold,
        its origin and training rows, and a fix.  Of the same class when the
        forecaster's error is a subclass (such as ``LossDivergedError``).
    """
    if not (hasattr(forecaster, "fit") and hasattr(forecaster, "predict")):
        raise TypeError(
            "forecaster must be an estimator with fit and predict; got "
            f"{type(forecaster).__name__}."
        )
    if horizon is None and not hasattr(forecaster, "horizon"):
        raise ValueError(
            f"{type(forecaster).__name__} has no horizon attribute: pass horizon."
        )
    check_flag(refit, "refit")
    h = forecaster.horizon if horizon is None else horizon
    step = h if step is None else step
    if coverage is not None:
        check_coverage(coverage)
        if not hasattr(forecaster, "predict_interval"):
            raise TypeError(
                f"coverage needs a forecaster with predict_interval; "
                f"{type(forecaster).__name__} has none."
            )
    id_column = getattr(forecaster, "id_column", None)
    if id_column is not None and hasattr(forecaster, "set_params"):
        # a long frame's series, one column each: the folds cut rows of time
        y = _long_to_wide(y, id_column)[0]
        forecaster = clone(forecaster).set_params(id_column=None)
    check_series_input(y, "y")
    ends = check_origins(h, step, initial_window, window_type, seasonal_period, len(y))
    check_covariates(X, len(y), refit)
    values = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    index = y.index if hasattr(y, "index") else pd.RangeIndex(len(y))
    k = values.shape[1]
    if isinstance(y, pd.DataFrame):
        columns = list(y.columns)
    else:  # an array's columns are numbered (an unnamed series: fold_labels)
        columns = [getattr(y, "name", None)] if k == 1 else list(range(k))
    # sklearn-style forecasters are cloned and reseeded per fold; any other
    # object with fit and predict is deep-copied, unfitted, for every fold
    sklearn_style = hasattr(forecaster, "get_params")
    params = forecaster.get_params() if sklearn_style else {}
    seeded = sklearn_style and "random_state" in params
    rng = check_random_state(params.get("random_state")) if seeded else None
    frames, model = [], None
    for fold, end in enumerate(ends):
        start = end - initial_window if window_type == "sliding" else 0
        fitted_here = refit or model is None
        try:
            if fitted_here:
                model = (
                    clone(forecaster) if sklearn_style else copy.deepcopy(forecaster)
                )
                if seeded:
                    model.set_params(random_state=int(rng.randint(2**31 - 1)))
                model.fit(_rows(y, start, end), **_covariates(X, start, end))
            # fitted at an earlier origin: forecast from the newer rows; with X,
            # the covariates from the origin on (the forecaster reads its horizon)
            inputs = {} if fitted_here else {"y": _rows(y, 0, end)}
            inputs.update(_covariates(X, end, None))
            if coverage is None:
                out = model.predict(h, **inputs)
            else:
                out = model.predict_interval(coverage=coverage, horizon=h, **inputs)
        except ValueError as exc:
            raise fold_error(
                exc, fold, index, values, columns, start, end, fitted_here
            ) from exc
        band = None
        if coverage is None:
            pred = out
        else:
            pred, band = _interval_columns(out, h, k)
        pred = _check_prediction(pred, h, k)
        train = values[start:end]
        m = seasonal_period
        with np.errstate(invalid="ignore"):
            scale = np.nanmean(np.abs(train[m:] - train[:-m]), axis=0)
        truth = values[end : end + h]
        frames.append(fold_frame(fold, index, end, columns, truth, pred, scale, band))
    return pd.concat(frames, ignore_index=True)


def check_covariates(X, n_rows, refit):
    """Raise a TypeError or ValueError unless ``X`` is None or fits a backtest."""
    if X is None:
        return
    check_series_input(X, "X")
    if not hasattr(X, "__len__") or np.ndim(X) not in (1, 2):
        raise ValueError(
            f"X must be 1-D or 2-D, a row per row of y; got {type(X).__name__}."
        )
    if not refit:
        # predict(y=newer rows, X=...) wants the covariates of the rows the
        # forecaster's window reads, which only the forecaster knows
        raise ValueError(
            "X needs refit=True: forecasting a later origin without refitting "
            "needs the covariates of the rows the forecaster's window reads, "
            "which the backtest cannot know. Pass refit=True, or call "
            "RNNForecaster.backtest(y, X, refit=False)."
        )
    if len(X) < n_rows:
        raise ValueError(
            f"X has {len(X)} rows but y has {n_rows}: row t of X goes with row t "
            "of y; pass a covariate row for every row of y."
        )


def _covariates(X, start, end):
    """``{"X": rows start to end of X}`` (end None: to its end); {} without X."""
    return {} if X is None else {"X": _rows(X, start, end)}


def fold_error(exc, fold, index, values, columns, start, end, fitted):
    """Return the error of a fold whose forecaster raised ``exc``, with a fix.

    The fold's model was ``fitted`` on rows ``start`` to ``end - 1``, or, fitted
    at the first origin (``refit=False``), forecast from rows before ``end``.
    ``exc``'s class where it takes a message alone (``LossDivergedError``
    stays one), otherwise a ValueError; the caller chains ``exc``.
    """
    start = start if fitted else 0
    rows = (
        f"rows {start} to {end - 1} ({_show(index[start])} to {_show(index[end - 1])})"
    )
    what = (
        f"its forecaster, fitted on {rows}"
        if fitted
        else f"its forecaster, fitted at the first origin and forecasting from {rows}"
    )
    message = (
        f"Backtest fold {fold} (origin {_show(index[end])}, row {end}) failed: "
        f"{what}, raised: {exc} {_fold_fix(index, values, columns, start, end)}"
    )
    try:
        return type(exc)(message)
    except Exception:  # a constructor that wants other arguments
        return ValueError(message)


def _fold_fix(index, values, columns, start, end):
    """Say how to give a failed fold enough rows: name the latest-starting series."""
    seen = ~np.isnan(values[start:end])
    # each series' first observed row in the fold (end - start: none)
    starts = np.where(seen.any(axis=0), seen.argmax(axis=0), end - start)
    j = int(np.argmax(starts))
    fix = (
        "pass a larger initial_window, so that the first origin comes when "
        "every series has enough history"
    )
    observed = np.flatnonzero(~np.isnan(values[:, j]))
    name = fold_labels(columns)[j]
    if not observed.size:
        return f"Series {name!r} has no values: drop it."
    row = int(observed[0])
    if starts[j] == 0 or row < start:  # no series starts late in these rows
        return f"If {end - start} rows are too few for the forecaster, {fix}."
    when = f"{end - row} rows before" if row < end else "after"
    return (
        f"Series {name!r} starts at row {row} ({_show(index[row])}), {when} the "
        f"origin: {fix} (or backtest {name!r} on its own)."
    )


def check_coverage(coverage):
    """Raise a TypeError or ValueError unless ``coverage`` is a float in (0, 1)."""
    if isinstance(coverage, bool) or not isinstance(coverage, numbers.Real):
        raise TypeError(f"coverage must be a float in (0, 1); got {coverage!r}.")
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1); got {coverage!r}.")


def _interval_columns(out, h, k):
    """Return ``(forecast, (lower, upper))`` arrays ``(h, k)`` of an interval frame."""
    if not isinstance(out, pd.DataFrame):
        raise TypeError(
            "predict_interval must return a DataFrame with forecast, lower and "
            f"upper columns; got {type(out).__name__}."
        )
    two_level = out.columns.nlevels == 2
    names = set(out.columns.get_level_values(-1))
    parts = []
    for name in ("forecast", "lower", "upper"):
        if name not in names:
            raise ValueError(
                f"predict_interval's DataFrame has no {name!r} column; its "
                f"columns are {list(out.columns)}."
            )
        part = out.xs(name, axis=1, level=1) if two_level else out[[name]]
        parts.append(_check_prediction(part.to_numpy(), h, k))
    return parts[0], (parts[1], parts[2])


def _check_prediction(pred, h, k):
    """``pred`` as an ``(h, k)`` float array, or a ValueError on its shape."""
    got = np.shape(pred)
    pred = np.asarray(pred, dtype=np.float64)
    if pred.shape != (h, k) and not (k == 1 and pred.shape == (h,)):
        expected = f"({h}, {k})" if k > 1 else f"({h},) or ({h}, 1)"
        raise ValueError(
            f"predict returned shape {got} for horizon={h} and {k} series; "
            f"expected {expected}: one row per step, one column per series."
        )
    return pred.reshape(h, k)


def fold_frame(fold, index, end, columns, truth, pred, scale, band=None):
    """One backtest fold as rows of (origin, time, step, target) with errors.

    Parameters
    ----------
    fold : int
        Number of the fold.
    index : pandas.Index
        Index of the whole series; ``index[end]`` is the fold's origin.
    end : int
        Row of the first forecast period.
    columns : list
        Names of the series (``[None]``, an unnamed series, is labelled 0:
        see :func:`fold_labels`).
    truth, pred : ndarray of shape (h, k)
        Observed and forecast values.
    scale : ndarray of shape (k,)
        In-sample naive MAE of each series (scales ``scaled_error``, which
        is NaN where the scale is 0: a constant training series).
    band : tuple of two ndarrays of shape (h, k), default=None
        Lower and upper interval bounds, kept as ``lower`` and ``upper``.

    Returns
    -------
    pandas.DataFrame
        Columns ``fold``, ``origin``, ``time``, ``step``, ``target``,
        ``y_true``, ``y_pred``, ``error``, ``scaled_error`` (and ``lower``,
        ``upper`` with ``band``).
    """
    h, k = truth.shape
    columns = fold_labels(columns)
    error = truth - pred
    # a constant training series has no naive error to scale by: undefined
    scale = np.where(scale > 0, scale, np.nan)
    frame = pd.DataFrame(
        {
            "fold": fold,
            "origin": index[end],
            "time": np.repeat(index[end : end + h], k),
            "step": np.repeat(np.arange(1, h + 1), k),
            "target": np.tile(np.array(columns, dtype=object), h),
            "y_true": truth.ravel(),
            "y_pred": pred.ravel(),
            "error": error.ravel(),
            "scaled_error": (error / scale).ravel(),
        }
    )
    if band is not None:
        frame["lower"], frame["upper"] = band[0].ravel(), band[1].ravel()
    return frame


def fold_labels(columns):
    """Return the ``target`` labels of series named ``columns``.

    One unnamed series (``[None]``: a Series without a name, a 1-D array) is
    labelled ``0``, as ``y.to_frame()`` and a one-column array name it; a
    None label would group as NaN in :func:`backtest_metrics`.
    """
    columns = list(columns)
    return [0] if columns == [None] else columns


def check_by(by):
    """Return the column names ``by`` groups by; a TypeError names ``by``."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    if isinstance(by, (list, tuple)) and all(isinstance(key, str) for key in by):
        return list(by)
    raise TypeError(
        "by must be a column name, a list of column names or None (e.g. "
        f"by='fold' or by=['target', 'step']); got {by!r}."
    )


def backtest_metrics(forecasts, by="fold"):
    """MAE, RMSE, MAPE (%) and MASE of backtest forecasts, per group and pooled.

    Parameters
    ----------
    forecasts : pandas DataFrame
        The output of :meth:`RNNForecaster.backtest` (columns ``y_true``,
        ``error``, ``scaled_error`` and ``by``).
    by : str or list of str or None, default="fold"
        Columns to group by (e.g. ``"step"``, ``["target", "fold"]``; a tuple
        is a list too); a last row ``"all"`` pools every forecast.  None gives
        the pooled row only.

    Returns
    -------
    metrics : pandas DataFrame
        Columns ``mae``, ``rmse``, ``mape``, ``mase``, ``n``; with ``lower``
        and ``upper`` columns (a backtest with ``coverage``), also
        ``coverage``: the share of true values inside their interval.  Rows
        without a truth (NaN) are left out.  MAPE is NaN (with a warning) for a group
        with a true value of 0, MASE for a group with a NaN ``scaled_error``
        (its fold's training series was constant): both divide by zero there.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"fold": [0, 0, 1], "y_true": [2.0, 4.0, 5.0],
    ...                   "error": [1.0, -1.0, 2.0],
    ...                   "scaled_error": [0.5, -0.5, 1.0]})
    >>> backtest_metrics(f).round(3)
           mae   rmse    mape   mase  n
    0    1.000  1.000  37.500  0.500  2
    1    2.000  2.000  40.000  1.000  1
    all  1.333  1.414  38.333  0.667  3
    """
    if not isinstance(forecasts, pd.DataFrame):
        raise TypeError(
            "forecasts must be the DataFrame of RNNForecaster.backtest or "
            f"seqlearn.forecasting.backtest; got {type(forecasts).__name__}."
        )
    keys = check_by(by)
    needed = ["y_true", "error", "scaled_error", *keys]
    missing = [c for c in needed if c not in forecasts.columns]
    if missing:
        raise ValueError(
            f"forecasts has no column {missing[0]!r}"
            + (" (by)" if missing[0] in keys else "")
            + f"; its columns are {list(forecasts.columns)}."
        )
    error, truth = forecasts["error"], forecasts["y_true"]
    # undefined where they divide by zero: a zero truth, a constant training
    # series (scaled_error NaN); a group holding one gets NaN, not inf
    zero = truth.eq(0) & error.notna()
    unscaled = forecasts["scaled_error"].isna() & error.notna()
    banded = {"lower", "upper"} <= set(forecasts.columns)
    if banded:  # whether each truth fell inside its interval
        forecasts = forecasts.assign(
            _in=(forecasts["lower"] <= truth) & (truth <= forecasts["upper"])
        )
    f = forecasts.assign(
        _ae=error.abs(),
        _se=error**2,
        _ape=100 * (error / truth.where(~zero)).abs(),
        _ase=forecasts["scaled_error"].abs(),
        _zero=zero,
        _unscaled=unscaled,
    )
    for mask, what in (
        (zero, "MAPE is NaN where a true value is 0 (a percentage of 0)"),
        (
            unscaled,
            "MASE is NaN where a fold's training series is constant "
            "(its naive forecast errs by 0, the scale of scaled_error)",
        ),
    ):
        if mask.any():
            warnings.warn(
                f"{what}: {int(mask.sum())} forecast(s), in the groups that "
                "hold them and the pooled row.",
                UserWarning,
                stacklevel=2,
            )

    def summarise(g):
        row = {
            "mae": g["_ae"].mean(),
            "rmse": math.sqrt(g["_se"].mean()),
            "mape": np.nan if g["_zero"].any() else g["_ape"].mean(),
            "mase": np.nan if g["_unscaled"].any() else g["_ase"].mean(),
        }
        if banded:  # over the rows with a truth, as the errors
            row["coverage"] = g.loc[g["_ae"].notna(), "_in"].astype(float).mean()
        row["n"] = int(g["_ae"].notna().sum())
        return pd.Series(row)

    pooled = summarise(f).to_frame("all").T
    if not keys:  # None (or no column): the pooled row only
        return pooled.astype({"n": int})
    # dropna=False: a target None (a frame from before unnamed series were
    # labelled 0) is a group too
    groups = f.groupby(by if isinstance(by, str) else keys, dropna=False)
    per_group = pd.DataFrame({key: summarise(g) for key, g in groups}).T
    per_group.index.name = by if isinstance(by, str) else None
    return pd.concat([per_group, pooled]).astype({"n": int})
