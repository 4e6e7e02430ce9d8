"""SequenceRegressor: a value or a vector per sequence."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_array

from seqlearn import _docstrings as doc
from seqlearn.base import (
    ENCODER_GROUPS,
    BaseSequenceEstimator,
    check_weights,
    fit_method,
)
from seqlearn.data import check_float32_range


@doc.fill_doc(
    fitted_input=doc.FITTED_INPUT_DOC,
    fitted_net=doc.fitted_net_doc("``valid_loss`` (on standardised targets)."),
)
class SequenceRegressor(RegressorMixin, BaseSequenceEstimator):
    """Recurrent neural network regressor: a value or vector per sequence.

    Typical use: the next value(s) of a series from a window of its past
    (see :func:`seqlearn.preprocessing.make_windows`); for short windows pass
    ``conv_channels=None``, as the convolutional front-end overfits them
    (sunspots' next value from 20 values: R2 0.72-0.75 with it,
    0.89-0.91 without, Ridge 0.85; see the long-series guide).  Targets are
    standardised (in float64, with the sample weights) inside ``fit`` and
    predictions mapped back, so the defaults train well whatever the scale
    and offset of y.  A network predicts within the range of the targets it
    saw: for a trending series, model differences (or use
    :class:`~seqlearn.RNNForecaster`).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        Target standardisation learnt at fit.
    {fitted_input}
    input_kind_ : {"tabular", "sequence", "tokens"}
        What X was at fit.
    num_embeddings_ : int
        Embedding table size (token input only).
    {fitted_net}

    Examples
    --------
    >>> import numpy as np
    >>> from seqlearn import SequenceRegressor
    >>> X = np.random.default_rng(0).normal(size=(40, 6, 1))
    >>> y = X[:, -1, 0]
    >>> reg = SequenceRegressor(hidden_size=8, max_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _param_groups = (*ENCODER_GROUPS, "pooling", "training", "budget")
    _loss_kind = "mse"

    @fit_method
    @doc.fill_doc(fit_returns=doc.fit_returns_doc("SequenceRegressor", "regressor"))
    def fit(self, X, y, sample_weight=None):
        """Fit the network to sequences X and targets y.

        The network learns the targets standardised by ``y_mean_`` and
        ``y_scale_``; ``predict`` maps its outputs back.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as for :class:`RNNClassifier`.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        {fit_returns}
        """
        data = self._validate_X(X, reset=True)
        y = self._check_y(data, y)
        y = check_array(
            y,
            ensure_2d=False,
            dtype=(np.float64, np.float32),
            input_name="y",
            ensure_min_samples=1,
            allow_nd=True,
        )
        if y.ndim > 2:
            raise ValueError(
                f"y must be 1-D or 2-D; got shape {y.shape} (make_windows' "
                "(n, horizon, n_targets) targets: pass y.reshape(len(y), -1))."
            )
        check_float32_range(y, "y")
        self._y_ndim = y.ndim
        # standardised in float64 (a large offset, such as a timestamp, keeps
        # its digits), weighted as the loss is (a zero weight has no say)
        y64 = y.reshape(len(y), -1).astype(np.float64)
        weights = check_weights(sample_weight, data, dtype=np.float64)
        self.y_mean_ = np.average(y64, axis=0, weights=weights)
        y64 -= self.y_mean_
        scale = np.sqrt(np.average(np.square(y64), axis=0, weights=weights))
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        y_std = (y64 / self.y_scale_).astype(np.float32)
        return self._fit_net(data, y_std, weights, y_std.shape[1])

    @doc.fill_doc(parameters=doc.PREDICT_PARAMETERS_DOC)
    def predict(self, X):
        """Predict the target of each sequence.

        {parameters}

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, shaped as the y given to ``fit``.
        """
        data = self._validate_X(X, reset=False)
        pred = self._forward(data) * self.y_scale_ + self.y_mean_
        return pred.ravel() if self._y_ndim == 1 else pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
