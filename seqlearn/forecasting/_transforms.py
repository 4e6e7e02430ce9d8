"""Target transforms of a forecaster: log, differencing and scaling."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from seqlearn._compat import Interval, StrOptions

__all__ = ["TargetTransformer"]


def _undifference(dz, tail, lag):
    """Invert a lag-``lag`` difference: ``v[t] = v[t - lag] + dz[t]``.

    ``dz`` is ``(n, h, k)``, ``tail`` the last ``lag`` levels ``(n, lag, k)``.
    Steps are grouped by their position modulo ``lag`` and summed cumulatively
    within each group, so no loop runs over the horizon.
    """
    n, h, k = dz.shape
    m = -(-h // lag)
    padded = np.zeros((n, m * lag, k))
    padded[:, :h] = dz
    sums = padded.reshape(n, m, lag, k).cumsum(axis=1).reshape(n, m * lag, k)
    return sums[:, :h] + np.tile(tail, (1, m, 1))[:, :h]


def log_levels(Y, log):
    """``log(Y)`` when ``log`` is set (a positive series only), else ``Y``."""
    if not log:
        return Y
    if (Y <= 0).any():
        raise ValueError("log=True needs a positive series; it has values <= 0.")
    return np.log(Y)


class TargetTransformer(TransformerMixin, BaseEstimator):
    """Log, difference and scale series; map forecasts back.

    The model space of :class:`~seqlearn.forecasting.RNNForecaster`'s window
    strategies: ``log`` (positive series), then a lag-``difference``
    difference, then (``scaling="standard"``) the mean and standard deviation
    of the differenced training rows.  Rows are time steps, columns series.

    Parameters
    ----------
    log : bool, default=False
        Take the logarithm first (a multiplicative season becomes additive).
    difference : int, default=0
        Lag of the difference (0: none, 1: first difference, 12: yearly
        difference of monthly data).  The first ``difference`` rows of
        ``transform``'s output are NaN, as with ``pandas.Series.diff``.
    scaling : {"standard", "none"}, default="standard"
        Standardise with the training rows' mean and standard deviation
        (learnt after log and difference), or leave the scale.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Mean of each column after log and difference (training rows).
    scale_ : ndarray of shape (n_features,)
        Their standard deviation (1 where a column is constant).
    n_features_in_ : int
        Number of series.

    See Also
    --------
    RNNForecaster : Uses it for ``log``, ``difference`` and ``scaling``.

    Examples
    --------
    >>> import numpy as np
    >>> from seqlearn.forecasting import TargetTransformer
    >>> y = np.array([[1.0], [2.0], [4.0], [8.0]])
    >>> tt = TargetTransformer(log=True, difference=1, scaling="none").fit(y)
    >>> np.exp(tt.transform(y)[1:, 0])
    array([2., 2., 2.])
    >>> tt.inverse_transform(np.log([[2.0], [2.0]]), history=y)[:, 0]
    array([16., 32.])
    """

    _parameter_constraints = {
        "log": ["boolean"],
        "difference": [Interval(numbers.Integral, 0, None, closed="left")],
        "scaling": [StrOptions({"standard", "none"})],
    }

    def __init__(self, *, log=False, difference=0, scaling="standard"):
        self.log = log
        self.difference = difference
        self.scaling = scaling

    def _differenced(self, V):
        """Lag-``difference`` differences along the time axis (-2)."""
        d = self.difference
        return V[..., d:, :] - V[..., :-d, :] if d else V

    def fit(self, X, y=None):
        """Learn the scale of the transformed training rows.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_features)
            Series (one per column), oldest first.
        y : None
            Ignored.

        Returns
        -------
        self : TargetTransformer
            The fitted transformer.
        """
        self._validate_params()
        Y = validate_data(self, X, dtype=np.float64)
        if len(Y) <= self.difference:
            raise ValueError(
                f"X has {len(Y)} rows; difference={self.difference} needs more."
            )
        Z = self._differenced(log_levels(Y, self.log))
        self.mean_ = Z.mean(axis=0)
        sd = Z.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        return self

    def transform_windows(self, X):
        """Transform the last axes of ``X`` (..., n_steps, n_features).

        Unlike :meth:`transform`, the first ``difference`` steps are dropped
        and any leading axes (one per window) are kept.

        Parameters
        ----------
        X : ndarray of shape (..., n_steps, n_features)
            Raw values.

        Returns
        -------
        ndarray of shape (..., n_steps - difference, n_features)
            Values in model space.
        """
        check_is_fitted(self)
        V = np.asarray(X, dtype=np.float64)
        k = self.n_features_in_
        if V.ndim < 2 or V.shape[-1] != k:
            raise ValueError(
                f"X must have shape (..., n_steps, {k}) ({k} column(s), the "
                f"number of series seen in fit); got shape {V.shape}."
            )
        Z = self._differenced(log_levels(V, self.log))
        return (Z - self.mean_) / self.scale_ if self.scaling == "standard" else Z

    def transform(self, X):
        """Map series to model space.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_features)
            Series (one per column), oldest first.

        Returns
        -------
        ndarray of shape (n_steps, n_features)
            Transformed values; the first ``difference`` rows are NaN.
        """
        check_is_fitted(self)
        Y = validate_data(self, X, dtype=np.float64, reset=False)
        out = np.full(Y.shape, np.nan)
        out[self.difference :] = self.transform_windows(Y)
        return out

    def inverse_transform(self, X, history=None):
        """Map model-space values back to the series' scale.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_features) or (n, n_steps, n_features)
            Model-space values of the rows that follow ``history``.
        history : array-like, default=None
            Raw rows just before them (the last ``difference`` are read), in
            ``X``'s form: ``(n_before, n_features)`` for 2-D ``X``,
            ``(n, n_before, n_features)`` with ``X``'s ``n`` for 3-D ``X``.
            Needed when ``difference > 0``.

        Returns
        -------
        ndarray, shaped like ``X``
            Values on the series' scale.
        """
        check_is_fitted(self)
        Z = np.asarray(X, dtype=np.float64)
        k = self.n_features_in_
        if Z.ndim not in (2, 3) or Z.shape[-1] != k:
            raise ValueError(
                f"X must have shape (n_steps, {k}) or (n, n_steps, {k}) ({k} "
                f"column(s), the number of series seen in fit); got shape "
                f"{Z.shape}."
            )
        flat = Z.ndim == 2
        Z = Z[None] if flat else Z
        d = self.difference
        H = None
        if history is not None:
            H = np.asarray(history, dtype=np.float64)
            want = f"(n_before, {k})" if flat else f"({len(Z)}, n_before, {k})"
            if (
                H.ndim != (2 if flat else 3)
                or H.shape[-1] != k
                or (not flat and H.shape[0] != len(Z))
            ):
                raise ValueError(
                    f"history must have shape {want} to match X of shape "
                    f"{np.shape(X)}; got shape {H.shape}."
                )
        if d and (H is None or H.shape[-2] < d):
            got = "none" if H is None else f"shape {H.shape}"
            raise ValueError(
                f"inverse_transform with difference={d} needs the {d} raw "
                f"row(s) before X as `history`; got {got}."
            )
        if self.scaling == "standard":
            Z = Z * self.scale_ + self.mean_
        if d:
            H = H[None] if flat else H
            Z = _undifference(Z, log_levels(H[:, H.shape[1] - d :], self.log), d)
        out = np.exp(Z) if self.log else Z
        return out[0] if flat else out
