"""RNNForecaster: recurrent multi-step forecasting with pandas in and out.

The forecaster is a thin layer over :class:`~seqlearn.SequenceRegressor`: it
turns a series into windows (in a transformed "model space": log, differences,
scaling, all fitted on the training rows only), fits a fresh regressor on them
and maps the network's outputs back to the series' scale and calendar.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from seqlearn._compat import Interval, StrOptions
from seqlearn.base import SHARED_PARAMS, DeclaredParams, LossDivergedError, param
from seqlearn.forecasting._backtest import (
    backtest,
    check_coverage,
    check_flag,
    check_origins,
    fold_error,
    fold_frame,
)
from seqlearn.forecasting._calendar import _index_season, future_index
from seqlearn.forecasting._residual import ResidualModel
from seqlearn.forecasting._series import (
    _check_exog,
    _check_exog_index,
    _check_future_index,
    _check_leading_nan,
    _check_target,
    _dated,
    _fill,
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
from seqlearn.forecasting._transforms import TargetTransformer, log_levels
from seqlearn.nn import Seq2SeqModel
from seqlearn.preprocessing import make_windows
from seqlearn.regressor import SequenceRegressor

__all__ = ["RNNForecaster"]

# The shared parameters the inner networks take from the forecaster: every
# one of its groups but the seed (each network gets its own); embeddings do not
# apply (a forecaster's inputs are real values, never token ids).
_REGRESSOR_PARAMS = tuple(
    name
    for group in ("recurrent", "bidirectional", "pooling", "training")
    for name in SHARED_PARAMS[group]
    if name != "random_state"
)
# The windows are short: the inner regressors read them directly, with the
# epochs asked for (no convolutional front-end, no long-series budget).
_WINDOW_REGRESSOR = {"conv_channels": None, "min_updates": 0, "lr_schedule": "constant"}
# The parameters predict, predict_interval and score read: they keep the
# values of the last fit (set_params takes effect at the next fit).
_PREDICT_PARAMS = (
    "strategy",
    "horizon",
    "difference",
    "log",
    "scaling",
    "multivariate",
    "id_column",
    "fill",
)
# Parameters the residual strategy does not read (fit warns when one is set).
_NOT_RESIDUAL = (
    "scaling",
    "difference",
    "calibration_size",
    "max_epochs",
    "num_layers",
    "bidirectional",
    "dropout",
    "pooling",
    "precision",
    "validation_fraction",
)
# Parameters only the residual strategy reads (fit warns on the others).
_RESIDUAL_NO_X = (
    "strategy='residual' does not take covariates X; use "
    "strategy='multioutput', 'recursive' or 'seq2seq'."
)
_ONLY_RESIDUAL = ("season_length", "n_models", "max_steps")


class _Seq2SeqRegressor(SequenceRegressor):
    """SequenceRegressor whose network is a :class:`Seq2SeqModel`.

    Its parameters are SequenceRegressor's plus ``horizon`` (the decoder's
    steps), so ``get_params`` and ``clone`` see all of them.
    """

    horizon: int = param(
        1,
        "int",
        [Interval(numbers.Integral, 1, None, closed="left")],
        "Steps the decoder unrolls.",
    )

    def _make_module(self, data, n_outputs):
        return Seq2SeqModel(
            self.cell,
            data.n_step_features,
            self.hidden_size,
            n_outputs,
            self.horizon,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
        )


def _fit_seeds(random_state):
    """Return the seeds ``fit`` draws: the network's and the calibration's."""
    return check_random_state(random_state).randint(2**31 - 1, size=2)


def _is_state(name):
    """Whether an attribute is fitted state of RNNForecaster."""
    private = (
        "_y_tail",
        "_x_tail",
        "_columns",
        "_kind",
        "_L",
        "_value_name",
        "_fit_params",
    )
    return name in private or (name.endswith("_") and not name.startswith("_"))


class RNNForecaster(DeclaredParams, BaseEstimator):
    """Recurrent neural network forecaster for pandas series.

    ``fit`` learns from a series (or several aligned series) to forecast the
    next ``horizon`` values from the last ``window`` ones; ``predict`` returns
    them as a pandas object indexed by the future periods.  Rows are taken by
    position: the gaps of business-day data are not filled, and an index that
    is all weekdays continues as business days.

    The default strategy, ``"residual"``, normalises each window by its last
    value and spread, picks a linear base forecast on the latest training
    windows (the last value unless a drift of half the window's trend, a
    smoothed level, the two together (the Theta method, also on the window
    with its seasonal profile removed) or the last season (with or without
    the yearly change), when the data show one, validates 20% better, and
    those unless a ridge
    regression on the lags validates 20% better still), and adds the median
    correction of an ensemble of ``n_models`` small recurrent networks
    trained as one batched module, shrunk towards zero by the factor that
    validates best.  The columns of a DataFrame (or the series of a long
    frame, ``id_column``) are separate series that train one global model;
    the other strategies forecast them jointly (``multivariate=True``).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    regressor_ : SequenceRegressor
        The fitted network on model-space windows (strategies other than
        ``"residual"``).
    transformer_ : TargetTransformer
        The model space of ``regressor_`` (log, difference and scale learnt
        on the training rows; strategies other than ``"residual"``).
    model_ : ResidualModel
        The fitted base and ensemble (``"residual"``): ``model_.base_`` names
        the chosen base, ``model_.shrink_`` the weight of the correction,
        ``model_.network_`` the fitted ensemble (an estimator on the training
        core; None when no network was trained).
    window_ : int
        Window used (``"residual"``).
    season_length_ : int
        Seasonal period kept (``"residual"``; 1: none).
    horizon_ : int
        The ``horizon`` of the last fit.  ``predict``, ``predict_interval``
        and ``score`` use the parameters of the last fit (``horizon``,
        ``strategy``, ``difference``, ``log``, ``scaling``, ``multivariate``,
        ``id_column``, ``fill``): changing one with ``set_params`` takes
        effect at the next fit.
    n_targets_ : int
        Number of series forecast.
    n_exog_ : int
        Number of covariate columns (0 without ``X``).
    index_ : pandas.Index
        Index of the training series (forecasts continue it).
    conformity_scores_ : ndarray of shape (n_origins, horizon, n_targets)
        Absolute errors at the calibration origins (``calibration_size`` set;
        with ``log=True`` absolute log ratios, so the intervals are factors
        of the forecast and stay positive).
    history_ : skorch.History
        Training history of ``regressor_`` or of ``model_.network_`` (see
        :func:`seqlearn.plotting.plot_history`).

    See Also
    --------
    seqlearn.preprocessing.make_windows : Windows for a plain SequenceRegressor.
    backtest_metrics : Metrics of :meth:`backtest` forecasts.

    Notes
    -----
    **Covariates** ``X`` are *known in the future* (calendar effects, planned
    prices): row ``t`` of ``X`` goes with row ``t`` of ``y``, and ``predict``
    needs the ``horizon`` future rows.  The network reads the window with its
    covariates followed by the future rows' covariates (target zeroed, a
    flag set).  A covariate observed only in the past is a target: pass it as
    a column of a DataFrame ``y``.

    **Tuning.** ``score(y_future)`` is the negative MAE of the forecast of the
    rows that follow the training series, so a time-series search works
    directly: ``GridSearchCV(RNNForecaster(), grid,
    cv=TimeSeriesSplit(test_size=horizon)).fit(series)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from seqlearn import RNNForecaster
    >>> t = np.arange(60)
    >>> y = pd.Series(np.sin(t / 3), index=pd.period_range("2000-01", periods=60,
    ...               freq="M"))
    >>> fc = RNNForecaster(window=12, horizon=3, max_steps=20, random_state=0)
    >>> fc.fit(y).predict().index
    PeriodIndex(['2005-01', '2005-02', '2005-03'], dtype='period[M]')
    """

    _param_groups = ("own", "recurrent", "bidirectional", "pooling", "training")
    # defaults that differ from the other estimators' (small series, small nets)
    hidden_size = 16
    max_epochs = 60
    # shared parameters whose meaning differs here (what "residual" uses)
    _param_docs = {
        "cell": (
            "Recurrent cell: LSTM, GRU, vanilla tanh RNN or LSTM with peephole "
            'connections. ``"residual"`` takes "gru" or "lstm" (any other '
            'cell gives "gru"). '
        ),
        "hidden_size": (
            'Features of the hidden state (per direction); with ``"residual"``, '
            "of each network of the ensemble. "
        ),
        "num_layers": (
            'Number of stacked recurrent layers (not ``"residual"``: one layer). '
        ),
        "bidirectional": (
            "Also read each window backwards and concatenate both directions (not "
            '``"residual"``). '
        ),
        "dropout": (
            "Dropout on non-recurrent edges: between stacked layers and on the "
            'encoder output (not ``"residual"``). '
        ),
        "pooling": (
            "How the per-step states become one vector per window (see "
            ":class:`~seqlearn.SequenceRegressor`); does not apply to "
            '``"seq2seq"`` and ``"residual"``. '
        ),
        "max_epochs": (
            'Number of passes over the training windows (``"residual"`` counts '
            "optimizer steps instead: ``max_steps``). "
        ),
        "batch_size": ('Windows per mini-batch (``"residual"``: per optimizer step). '),
        "optimizer": (
            "Optimizer: a name, or a subclass of ``torch.optim.Optimizer`` that "
            "needs no closure (not LBFGS). "
        ),
        "weight_decay": ("Weight decay (L2 penalty) passed to the optimizer. "),
        "gradient_clip": ("Maximum norm of the gradient; None disables clipping. "),
        "early_stopping": (
            "Hold out ``validation_fraction`` of the training windows and stop "
            "when the validation loss has not improved for ``patience`` epochs, "
            'restoring the best weights. ``"residual"`` validates on its latest '
            "training windows every 10 steps instead. "
        ),
        "validation_fraction": (
            'Fraction held out when ``early_stopping=True`` (not ``"residual"``). '
        ),
        "patience": (
            'Epochs without improvement before stopping (``"residual"``: '
            "scorings, 10 steps apart). "
        ),
        "device": (
            'Where to train; "auto" picks CUDA when available (not '
            '``"residual"``, which trains on the CPU). '
        ),
        "random_state": ("Seeds every network (and makes ``fit`` reproducible). "),
        "verbose": (
            "0 prints nothing; 1 shows one progress bar per fit; 2 prints a table "
            'row per epoch (``"residual"``: per optimizer step). '
        ),
        "callbacks": (
            'Extra skorch callbacks (e.g. ``LRScheduler``). ``"residual"`` also '
            "takes plain callables ``f(step, loss)``, run after every optimizer "
            "step. "
        ),
        "n_threads": (
            "Torch threads used during fit and predict; None keeps torch's setting. "
        ),
        "precision": (
            '"bf16" runs forward passes under ``torch.autocast`` in bfloat16 '
            "(mixed precision: weights, gradients and the loss stay float32); not "
            '``"residual"``. '
        ),
    }

    window: int | None = param(
        None,
        "int or None",
        [Interval(numbers.Integral, 1, None, closed="left"), None],
        "Number of past steps the network reads. None: ``max(2 * season, h, "
        "8)``, at most half of the rows left after one horizon (24 for the "
        'strategies other than ``"residual"``). ',
    )
    horizon: int = param(
        12,
        "int",
        [Interval(numbers.Integral, 1, None, closed="left")],
        "Number of future steps forecast. ",
    )
    strategy: str = param(
        "residual",
        '{"residual", "multioutput", "recursive", "seq2seq"}',
        [StrOptions({"residual", "multioutput", "recursive", "seq2seq"})],
        '``"residual"``: linear base plus a recurrent ensemble\'s correction, '
        "on windows normalised one by one (see above; ``scaling``, "
        "``difference``, ``calibration_size`` and covariates do not apply; it "
        "learns from the latest 10,000 windows of each series, which bounds "
        "the memory of a fit on a long series). "
        '``"multioutput"``: one network emits all ``horizon`` steps. '
        '``"recursive"``: a one-step network is fed back its own predictions '
        '(``predict`` may then go beyond ``horizon``). ``"seq2seq"``: an '
        "encoder reads the window and a decoder unrolls the horizon "
        "(:class:`~seqlearn.nn.Seq2SeqModel`). ",
    )
    season_length: int | None = param(
        None,
        "int or None",
        [Interval(numbers.Integral, 1, None, closed="left"), None],
        'Seasonal period of ``"residual"``; None takes it from the index '
        "frequency (12 monthly, 4 quarterly, 52 weekly, 7 daily, 5 business "
        'days, 24 hourly; a multiple divides it, "2MS" 6) and keeps it only '
        "where the data show it (the first differences correlate at that lag). ",
    )
    n_models: int = param(
        5,
        "int",
        [Interval(numbers.Integral, 1, None, closed="left")],
        'Networks in the ``"residual"`` ensemble, combined by the median. ',
    )
    max_steps: int = param(
        300,
        "int",
        [Interval(numbers.Integral, 1, None, closed="left")],
        'Optimizer steps of ``"residual"`` (with ``early_stopping=True``, '
        "the latest training windows are scored every 10 steps and the best "
        "weights kept; off by default: it scored worse on the selection "
        "origins of the benchmark, 0.635 against 0.566). ",
    )
    scaling: str = param(
        "window",
        '{"window", "standard", "none"}',
        [StrOptions({"window", "standard", "none"})],
        'Target scaling in model space. ``"window"``: each input window is '
        "centred and scaled by its own mean and standard deviation, and its "
        "targets with the same numbers (instance normalisation: the level is "
        "read off the window, so trends do not leave the training range); the "
        "window's mean and log-spread, on the training rows' scale, are two "
        'more input channels. ``"standard"``: one mean and scale learnt on '
        "the training rows (often better for a stationary series, such as a "
        "cycle whose amplitude matters). ",
    )
    difference: int = param(
        0,
        "int",
        [Interval(numbers.Integral, 0, None, closed="left")],
        "Lag of a difference applied before scaling (0: none, 1: first "
        "difference, 12: yearly difference of monthly data); forecasts are "
        "integrated back. ",
    )
    log: bool = param(
        False,
        "bool",
        ["boolean"],
        "Model the logarithm of the series (positive series only): turns a "
        "multiplicative seasonality into an additive one. ",
    )
    multivariate: bool = param(
        False,
        "bool",
        ["boolean"],
        "How the columns of a DataFrame ``y`` are read. False: as separate "
        'series that train one global model (``"residual"``; the other '
        "strategies then take one series). True: as one multivariate series, "
        "forecast jointly by a network that reads every column (strategies "
        'other than ``"residual"``). ',
    )
    id_column: str | None = param(
        None,
        "str or None",
        [str, None],
        "Read ``y`` as a long frame: the column of this name says which series "
        "each row belongs to, one other column holds the values and the index "
        "the times (as ``df.set_index('date')``). Each series is a column of "
        "the global model; forecasts come back in the same long format. ",
    )
    fill: str | None = param(
        None,
        '{"ffill", "interpolate"} or None',
        [StrOptions({"ffill", "interpolate"}), None],
        "How to fill NaN in ``y``; None makes NaN an error. Filling uses past "
        'values only (``"interpolate"`` fills inner gaps linearly, and both '
        "carry the last value forward at the end). ",
    )
    calibration_size: int | float | None = param(
        None,
        "int, float or None",
        [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="neither"),
            None,
        ],
        "Forecast origins held out for split-conformal intervals "
        "(:meth:`predict_interval`): an int is a count, a float a fraction of "
        "the training windows. ``fit`` then trains a second network on the "
        "rows before those origins and keeps its absolute errors there. ",
    )

    # ------------------------------------------------------------ fit
    def fit(self, y, X=None):
        """Fit the network to forecast ``y``.

        Parameters
        ----------
        y : pandas Series or DataFrame, or array-like of shape (T,) or (T, k)
            The series, oldest first, with a DatetimeIndex, PeriodIndex or
            RangeIndex.  A DataFrame's columns are separate series of one
            global model (``multivariate=True``: one series forecast
            jointly); with ``id_column``, a long frame (see there).
        X : DataFrame or array-like of shape (T, p), default=None
            Covariates known in the future, aligned with ``y`` by position (a
            dated DataFrame's index must equal ``y``'s).

        Returns
        -------
        self : RNNForecaster
            The fitted forecaster.
        """
        self._validate_params()
        self._check_params()
        Y, index, columns, kind, value_name = self._target(y)
        E = _check_exog(X, len(Y), "y")
        if E is not None and len(E) != len(Y):
            raise ValueError(f"X has {len(E)} rows but y has {len(Y)}; align them.")
        if E is not None and _dated(getattr(X, "index", None), index):
            if not X.index.equals(index):
                raise ValueError(
                    "X's index differs from y's: row t of X must go with row t of "
                    "y (sort X, or reindex it as X.reindex(y.index))."
                )
        seed, calibration_seed = _fit_seeds(self.random_state)
        # fit a fresh copy and take its state only once everything succeeded:
        # a refit that fails leaves the previous model (and forecasts) intact
        new = clone(self)
        new._ablation = getattr(self, "_ablation", ())
        if self.strategy == "residual":
            new._fit_residual(Y, E, index, columns, int(seed))
        else:
            new._fit_arrays(Y, E, int(seed))
            # the rows a forecast reads: the window and the `difference` before
            # it, and the covariates of the same rows (aligned with the target)
            tail = new._L + self.difference
            new._y_tail = Y[len(Y) - tail :]
            new._x_tail = None if E is None else E[len(E) - tail :]
            if self.calibration_size is not None:
                new.conformity_scores_ = new._calibrate(Y, E, int(calibration_seed))
        new.index_, new._columns, new._kind = index, columns, kind
        new._value_name = value_name
        new._fit_params = {name: getattr(self, name) for name in _PREDICT_PARAMS}
        # swap the fitted state only (attributes others set, such as a
        # search's callback context, stay)
        params = self.get_params(deep=False)
        state = {k: v for k, v in vars(new).items() if k not in params}
        for key in [k for k in vars(self) if _is_state(k) and k not in state]:
            delattr(self, key)
        vars(self).update(state)
        return self

    def __sklearn_clone__(self):
        """Return an unfitted copy, passing the callbacks on as they are.

        sklearn's clone rebuilds a skorch callback from its ``get_params``,
        which fails for a callback that keeps state set in ``__init__``; the
        forecaster clones itself in ``fit`` and in backtests (the training
        core copies the callbacks it is given, and never modifies them).
        """
        plain = copy.copy(self)
        plain.callbacks = None
        new = super(RNNForecaster, plain).__sklearn_clone__()
        new.callbacks = self.callbacks
        return new

    def _check_params(self):
        """Run the checks the parameter constraints cannot express (start of fit)."""
        # True is an Integral: the int constraints let a bool through
        for name, constraints in self._parameter_constraints.items():
            value = getattr(self, name)
            integral = any(
                isinstance(c, Interval) and c.type is numbers.Integral
                for c in constraints
            )
            if integral and isinstance(value, bool):
                raise ValueError(
                    f"{name} must be a number, not a bool; got {name}={value!r}."
                )
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        residual = self.strategy == "residual"
        ignored = [
            f"{name}={getattr(self, name)!r}"
            for name in (_NOT_RESIDUAL if residual else _ONLY_RESIDUAL)
            if getattr(self, name) != defaults[name]
        ]
        if ignored:
            # the budget remark only where a budget was set for the wrong one
            budget = ("max_epochs" if residual else "max_steps") in " ".join(ignored)
            they = "it applies" if len(ignored) == 1 else "they apply"
            others = (
                f"{they} to the other strategies"
                + (" (the residual strategy's budget is max_steps)" if budget else "")
                if residual
                else f"{they} to strategy='residual' only"
                + (" (the window strategies' budget is max_epochs)" if budget else "")
            )
            warnings.warn(
                f"strategy={self.strategy!r} does not use {', '.join(ignored)}; "
                f"{others}.",
                UserWarning,
                stacklevel=3,
            )
        if residual:
            for i, cb in enumerate(self.callbacks or ()):
                named = isinstance(cb, tuple) and len(cb) == 2
                if not (isinstance(cb[1] if named else cb, Callback) or callable(cb)):
                    raise TypeError(
                        "callbacks must be skorch Callbacks, (name, Callback) "
                        f"tuples or callables f(step, loss); callbacks[{i}] is "
                        f"{cb!r}."
                    )

    def _fitted(self):
        """Return a copy of the forecaster with the parameters of its last fit.

        ``predict``, ``predict_interval`` and ``score`` read the fitted model
        through it, so a ``set_params`` after ``fit`` takes effect at the next
        fit instead of mixing with the fitted state.
        """
        check_is_fitted(self, "index_")
        fitted = copy.copy(self)
        vars(fitted).update(getattr(self, "_fit_params", {}))
        return fitted

    def _target(self, y, keep_nan=False):
        """``(values, index, columns, kind, value_name)`` of ``y``.

        A long frame (``id_column``) is pivoted to a column per series; its
        kind is "long" and ``value_name`` names its column of values.
        ``keep_nan``: without ``fill``, NaN stays for the caller to check
        (a newer history, of which only the last rows are read).
        """
        value_name = None
        if self.id_column is not None:
            y, value_name = _long_to_wide(y, self.id_column)
        frame = isinstance(y, pd.DataFrame)
        if frame:  # before the NaN checks: a clearer message
            self._check_columns(y.shape[1])
        # the global model takes series that start later (leading NaN)
        ragged = self.strategy == "residual" and self.fill is None
        keep = ragged or (keep_nan and self.fill is None)
        Y, index, columns, kind = _check_target(y, "keep" if keep else self.fill)
        if not frame:
            self._check_columns(Y.shape[1])
        if ragged and not keep_nan:
            _check_leading_nan(Y, index)
        return Y, index, columns, "long" if value_name else kind, value_name

    def _check_columns(self, k):
        if self.strategy == "residual" and self.multivariate:
            raise ValueError(
                "multivariate=True forecasts the columns jointly, which "
                "strategy='residual' does not do (it trains one global model "
                "over separate series); use strategy='multioutput', "
                "'recursive' or 'seq2seq'."
            )
        if self.strategy != "residual" and k > 1 and not self.multivariate:
            raise ValueError(
                f"y has {k} series; strategy={self.strategy!r} forecasts several "
                "columns only jointly, as one multivariate series: pass "
                "multivariate=True, or use strategy='residual' (the default) "
                "for one global model over separate series."
            )

    # ------------------------------------------------------------ residual
    def _season(self, series, index, h):
        """Seasonal period kept: from the index, if the data (pooled) show it."""
        m = self.season_length
        if m is None:
            m = _index_season(index)
        if m == 1 or max(len(s) for s in series) < 2 * m + h:
            return 1
        if self.season_length is None and "season_from_freq" not in self._ablation:
            # keep the season only where the data show one: the changes of
            # the series correlate with the changes a season earlier (a trend
            # alone does not count, nor does noise: 0.3 and two standard errors)
            diffs = [np.diff(s) - np.diff(s).mean() for s in series if len(s) > m + 1]
            lagged = sum((d[m:] * d[:-m]).sum() for d in diffs)
            acf = lagged / max(sum((d * d).sum() for d in diffs), 1e-300)
            if acf < max(0.3, 2 / math.sqrt(sum(len(d) for d in diffs))):
                return 1
        return m

    def _warn_unused_season(self, m, L, T):
        """Warn when an explicit ``season_length`` cannot be used (fit's rows)."""
        given, h = self.season_length, self.horizon
        if given is None or given == 1:
            return
        if m == 1:
            why = (
                f"the seasonal forecasts need at least 2 * season_length + horizon "
                f"= {2 * given + h} rows, and the longest series has {T}"
            )
        elif L < 2 * m:
            chosen = (
                f"window={L}"
                if self.window is not None
                else f"the window of {L} (at most half the rows after one horizon)"
            )
            why = (
                f"the seasonal forecasts read two seasons, {2 * m} values, and "
                f"{chosen} is shorter: pass window >= {2 * m}"
            )
        else:
            return
        warnings.warn(
            f"season_length={given} is not used: {why}.", UserWarning, stacklevel=4
        )

    def _fit_residual(self, Y, E, index, columns, seed):
        if E is not None:
            raise ValueError(_RESIDUAL_NO_X)
        V = self._levels(Y)
        # each column from its first observed row: one series each
        series = [V[np.argmax(~np.isnan(V[:, j])) :, j] for j in range(V.shape[1])]
        h, T = self.horizon, min(len(s) for s in series)
        m = self._season(series, index, h)
        if self.window is None:
            L = max(2 * m if m > 1 else 0, h, 8)
            # longer windows scored worse on the selection origins (0.631
            # against 0.598; benchmarks/results_forecasting.md)
            if "long_window" in self._ablation:
                L = max(2 * m, 2 * h, 8)
            L = min(L, max(2, (T - h) // 2))
            net_L = L
            if m > 1 and "season_window4" in self._ablation:
                # the bases read four seasons, the networks the last two
                L = max(min(max(4 * m, h, 8), max(2, (T - h) // 2)), L)
        else:
            L = net_L = self.window
        if T < L + h + 1:
            what = f"y has {n_rows(T)}"
            if T < len(Y):  # a series that starts later is the short one
                name = columns[int(np.argmin([len(s) for s in series]))]
                start = _show(index[len(Y) - T])
                what = f"Series {name!r} of y has {n_rows(T)} (from {start!r})"
            window = (
                f"window={L}"
                if self.window is not None
                else f"the window of {L} chosen for it (window=None)"
            )
            raise ValueError(
                f"{what}, too short for horizon={h} and {window}: they "
                f"need at least {L + h + 1} rows (window + horizon + 1). Lower "
                "horizon or window, or pass a longer series."
            )
        self._warn_unused_season(m, L, max(len(s) for s in series))
        model = ResidualModel(
            window=L,
            horizon=h,
            season=m,
            n_models=self.n_models,
            hidden_size=self.hidden_size,
            cell=self.cell if self.cell in ("gru", "lstm") else "gru",
            max_steps=self.max_steps,
            lr=self.lr,
            batch_size=self.batch_size,
            patience=self.patience,
            early_stopping=bool(self.early_stopping),
            seed=seed,
            variant=self._ablation,
            callbacks=self.callbacks,
            verbose=self.verbose,
            n_threads=self.n_threads,
            gradient_clip=self.gradient_clip,
            weight_decay=self.weight_decay,
            optimizer=self.optimizer,
            net_window=net_L if net_L < L else None,
        )
        # columns are separate series: one global model learns from all
        model.fit(series)
        self.model_, self.window_, self.season_length_ = model, L, m
        self.n_targets_, self.n_exog_ = Y.shape[1], 0
        self._y_tail = Y[len(Y) - L :]
        self._x_tail = None

    def _model_horizon(self):
        return 1 if self.strategy == "recursive" else self.horizon

    def _levels(self, Y):
        return log_levels(Y, self.log)

    def _fit_arrays(self, Y, E, seed):
        """Fit on raw arrays: model-space transforms, windows, a fresh network."""
        self._L = self.window or 24
        L, H, d = self._L, self._model_horizon(), self.difference
        n_windows = len(Y) - d - L - H + 1
        if n_windows < 2:
            # the recursive strategy's windows hold one target step, whatever
            # the horizon the user asked for
            step = "one target step" if H < self.horizon else f"horizon ({H})"
            window = f"window ({L})" if self.window else f"window (default {L})"
            raise ValueError(
                f"y has {n_rows(len(Y))}; {window} + {step} + difference ({d}) "
                f"needs at least {L + H + d + 1} rows for two training windows."
            )
        # training-rows statistics: the scale of "standard", and the reference
        # in which "window" tells the network each window's level and spread
        self.transformer_ = TargetTransformer(
            log=self.log,
            difference=d,
            scaling="standard" if self.scaling == "standard" else "none",
        ).fit(Y)
        Z = self.transformer_.transform_windows(Y)
        big = np.nanmax(np.abs(Z), initial=0.0)
        if self.scaling == "none" and big >= np.finfo(np.float32).max:
            raise ValueError(
                f"y reaches {big:.3g} in absolute value, beyond float32's range "
                "(3.4e38) in which the network reads it with scaling='none': use "
                "scaling='window' or 'standard', or rescale y."
            )
        self.n_targets_ = Y.shape[1]
        self.n_exog_ = 0 if E is None else E.shape[1]
        if E is not None:
            self.x_mean_ = E.mean(axis=0)
            self.x_scale_ = np.where(E.std(axis=0) > 0, E.std(axis=0), 1.0)
            E = E[d:]
        past, future = make_windows(Z, L, H)
        future = future.reshape(len(past), H, -1)
        exog = None
        if E is not None:
            e_past, e_future = make_windows(E, L, H)
            exog = np.concatenate([e_past, e_future.reshape(len(past), H, -1)], 1)
        inputs, mu, sd = self._inputs(past, exog)
        targets = (future - mu) / sd
        params = {k: getattr(self, k) for k in _REGRESSOR_PARAMS}
        params.update(_WINDOW_REGRESSOR)
        if self.strategy == "seq2seq":
            reg = _Seq2SeqRegressor(**params, random_state=seed, horizon=H)
        else:
            reg = SequenceRegressor(**params, random_state=seed)
        reg.fit(inputs, targets.reshape(len(targets), -1))
        self.regressor_ = reg
        return self

    @property
    def horizon_(self):
        """The ``horizon`` of the last fit (see Attributes)."""
        if "_fit_params" not in vars(self):
            raise AttributeError(
                f"This {type(self).__name__} has no horizon_: it is not fitted."
            )
        return self._fit_params["horizon"]

    @property
    def history_(self):
        """The training history of the fitted network (see Attributes)."""
        # derived from the fitted network, so it survives seqlearn.load
        if "model_" in vars(self):
            network = self.model_.network_
            return [] if network is None else network.history_
        if "regressor_" in vars(self):
            return self.regressor_.history_
        raise AttributeError(
            f"This {type(self).__name__} has no history_: it is not fitted."
        )

    def _inputs(self, past, exog):
        """Network inputs for model-space windows ``past`` (n, L, k).

        Returns the inputs and the per-window ``(mu, sd)`` that map the
        network's outputs back (zeros and ones unless ``scaling="window"``).
        """
        n, L, k = past.shape
        if self.scaling == "window":
            mu = past.mean(axis=1, keepdims=True)
            sd = past.std(axis=1, keepdims=True)
            ref_mean, ref_scale = self.transformer_.mean_, self.transformer_.scale_
            sd = np.where(sd > 1e-8 * ref_scale, sd, ref_scale)
            # the level and spread normalisation removes, on the training
            # rows' scale, as two more input channels: a cycle's amplitude
            # and a series' level stay visible to the network
            level = (mu - ref_mean) / ref_scale
            spread = np.log(sd / ref_scale)
            stats = np.broadcast_to(np.concatenate([level, spread], 2), (n, L, 2 * k))
            x = np.concatenate([(past - mu) / sd, stats], axis=2)
        else:
            mu, sd = np.zeros((1, 1, 1)), np.ones((1, 1, 1))
            x = past
        if exog is not None:
            k = x.shape[2]
            future = exog.shape[1] - L
            flag = np.zeros((n, L + future, 1))
            flag[:, L:] = 1.0
            target = np.concatenate([x, np.zeros((n, future, k))], axis=1)
            x = np.concatenate([target, flag, (exog - self.x_mean_) / self.x_scale_], 2)
        with np.errstate(over="ignore"):  # inf is caught by _step
            return x.astype(np.float32), mu, sd

    def _step(self, past, exog):
        """One network call: model-space forecasts (n, H, k) for windows ``past``."""
        x, mu, sd = self._inputs(past, exog)
        # a recursive forecast feeds its own outputs back: an unstable network
        # blows them up step by step (say so, not "X contains infinity").  The
        # network's float32 inputs are checked, not the windows: large data
        # (1e38) is fine when scaling="window" normalises it in float64
        if not np.isfinite(x).all():
            loss = self.history_[-1, "train_loss"]
            raise LossDivergedError(
                "The forecast diverged: the fitted network's outputs grow without "
                f"bound (its last training loss was {loss:.3g}). Lower lr, set "
                "gradient_clip, or refit with another random_state."
            )
        out = self.regressor_.predict(x).reshape(len(x), -1, self.n_targets_)
        return out * sd + mu

    def _forecast(self, Y, ends, h, E=None):
        """Forecast ``h`` steps from each origin: ``Y[:end]`` for ``end`` in ends.

        Reads only ``Y[end - window - difference : end]`` (and covariate rows
        up to ``end + horizon``): nothing after an origin reaches its forecast.
        Returns ``(len(ends), h, k)`` on the series' scale.
        """
        L, d, H = self._L, self.difference, self._model_horizon()
        ends = np.asarray(ends)
        rows = ends[:, None] - (L + d) + np.arange(L + d)
        raw = Y[rows.ravel()].reshape(len(ends), L + d, -1)
        Z = self.transformer_.transform_windows(raw)
        need = h if self.strategy == "recursive" else H
        exog = None
        if self.n_exog_:
            exog = E[ends[:, None] - L + np.arange(L + need)]
        if self.strategy == "recursive":
            # the feedback loop is inherent; each step is batched over origins
            for j in range(h):
                window = Z[:, j : j + L]
                step_exog = None if exog is None else exog[:, j : j + L + 1]
                Z = np.concatenate([Z, self._step(window, step_exog)], axis=1)
            dz = Z[:, L:]
        else:
            dz = self._step(Z, exog)[:, :h]
        return self.transformer_.inverse_transform(dz, history=raw)

    def _calibrate(self, Y, E, seed):
        """Absolute errors of a network fitted before the calibration origins."""
        h, T = self.horizon, len(Y)
        n_windows = T - self._L - self.difference - self._model_horizon() + 1
        size = self.calibration_size
        n_cal = (
            size if isinstance(size, numbers.Integral) else math.ceil(size * n_windows)
        )
        # the calibration network needs two windows before the first origin
        most = n_windows - h - 1
        if most < 1:
            L, d, H = self._L, self.difference, self._model_horizon()
            raise ValueError(
                f"y has {T} rows, too short for any calibration origin: with "
                f"window={L}, horizon={h} and difference={d}, one origin needs at "
                f"least {L + H + d + h + 1} rows (two training windows before it "
                "and a full horizon after it). Pass a longer series, or fit "
                "without calibration_size."
            )
        if n_cal > most:
            raise ValueError(
                f"calibration_size={size} leaves too little to train on: {T} rows "
                f"allow at most {most} calibration origins."
            )
        first = T - h - n_cal + 1
        model = clone(self).set_params(calibration_size=None)
        model._fit_arrays(Y[:first], None if E is None else E[:first], seed)
        ends = np.arange(first, T - h + 1)
        pred = model._forecast(Y, ends, h, E)
        truth = Y[ends[:, None] + np.arange(h)]
        if self.log:  # relative errors: the intervals stay positive
            return np.abs(np.log(truth) - np.log(pred))
        return np.abs(truth - pred)

    # ------------------------------------------------------------ predict
    def _check_predict(self, horizon, X, newer=False):
        """``(h, E)``: the horizon, and the covariates of the forecast's rows.

        ``E`` holds the covariates of the window (fit's tail, or with a newer
        history ``y`` (``newer``) the first rows of ``X``) then the future rows.
        """
        check_is_fitted(self, "index_")
        check_horizon_argument(horizon)
        h = self.horizon if horizon is None else horizon
        if isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1:
            raise ValueError(f"horizon must be a positive int; got {h!r}.")
        if h > self.horizon and self.strategy != "recursive":
            raise ValueError(
                f"horizon={h} exceeds the fitted horizon {self.horizon}; refit with "
                "a longer horizon or use strategy='recursive'."
            )
        if self.n_exog_ and X is None:
            raise ValueError(
                f"{type(self).__name__} was fitted with covariates X: pass their "
                "future rows to predict."
            )
        if not self.n_exog_ and X is not None:
            raise ValueError("X was given, but the forecaster was fitted without X.")
        E = None
        if X is not None:
            need = h if self.strategy == "recursive" else self.horizon
            past = len(self._x_tail) if newer else 0
            what = (
                f"predict(y=...) needs the covariates of y's last {past} rows (the "
                f"window the forecast reads), then the {need} future rows: it"
                if newer
                else "the forecast horizon"
            )
            E = _check_exog(X, past + need, what)
            if E.shape[1] != self.n_exog_:
                raise ValueError(
                    f"X has {E.shape[1]} columns; fitted with {self.n_exog_}."
                )
            if not newer:
                E = np.concatenate([self._x_tail, E])
        return h, E

    def _fitted_layout(self):
        """How fit's ``y`` was laid out, for :func:`forecast_frame`."""
        # (called on _fitted()'s copy: id_column is the last fit's)
        layout = self._columns, self._kind, self.id_column, self._value_name
        return (*layout, self.index_.name)

    def _wrap(self, values, index):
        return forecast_frame(values, index, self._fitted_layout())

    def _history(self, y):
        """Latest rows to forecast from and their index: fit's, or ``y``'s."""
        if y is None:
            return self._y_tail, self.index_
        # without fill, only NaN in the rows read is an error (checked below)
        Y, index, columns, _, _ = self._target(y, keep_nan=True)
        Y = self._match_series(Y, columns, y)
        check_frequency(index, self.index_, "the window, season and horizon")
        tail = last_rows(
            Y,
            index,
            len(self._y_tail),
            "the window, and difference rows before it",
            "pass fill='ffill' or fill='interpolate' to RNNForecaster, or fill "
            "them yourself.",
        )
        return tail, index

    def _match_series(self, Y, columns, y):
        """``Y``'s columns in the fitted order (see :func:`match_series`)."""
        return match_series(Y, columns, y, self._columns, self._kind)

    def _predict_residual(self, tail, h):
        """Forecasts ``(h, k)`` from ``tail``."""
        return self.model_.predict_windows(self._levels(tail).T)[:, :h].T

    def predict(self, horizon=None, y=None, X=None):
        """Forecast the periods after the training series (or after ``y``).

        Parameters
        ----------
        horizon : int, default=None
            Steps to forecast; None means ``self.horizon``.  Larger values need
            ``strategy="recursive"``.
        y : pandas Series, DataFrame or array-like, default=None
            Newer history of the same series (at least ``window`` rows) to
            forecast from without refitting; the forecast index continues
            from ``y``'s.  A DataFrame's columns are matched to the fitted
            series by name (by position when ``fit`` had no names).  None
            forecasts from the end of the training series.
        X : DataFrame or array-like of shape (n, p), default=None
            Future covariate rows (required when fitted with ``X``): at least
            ``self.horizon`` rows (``horizon`` for the recursive strategy),
            the first for the first forecast period.  With a newer history
            ``y``, first the covariates of ``y``'s last ``window`` rows (and
            ``difference`` before them), then the future rows.  A dated
            DataFrame's index is checked against those periods; an array is
            read by position.

        Returns
        -------
        forecast : pandas Series or DataFrame
            Indexed by the future periods, shaped like the ``y`` of ``fit``.
        """
        fitted = self._fitted()
        return fitted._wrap(*fitted._predict_values(horizon, y, X))

    def _predict_values(self, horizon, y, X):
        """Forecasts ``(h, k)`` and their index."""
        h, E = self._check_predict(horizon, X, newer=y is not None)
        tail, index = self._history(y)
        if X is not None:
            past = len(self._x_tail) if y is not None else 0
            _check_exog_index(X, index, past)
        if self.strategy == "residual":
            pred = self._predict_residual(tail, h)
            pred = np.exp(pred) if self.log else pred
        else:
            pred = self._forecast(tail, [len(tail)], h, E)[0]
        return pred, future_index(index, h)

    def predict_interval(self, coverage=0.9, horizon=None, y=None, X=None):
        """Forecast with split-conformal prediction intervals.

        The half-width at step ``j`` is the ``k``-th smallest, ``k =
        ceil((n + 1) * coverage)``, of the ``n`` absolute errors at step ``j``
        kept by ``fit`` (``calibration_size``), which covers the truth with
        probability at least ``coverage`` when errors are exchangeable.
        ``"residual"`` keeps errors in units of each window's spread and pools
        the steps when one step has too few.  With ``log=True`` the window
        strategies' errors are absolute log ratios, so the band is the
        forecast times ``exp(-w)`` and ``exp(w)``.  With too few errors for ``coverage``
        (that quantile would be past the largest), the bounds are infinite,
        with a warning.

        Parameters
        ----------
        coverage : float, default=0.9
            Target probability that the interval holds the truth.
        horizon : int, default=None
            Steps to forecast (at most ``self.horizon``).
        y : pandas Series, DataFrame or array-like, default=None
            Newer history, as for :meth:`predict`.
        X : DataFrame or array-like, default=None
            Future covariate rows, as for :meth:`predict`.

        Returns
        -------
        intervals : pandas DataFrame
            Columns ``forecast``, ``lower``, ``upper`` (with several targets,
            a column MultiIndex ``(target, part)``), indexed by future periods.
        """
        check_coverage(coverage)
        return self._fitted()._interval(coverage, horizon, y, X)

    def _interval(self, coverage, horizon, y, X):
        if self.strategy == "residual":
            return self._interval_residual(coverage, horizon, y)
        if not hasattr(self, "conformity_scores_"):
            raise ValueError(
                "predict_interval needs held-out errors: fit with calibration_size "
                "set (e.g. calibration_size=12)."
            )
        h, _ = self._check_predict(horizon, X, newer=y is not None)
        if h > self.horizon:
            raise ValueError(
                f"horizon={h} exceeds the calibrated horizon {self.horizon}."
            )
        values, index = self._predict_values(h, y, X)
        scores = self.conformity_scores_[:, :h]
        width = conformal_quantile(scores, coverage)  # inf: too few scores
        if np.isinf(width).any():
            warnings.warn(
                f"{len(scores)} calibration origins are too few for coverage="
                f"{coverage}: the intervals are infinite. Increase calibration_size.",
                stacklevel=3,
            )
        if self.log:  # scores are log ratios: a band of factors exp(+-width)
            lower, upper = values * np.exp(-width), values * np.exp(width)
        else:
            lower, upper = values - width, values + width
        parts = {"forecast": values, "lower": lower, "upper": upper}
        return self._wrap_interval(parts, index)

    def _interval_residual(self, coverage, horizon, y):
        h, _ = self._check_predict(horizon, None)
        tail, index = self._history(y)
        model = self.model_
        if np.isinf(model.half_width(coverage)).any():
            warnings.warn(
                f"{model.scores_.size} calibration errors are too few for "
                f"coverage={coverage}: the intervals are infinite. Pass a longer "
                "series or ask for a lower coverage.",
                stacklevel=4,
            )
        elif getattr(model, "in_sample_", False):  # absent from older fits
            warnings.warn(
                "The series is too short to hold out validation windows: the "
                "intervals come from in-sample errors and are likely too narrow "
                f"for coverage={coverage}. Pass a longer series.",
                stacklevel=4,
            )
        bands = self.model_.predict_interval_windows(self._levels(tail).T, coverage)
        names = ("forecast", "lower", "upper")
        parts = {k: b[:, :h].T for k, b in zip(names, bands, strict=True)}
        if self.log:
            parts = {k: np.exp(v) for k, v in parts.items()}
        return self._wrap_interval(parts, future_index(index, h))

    def _wrap_interval(self, parts, index):
        return interval_frame(parts, index, self._fitted_layout())

    def score(self, y, X=None):
        """Negative mean absolute error of the forecast of ``y``'s first rows.

        ``y`` holds the rows that follow the training series (as the test part
        of ``TimeSeriesSplit``); the first ``min(len(y), horizon)`` rows are
        forecast (all of them with ``strategy="recursive"``).  A dated ``y``
        (DatetimeIndex or PeriodIndex, as the training series) must start
        right after the training series; an array is read as the next rows.

        Parameters
        ----------
        y : pandas Series, DataFrame or array-like
            The true continuation of the training series.
        X : DataFrame or array-like, default=None
            Future covariate rows, as for :meth:`predict`.

        Returns
        -------
        score : float
            ``-MAE`` (higher is better, as scikit-learn's searches expect).
        """
        fitted = self._fitted()
        if fitted.id_column is not None:
            y = _long_to_wide(y, fitted.id_column)[0]
        Y, index, columns, _ = _check_target(y, "ffill" if fitted.fill else None)
        Y = fitted._match_series(Y, columns, y)
        recursive = fitted.strategy == "recursive"
        h = len(Y) if recursive else min(len(Y), fitted.horizon)
        _check_future_index(index[:h], fitted.index_)
        pred = fitted._predict_values(h, None, X)[0]
        return -float(np.mean(np.abs(Y[:h] - pred)))

    # ------------------------------------------------------------ backtest
    def backtest(
        self,
        y,
        X=None,
        *,
        initial_window,
        step=None,
        refit=True,
        window_type="expanding",
        seasonal_period=1,
        coverage=None,
    ):
        """Forecast from successive origins with a model fitted before each.

        Origin ``i`` is row ``initial_window + i * step`` (the first forecast
        row); its model is trained on the rows before it only (all of them,
        or the last ``initial_window`` with ``window_type="sliding"``), so
        scaling, filling and the network never see the future.  Every refit
        starts from fresh weights.  Origins run while a full horizon remains.

        Parameters
        ----------
        y : pandas Series, DataFrame or array-like
            The whole series.
        X : DataFrame or array-like, default=None
            Covariates for every row of ``y`` (known in the future).
        initial_window : int
            Training rows before the first origin.
        step : int, default=None
            Rows between origins; None means ``horizon``.
        refit : bool, default=True
            Refit at every origin; False fits once, before the first origin,
            and forecasts the later origins from their own recent rows.
        window_type : {"expanding", "sliding"}, default="expanding"
            Train on all past rows, or on the last ``initial_window`` only.
        seasonal_period : int, default=1
            Lag of the in-sample naive forecast that scales MASE (1: naive,
            12: seasonal naive of monthly data); smaller than
            ``initial_window``.
        coverage : float in (0, 1), default=None
            Also record each fold's :meth:`predict_interval` of this coverage
            as ``lower`` and ``upper`` (``strategy="residual"``, the default):
            :func:`backtest_metrics` then reports how often they held the
            truth.

        Returns
        -------
        forecasts : pandas DataFrame
            One row per origin, step and target: ``fold``, ``origin`` (the
            first forecast period), ``time``, ``step`` (1-based), ``target``,
            ``y_true``, ``y_pred``, ``error`` (``y_true - y_pred``) and
            ``scaled_error`` (error over the fold's in-sample naive MAE); with
            ``coverage``, also ``lower`` and ``upper``.
            :func:`backtest_metrics` turns it into MAE, RMSE, MAPE and MASE
            (and the intervals' coverage).
        """
        self._validate_params()
        self._check_params()
        check_flag(refit, "refit")
        if self.strategy == "residual" and X is not None:
            raise ValueError(_RESIDUAL_NO_X)  # (it was dropped without a word)
        if self.id_column is not None:  # the folds of a long frame's series
            wide = clone(self).set_params(id_column=None)
            return wide.backtest(
                _long_to_wide(y, self.id_column)[0],
                X,
                initial_window=initial_window,
                step=step,
                refit=refit,
                window_type=window_type,
                seasonal_period=seasonal_period,
                coverage=coverage,
            )
        if self.strategy == "residual":
            return backtest(
                self,
                y,
                initial_window=initial_window,
                step=step,
                refit=refit,
                window_type=window_type,
                seasonal_period=seasonal_period,
                coverage=coverage,
            )
        if coverage is not None:
            raise ValueError(
                f"coverage in a backtest needs strategy='residual'; got "
                f"strategy={self.strategy!r}, whose folds are fitted without "
                "calibration windows (backtest the residual strategy, or call "
                "predict_interval on a fitted forecaster)."
            )
        # NaN stays in place: each fold fills its own past below
        Y_raw, index, columns, _ = _check_target(y, self.fill and "keep")
        self._check_columns(Y_raw.shape[1])
        E = _check_exog(X, len(Y_raw), "y")
        h = self.horizon
        step = h if step is None else step
        ends = check_origins(
            h, step, initial_window, window_type, seasonal_period, len(Y_raw)
        )
        rng = check_random_state(self.random_state)
        frames, model = [], None
        for fold, end in enumerate(ends):
            # fill with this fold's past only (a filled value must not peek ahead)
            Y = _fill(Y_raw[:end], self.fill) if self.fill else Y_raw[:end]
            start = end - initial_window if window_type == "sliding" else 0
            fitted_here = refit or model is None
            try:
                if fitted_here:
                    model = clone(self).set_params(calibration_size=None)
                    # the seed fit draws from the fold's random_state, as the
                    # backtest function's folds do: the two give the same folds
                    seed = int(_fit_seeds(int(rng.randint(2**31 - 1)))[0])
                    train_E = None if E is None else E[start:end]
                    model._fit_arrays(Y[start:end], train_E, seed)
                pred = model._forecast(Y, [end], h, E)[0]
            except ValueError as exc:  # which fold, and how to fix it
                raise fold_error(
                    exc, fold, index, Y_raw, columns, start, end, fitted_here
                ) from exc
            m = seasonal_period
            scale = np.abs(Y[start + m : end] - Y[start : end - m]).mean(axis=0)
            truth = Y_raw[end : end + h]
            frames.append(fold_frame(fold, index, end, columns, truth, pred, scale))
        return pd.concat(frames, ignore_index=True)
