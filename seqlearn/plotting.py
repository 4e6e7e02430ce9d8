"""Plots of training histories and forecasts (matplotlib is imported lazily)."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

from sklearn.utils.validation import check_is_fitted

if TYPE_CHECKING:  # matplotlib and pandas are imported lazily
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["plot_attention", "plot_forecast", "plot_history"]


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "seqlearn.plotting needs matplotlib: pip install matplotlib"
        ) from exc
    return plt.subplots(figsize=(8, 4))[1]


def plot_history(estimator: Any, *, ax: Axes | None = None) -> Axes:
    """Plot the training (and validation) loss of a fitted estimator per epoch.

    Parameters
    ----------
    estimator : fitted seqlearn estimator or skorch History
        Anything with a ``history_`` attribute (every seqlearn estimator,
        :class:`~seqlearn.RNNForecaster` included), or the history itself.
    ax : matplotlib Axes, default=None
        Where to draw; None creates a figure.

    Returns
    -------
    ax : matplotlib Axes
        The axes, with one line per loss recorded (``train_loss``,
        ``valid_loss``, and the default forecaster's ``valid_mae``).

    Raises
    ------
    NotFittedError
        If ``estimator`` is an unfitted estimator.
    TypeError
        If it is neither an estimator nor a history.
    ValueError
        If the history has no epoch.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from seqlearn import SequenceRegressor
    >>> from seqlearn.plotting import plot_history
    >>> X = np.random.default_rng(0).normal(size=(20, 5, 1))
    >>> reg = SequenceRegressor(hidden_size=4, max_epochs=3, random_state=0)
    >>> ax = plot_history(reg.fit(X, X[:, -1, 0]))
    >>> [line.get_label() for line in ax.get_lines()]
    ['train_loss']
    """
    if hasattr(estimator, "get_params"):  # an estimator, not a History
        check_is_fitted(estimator)
        if not hasattr(estimator, "history_"):  # another library's estimator
            raise TypeError(
                f"{type(estimator).__name__} has no history_: plot_history reads "
                "the losses a seqlearn estimator records while it trains."
            )
        history = estimator.history_
    elif isinstance(estimator, list) and all(isinstance(r, dict) for r in estimator):
        history = estimator
    else:
        raise TypeError(
            "expected a fitted estimator or a skorch History (a list of dicts, "
            f"one per epoch); got {type(estimator).__name__}."
        )
    if not len(history):
        raise ValueError("The history is empty: there is no epoch to plot.")
    if not all("epoch" in row for row in history):
        raise ValueError(
            "each epoch of the history needs an 'epoch' number (as skorch "
            "records it), with train_loss and valid_loss beside it."
        )
    ax = _axes(ax)
    # valid_mae: the default forecaster scores its validation windows every
    # few optimizer steps (its "epochs")
    for key in ("train_loss", "valid_loss", "valid_mae"):
        rows = [row for row in history if key in row]
        if rows:
            x = [row["epoch"] for row in rows]
            ax.plot(x, [row[key] for row in rows], label=key, marker=".")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


def _axis_kind(index):
    """``"time"`` for dates and periods, ``"number"`` otherwise (plot axes)."""
    import pandas as pd  # lazily, as the module's other imports

    return "time" if isinstance(index, pd.DatetimeIndex | pd.PeriodIndex) else "number"


def plot_forecast(
    y: pd.Series,
    forecast: pd.Series | pd.DataFrame,
    *,
    interval: pd.DataFrame | None = None,
    last: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Plot a series, its forecast and an optional prediction interval band.

    Parameters
    ----------
    y : pandas Series
        Observed values (the training part, and the actuals of the forecast
        periods if they are known).
    forecast : pandas Series or DataFrame
        The output of ``predict`` (a Series), or of ``predict_interval`` (a
        DataFrame with ``forecast``, ``lower`` and ``upper`` columns).
    interval : pandas DataFrame, default=None
        ``lower`` and ``upper`` columns, if ``forecast`` is a Series.
    last : int >= 0, default=None
        Show only the last ``last`` observations before the forecast; None
        shows them all.
    ax : matplotlib Axes, default=None
        Where to draw; None creates a figure.

    Returns
    -------
    ax : matplotlib Axes
        The axes, with the observed series, the forecast and, if given, the
        interval as a band.

    Raises
    ------
    TypeError
        If ``y``, ``forecast``, ``interval`` or ``last`` has the wrong type.
    ValueError
        If ``forecast`` is empty or holds several series, ``interval`` lacks
        the ``lower`` and ``upper`` columns, or ``last`` is negative.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from seqlearn.plotting import plot_forecast
    >>> y = pd.Series([1.0, 2, 3, 4], index=pd.period_range("2020", periods=4,
    ...               freq="Y"))
    >>> band = pd.DataFrame({"forecast": [5.0, 6], "lower": [4.0, 4],
    ...                      "upper": [6.0, 8]}, index=pd.period_range("2024",
    ...                      periods=2, freq="Y"))
    >>> ax = plot_forecast(y, band)
    >>> [line.get_label() for line in ax.get_lines()]
    ['observed', 'forecast']
    """
    if getattr(y, "ndim", None) != 1 or not hasattr(y, "index"):
        raise TypeError(
            f"y must be one pandas Series; got {type(y).__name__}. For several "
            "series, plot one at a time: y['name']."
        )
    if hasattr(forecast, "columns"):
        extra = [c for c in forecast.columns if c not in ("forecast", "lower", "upper")]
        if "forecast" not in forecast.columns or extra:
            raise ValueError(
                "forecast must be one series' predict() output or predict_interval() "
                f"frame (forecast, lower, upper); it has the columns "
                f"{list(forecast.columns)}. For several series, plot one at a "
                "time: forecast['name']."
            )
        interval = forecast if interval is None else interval
        forecast = forecast["forecast"]
    elif getattr(forecast, "ndim", None) != 1 or not hasattr(forecast, "index"):
        raise TypeError(
            f"forecast must be a pandas Series or DataFrame; got "
            f"{type(forecast).__name__}."
        )
    if not len(forecast):
        raise ValueError("forecast is empty: there is no period to plot.")
    if interval is not None:
        if not hasattr(interval, "columns"):
            raise TypeError(
                "interval must be a pandas DataFrame with lower and upper columns; "
                f"got {type(interval).__name__}."
            )
        if not {"lower", "upper"} <= set(interval.columns):
            raise ValueError(
                "interval must be one series' predict_interval() frame, with "
                f"lower and upper columns; it has the columns "
                f"{list(interval.columns)}. For several series, plot one at a "
                "time: interval['name']."
            )
        if not interval.index.equals(forecast.index):
            raise ValueError(
                "interval's index differs from the forecast's: pass the "
                "predict_interval() of the same forecast."
            )
    if _axis_kind(y.index) != _axis_kind(forecast.index):
        raise TypeError(
            f"y's index ({type(y.index).__name__}) and the forecast's "
            f"({type(forecast.index).__name__}) are not on one time axis: "
            "forecast the series as it is plotted (dates with dates, row "
            "numbers with row numbers)."
        )
    if last is not None and (
        not isinstance(last, numbers.Integral) or isinstance(last, bool)
    ):
        raise TypeError(f"last must be an int or None; got {last!r}.")
    if last is not None and last < 0:
        raise ValueError(f"last must be >= 0; got {last}.")
    ax = _axes(ax)

    def x(index):
        # periods plot as timestamps so observed and forecast share an axis
        return index.to_timestamp() if hasattr(index, "to_timestamp") else index

    if last is not None:
        n_before = int((y.index < forecast.index[0]).sum())
        y = y.iloc[max(0, n_before - last) :]
    ax.plot(x(y.index), y.to_numpy(), color="0.2", label="observed")
    ax.plot(x(forecast.index), forecast.to_numpy(), color="C1", label="forecast")
    if interval is not None:
        ax.fill_between(
            x(interval.index),
            interval["lower"].to_numpy(),
            interval["upper"].to_numpy(),
            color="C1",
            alpha=0.25,
            label="interval",
        )
    ax.legend()
    return ax


def plot_attention(attention, source, target, *, ax=None, cmap="Greys"):
    """Draw an attention matrix with the input and output tokens as axes.

    Parameters
    ----------
    attention : ndarray of shape (n_output_tokens, n_input_tokens)
        One output's weights, as returned by
        ``SequenceTranslator.predict(X, return_attention=True)``.
    source : str or list of str
        The input tokens (a string is read as characters).
    target : str or list of str
        The output tokens (a string is read as characters).
    ax : matplotlib Axes, default=None
        Where to draw; None creates a figure.
    cmap : str, default="Greys"
        Colour map of the weights (0 to 1).

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from seqlearn.plotting import plot_attention
    >>> ax = plot_attention(np.eye(3)[::-1], "abc", "cba")
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['a', 'b', 'c']
    """
    import numpy as np

    attention = np.asarray(attention, dtype=float)
    source, target = list(source), list(target)
    if attention.shape != (len(target), len(source)):
        raise ValueError(
            f"attention has shape {attention.shape}, but there are "
            f"{len(target)} output and {len(source)} input tokens."
        )
    if ax is None:
        fig_w = min(2 + 0.35 * len(source), 16)
        fig_h = min(1.5 + 0.35 * len(target), 16)
        ax = _axes(None)
        ax.figure.set_size_inches(fig_w, fig_h)
    ax.imshow(attention, cmap=cmap, vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(source)), source)
    ax.set_yticks(range(len(target)), target)
    ax.set_xlabel("input")
    ax.set_ylabel("output")
    return ax
