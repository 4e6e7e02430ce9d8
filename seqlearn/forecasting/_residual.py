"""The default forecasting model: a linear base plus a recurrent correction.

Everything happens on windows normalised one by one (per-window level
normalisation): a window of ``L`` past values and its ``h`` targets are shifted
by the window's last value and divided by the window's spread, so a level the
series has never reached, or a series on another scale, looks familiar.

1. *Base*: the best, on the latest training windows (time-ordered
   validation), of the last value, the last season (when the data shows one),
   and ridge regressions of the targets on the lags with a few penalties.
2. *Correction*: ``n_models`` small recurrent networks, trained as one
   batched module (:class:`~seqlearn.nn.forecast.EnsembleRecurrent`), predict
   the base's residual for the whole step budget (early stopping on the
   validation windows, restoring the best weights, is optional: it scored
   worse on the selection origins), and the median over models is added to
   the base, shrunk towards zero by the factor that validates best (zero when
   it does not help).
3. *Intervals*: the validation windows' absolute errors, in normalised units,
   give split-conformal half-widths that scale with each window's spread.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator
from skorch.callbacks import Callback

from seqlearn.forecasting._network import StepCallback, _ResidualNet

ALPHAS = (0.1, 1.0, 10.0, 100.0)
SHRINK = (0.0, 0.25, 0.5, 0.75, 1.0)


def _ridge_fit(X, Y, alpha):
    """Ridge with an unpenalised intercept: returns ``(coef (L, h), bias (h,))``."""
    xm, ym = X.mean(0), Y.mean(0)
    Xc, Yc = X - xm, Y - ym
    gram = Xc.T @ Xc + alpha * np.eye(X.shape[1])
    coef = np.linalg.solve(gram, Xc.T @ Yc)
    return coef, ym - xm @ coef


def _season_pattern(x, m, h):
    """Seasonal-naive forecast of normalised windows ``x`` (n, L): last season."""
    reps = -(-h // m)
    return np.tile(x[:, -m:], (1, reps))[:, :h]


class ResidualModel(BaseEstimator):
    """Fit-on-arrays core of ``RNNForecaster(strategy="residual")``.

    Parameters are plain attributes (the estimator validates them).
    ``variant`` switches parts off for the ablation: a set of names among
    ``"no_base"``, ``"no_net"``, ``"no_early_stopping"``, ``"no_shrink"``,
    ``"global_scaling"``.
    """

    def __init__(
        self,
        *,
        window,
        horizon,
        season,
        n_models=5,
        hidden_size=16,
        cell="gru",
        max_steps=300,
        lr=0.005,
        batch_size=256,
        patience=5,
        early_stopping=False,
        seed=0,
        variant=(),
        callbacks=None,
    ):
        self.window, self.horizon, self.season = window, horizon, season
        self.n_models, self.hidden_size, self.cell = n_models, hidden_size, cell
        self.max_steps, self.lr, self.batch_size = max_steps, lr, batch_size
        self.patience, self.seed, self.variant = patience, seed, variant
        self.early_stopping = early_stopping
        self.callbacks = callbacks

    # ------------------------------------------------------------ windows
    def _normalise(self, past):
        """Shift by the last value, divide by the window's spread."""
        anchor = past[:, -1:]
        spread = past.std(axis=1, keepdims=True)
        spread = np.where(spread > 1e-8 * self.scale_, spread, self.scale_)
        if "global_scaling" in self.variant:
            anchor = np.zeros_like(anchor) + self.level_
            spread = np.full_like(spread, self.scale_)
        return (past - anchor) / spread, anchor, spread

    def _windows(self, series):
        """Stacked windows of every series: past (n, L), future (n, h), age.

        A window's age counts windows from its series' end (0: the latest),
        so series of different lengths are split at the same time.
        """
        L, h = self.window, self.horizon
        past, fut, age = [], [], []
        for s in series:
            w = sliding_window_view(s, L + h)
            past.append(w[:, :L])
            fut.append(w[:, L:])
            age.append(np.arange(len(w))[::-1])
        return np.concatenate(past), np.concatenate(fut), np.concatenate(age)

    # ------------------------------------------------------------ base
    def _base_candidates(self, x):
        """Names of the base forecasts to validate."""
        names = ["naive", "drift"]
        if self.season > 1 and self.window >= 2 * self.season:
            names += ["season", "season_drift"]
        if "no_base" in self.variant:
            return ["zero_mean"]
        return names + [f"ridge{a}" for a in ALPHAS]

    def _base_fit(self, name, x, t):
        if name.startswith("ridge"):
            return _ridge_fit(x, t, float(name[5:]))
        if name == "zero_mean":
            return np.zeros((x.shape[1], t.shape[1])), t.mean(0) * 0
        return None

    def _base_predict(self, name, params, x):
        h = self.horizon
        if name == "naive":
            return np.zeros((len(x), h))
        if name == "drift":  # the last value plus the window's mean change
            slope = (x[:, -1:] - x[:, :1]) / (x.shape[1] - 1)
            return slope * np.arange(1, h + 1)
        m = self.season
        if name == "season":
            return _season_pattern(x, m, h)
        if name == "season_drift":  # last season plus the mean yearly change
            yearly = (x[:, -m:] - x[:, -2 * m : -m]).mean(axis=1, keepdims=True)
            steps = np.arange(h) // m + 1
            return _season_pattern(x, m, h) + yearly * steps
        coef, bias = params
        return x @ coef + bias

    # ------------------------------------------------------------ fit
    def fit(self, series):
        """Fit on a list of 1-D float arrays (one global model for all)."""
        h = self.horizon
        allv = np.concatenate(series)
        self.level_ = float(allv.mean())
        self.scale_ = float(allv.std()) or 1.0
        past, fut, age = self._windows(series)
        x, anchor, spread = self._normalise(past)
        t = (fut - anchor) / spread
        n_win = age.max() + 1
        n_val = int(np.clip(n_win // 4, 1, 24))
        # the latest windows validate; the training windows' targets end
        # before the validation targets start, when that leaves enough
        gap = h if n_win - n_val - h >= 4 else 0
        val = age < n_val
        train = age >= n_val + max(gap - 1, 0)
        if train.sum() < 2:  # too short to validate: train and score on all
            train = val = np.ones(len(age), bool)
        # base: the candidate with the lowest validation MAE
        best = None
        for name in self._base_candidates(x):
            params = self._base_fit(name, x[train], t[train])
            pred = self._base_predict(name, params, x[val])
            mae = np.abs(pred - t[val]).mean()
            if best is None or mae < best[0]:
                best = (mae, name, params)
        _, self.base_, params = best
        base_tr = self._base_predict(self.base_, params, x[train])
        base_val = self._base_predict(self.base_, params, x[val])
        self.network_ = None
        correction = np.zeros_like(base_val)
        if "no_net" not in self.variant:
            correction = self._fit_network(
                x[train], t[train] - base_tr, x[val], t[val] - base_val
            )
        shrinks = (1.0,) if "no_shrink" in self.variant else SHRINK
        if self.network_ is None:
            shrinks = (0.0,)
        maes = [np.abs(base_val + s * correction - t[val]).mean() for s in shrinks]
        self.shrink_ = float(shrinks[int(np.argmin(maes))])
        # conformal scores: validation errors of the final combination
        self.scores_ = np.abs(base_val + self.shrink_ * correction - t[val])
        # the base is refit on every window with its chosen setting
        self.base_params_ = self._base_fit(self.base_, x, t)
        return self

    def _fit_network(self, x_tr, r_tr, x_val, r_val):
        """Train the ensemble on the training core; its validation correction."""
        early = self.early_stopping and "no_early_stopping" not in self.variant
        # callables f(step, loss) are run after every optimizer step
        callbacks = [
            cb if isinstance(cb, Callback | tuple) else StepCallback(cb)
            for cb in self.callbacks or ()
        ]
        network = _ResidualNet(
            n_models=self.n_models,
            hidden_size=self.hidden_size,
            cell=self.cell,
            max_epochs=self.max_steps,
            lr=self.lr,
            batch_size=self.batch_size,
            patience=self.patience,
            early_stopping=early,
            random_state=self.seed,
            callbacks=callbacks or None,
        )
        network.fit(x_tr, r_tr, validation_data=(x_val, r_val))
        self.network_ = network
        self.history_ = network.history_
        return self._net(x_val)

    def _net(self, x):
        return self.network_.predict(x)

    # ------------------------------------------------------------ predict
    def predict_windows(self, past):
        """Forecasts ``(n, h)`` and normalised spreads ``(n, 1)`` for windows."""
        x, anchor, spread = self._normalise(np.asarray(past, dtype=np.float64))
        z = self._base_predict(self.base_, self.base_params_, x)
        if self.network_ is not None and self.shrink_:
            z = z + self.shrink_ * self._net(x)
        return z * spread + anchor, spread

    def half_width(self, coverage):
        """Conformal half-width per step in normalised units ``(h,)``.

        The validation windows are few (at most 24 per series), too few for a
        95% quantile per step; so each step's errors are divided by their
        mean at that step, the ratios of all steps are pooled (``n * h`` of
        them) and the pooled quantile is scaled back by each step's mean.
        """
        profile = self.scores_.mean(axis=0)
        profile = np.where(profile > 0, profile, 1e-12)
        ratios = (self.scores_ / profile).ravel()
        n = len(ratios)
        level = min(1.0, np.ceil((n + 1) * coverage) / n)
        return np.quantile(ratios, level, method="higher") * profile
