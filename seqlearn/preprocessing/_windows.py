"""Sliding windows for forecasting: :func:`make_windows`, :class:`WindowTransformer`."""

from __future__ import annotations

from collections.abc import Iterator
from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from seqlearn._compat import Interval
from seqlearn._docstrings import fill_doc
from seqlearn.data import RaggedSteps, Sequences, check_dense
from seqlearn.preprocessing._scaling import (
    INPUT_ATTRIBUTES_DOC,
    Output,
    SequenceTransformer,
    _restore,
    _restore_steps,
    _validate,
)

__all__ = ["WindowTransformer", "make_windows"]


def _check_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}.")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}.")
    return int(value)


def check_series_input(values, name: str) -> None:
    """Reject a sparse matrix or an iterator passed as a series (TypeError).

    Both would become a 0-d object array (a message about shape ``()``).
    """
    check_dense(values, name)
    if isinstance(values, Iterator):
        raise TypeError(
            f"{name} is an iterator ({type(values).__name__}), which is read only "
            f"once; pass a list, an array or a pandas object (e.g. list({name}))."
        )


def _series_array(series) -> tuple[np.ndarray, object]:
    """Return the series as a 2-D ``(T, F)`` numeric array (a view if possible)."""
    check_series_input(series, "series")
    columns = getattr(series, "columns", None)
    if hasattr(series, "to_numpy"):
        series = series.to_numpy()
    arr = np.asarray(series)
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"series must be 1-D (T,) or 2-D (T, n_features); got shape {arr.shape}."
        )
    if arr.dtype.kind == "c":
        raise ValueError(
            "series holds complex numbers; windows are real-valued (split real "
            "and imaginary parts into two columns if both matter)."
        )
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"series must hold numbers; got dtype {arr.dtype}."
            ) from None
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            row = int(np.argmax(bad.any(axis=1) if bad.ndim == 2 else bad))
            raise ValueError(
                f"series contains NaN or infinity (first at position {row}); "
                "impute or drop missing values before making windows."
            )
    return (arr[:, None] if arr.ndim == 1 else arr), columns


def _target_indices(target_columns, n_columns: int, columns) -> tuple[list, bool]:
    """Column positions of the targets, and whether a single one was asked for."""
    if target_columns is None:
        return list(range(n_columns)), n_columns == 1
    scalar = np.ndim(target_columns) == 0
    wanted = [target_columns] if scalar else list(target_columns)
    if not wanted:
        raise ValueError("target_columns is empty; name at least one column.")
    out = []
    for col in wanted:
        if isinstance(col, Integral) and not isinstance(col, bool):
            if not -n_columns <= col < n_columns:
                # integers are positions, even where a column has that label
                label = columns is not None and col in columns
                hint = (
                    f"; integers are positions: for the column labelled {col}, "
                    f"pass its position {int(columns.get_loc(col))}"
                    if label
                    else ""
                )
                raise ValueError(
                    f"target column {col} is out of range for a series with "
                    f"{n_columns} column(s){hint}."
                )
            out.append(int(col) % n_columns)
        elif columns is not None and col in columns:
            out.append(int(columns.get_loc(col)))
        else:
            raise ValueError(
                f"target column {col!r} is not a column position"
                + ("" if columns is None else f" or one of {list(columns)}")
                + "."
            )
    if len(set(out)) != len(out):  # [0, 0], or a position and its label
        raise ValueError(f"target_columns names a column twice: {wanted}.")
    return out, len(out) == 1


def make_windows(
    series: ArrayLike,
    window: int,
    horizon: int = 1,
    step: int = 1,
    *,
    target_columns: int | str | list[int | str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a time series into input windows and the values that follow them.

    Window ``i`` starts at ``i * step``: ``X[i] = series[i*step : i*step +
    window]`` and ``y[i]`` holds the ``horizon`` values right after it,
    ``series[i*step + window : i*step + window + horizon]`` (target columns
    only).  Every window has a full horizon after it, so there are
    ``(T - window - horizon) // step + 1`` windows.

    Parameters
    ----------
    series : array-like of shape (T,) or (T, n_features), pandas Series or \
DataFrame
        The time series, oldest first.  Must be numeric and finite.
    window : int
        Number of steps in each input window.
    horizon : int, default=1
        Number of future steps to predict.
    step : int, default=1
        Distance between the starts of consecutive windows.
    target_columns : int, str or list of them, default=None
        Columns to predict, by position or by DataFrame column name.  Default:
        the series itself for 1-D input, every column for 2-D input.  All
        columns always make up ``X``.

    Returns
    -------
    X : ndarray of shape (n_windows, window, n_features)
        Input windows; a read-only view of the series' memory (no copy) when
        the series is a numeric array.  A 1-D series gives ``n_features = 1``.
    y : ndarray
        Targets: shape ``(n_windows,)`` for one target and ``horizon=1``;
        ``(n_windows, horizon)`` for one target and ``horizon > 1``;
        ``(n_windows, n_targets)`` for several targets and ``horizon=1``;
        ``(n_windows, horizon, n_targets)`` for several targets and
        ``horizon > 1``.  That is, the horizon axis is present when
        ``horizon > 1`` and the targets axis when more than one target column
        is selected.  For one target and ``horizon=1``, ``y`` is a read-only
        view of the series too; otherwise a fresh array.

    Raises
    ------
    ValueError
        If ``window + horizon`` exceeds the length of the series, a window,
        horizon or step is below 1, or the series holds NaN or infinity.
    TypeError
        If the series is a sparse matrix or an iterator (pass an array), or a
        window, horizon or step is not an int.

    See Also
    --------
    WindowTransformer : Shorten windows inside a Pipeline.

    Notes
    -----
    **Cross-validation without leakage.** Consecutive windows overlap, so a
    shuffled split leaks test values into training.  Split the windows in time
    order with ``sklearn.model_selection.TimeSeriesSplit(gap=g)``: the last
    training window ``a`` reads the series up to ``a*step + window +
    horizon - 1`` and the first test window ``b = a + g + 1`` starts at
    ``b*step``, so no series value is shared when
    ``g = ceil((window + horizon) / step) - 1``, which is ``window + horizon -
    1`` for ``step=1``.

    Examples
    --------
    >>> import numpy as np
    >>> from seqlearn.preprocessing import make_windows
    >>> X, y = make_windows(np.arange(6.0), window=3)
    >>> X.shape, y.shape
    ((3, 3, 1), (3,))
    >>> X[:, :, 0].tolist(), y.tolist()
    ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], [3.0, 4.0, 5.0])
    >>> X, y = make_windows(np.arange(10.0), window=4, horizon=2, step=3)
    >>> X[:, :, 0].tolist(), y.tolist()
    ([[0.0, 1.0, 2.0, 3.0], [3.0, 4.0, 5.0, 6.0]], [[4.0, 5.0], [7.0, 8.0]])
    """
    window = _check_count(window, "window")
    horizon = _check_count(horizon, "horizon")
    step = _check_count(step, "step")
    arr, columns = _series_array(series)
    n_steps, n_columns = arr.shape
    if window + horizon > n_steps:
        raise ValueError(
            f"window ({window}) + horizon ({horizon}) = {window + horizon} exceeds "
            f"the length of the series ({n_steps}): no room for a single window "
            "and its targets."
        )
    targets, single = _target_indices(target_columns, n_columns, columns)
    # (T - horizon - window + 1, F, window) view -> (n, window, F), every step-th
    X = sliding_window_view(arr[: n_steps - horizon], window, axis=0)
    X = X.transpose(0, 2, 1)[::step]
    if single and horizon == 1:
        # the one-step target of a single column is a view of the series too
        y = arr[window::step, targets[0]].view()
        y.flags.writeable = False
        return X, y
    y = sliding_window_view(arr[window:, targets], horizon, axis=0)
    y = y.transpose(0, 2, 1)[::step]
    if single:
        y = y[:, :, 0]
    if horizon == 1:
        y = y[:, 0]
    return X, np.ascontiguousarray(y)


@fill_doc(input_attributes=INPUT_ATTRIBUTES_DOC)
class WindowTransformer(SequenceTransformer, auto_wrap_output_keys=None):
    """Keep the last ``window`` steps of each sequence (optionally every ``step``-th).

    A stateless transformer for the input side of a Pipeline: one sequence in,
    one shorter sequence out, so targets stay aligned.  Its main use is to
    tune the context length of a forecaster: build windows once with
    :func:`make_windows` at the longest length worth trying, then grid-search
    ``windowtransformer__window`` of
    ``make_pipeline(WindowTransformer(window=...), SequenceRegressor())``.

    Parameters
    ----------
    window : int or None
        Number of steps kept, counted back from the last step.  Sequences with
        fewer steps are kept whole (the output may be ragged).  ``None`` keeps
        them all (useful in a parameter grid, with ``step`` alone).
    step : int, default=1
        Spacing of the kept steps: the last step, the one ``step`` before it,
        and so on (e.g. ``step=24`` keeps one value per day of hourly data).

    Attributes
    ----------
    {input_attributes}

    See Also
    --------
    make_windows : Cut a series into input windows and targets.

    Notes
    -----
    Input is any sequence format of :func:`seqlearn.data.check_sequences` (3-D
    array, 2-D array of univariate sequences, list of arrays); the output has
    the same form, in float32.  ``fit`` learns nothing but the number of
    features.

    Examples
    --------
    >>> import numpy as np
    >>> from seqlearn.preprocessing import WindowTransformer
    >>> X = np.arange(12.0).reshape(2, 6)
    >>> WindowTransformer(window=3).fit_transform(X).tolist()
    [[3.0, 4.0, 5.0], [9.0, 10.0, 11.0]]
    >>> WindowTransformer(window=2, step=3).fit_transform(X).tolist()
    [[2.0, 5.0], [8.0, 11.0]]
    """

    _parameter_constraints: dict = {
        "window": [Interval(Integral, 1, None, closed="left"), None],
        "step": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, window: int | None, *, step: int = 1):
        self.window = window
        self.step = step

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns of a 2-D table, or of each step's features.

        For a 2-D table (one column per time step) the kept columns, in
        order; for sequences the features of each step, which are kept as
        they are.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input names: ``feature_names_in_`` (or ``"x0"``, ``"x1"``, ...)
            by default.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column (table) or per step feature.
        """
        check_is_fitted(self, "n_step_features_")
        names = _check_feature_names_in(self, input_features)
        if self.input_kind_ != "tabular":
            return names
        width = len(names)
        kept = (width - 1) // self.step + 1
        if self.window is not None:
            kept = min(kept, self.window)
        return names[width - 1 - self.step * np.arange(kept)[::-1]]

    def transform(self, X: Sequences) -> Output:
        """Keep the last ``window`` steps (every ``step``-th) of each sequence.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list \
of array-like
            Sequences.

        Returns
        -------
        Xt : ndarray or list of ndarray, float32
            The shortened sequences, in the form of X.
        """
        data, form = _validate(self, X, reset=False, steps=True)
        lengths, step = data.lengths, self.step
        kept = (lengths - 1) // step + 1
        if self.window is not None:
            kept = np.minimum(kept, self.window)
        # gather index of kept step k of sequence i: its end minus whole steps
        first = lengths - 1 - step * (kept - 1)
        if isinstance(data, RaggedSteps):  # ragged: gathered unpadded
            seq = np.repeat(np.arange(data.n_samples), kept)
            k = np.arange(len(seq)) - np.repeat(np.cumsum(kept) - kept, kept)
            at = data.starts[seq] + first[seq] + step * k
            return _restore_steps(data.steps[at], kept, form)
        index = first[:, None] + step * np.arange(int(kept.max()))
        index = np.minimum(index, data.values.shape[1] - 1)
        values = np.take_along_axis(data.values, index[:, :, None], axis=1)
        return _restore(values, kept, form)
