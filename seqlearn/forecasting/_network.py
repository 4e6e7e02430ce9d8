"""The residual strategy's recurrent ensemble as an estimator on the training core.

:class:`_ResidualNet` trains :class:`~seqlearn.nn.forecast.EnsembleRecurrent`
(``n_models`` small networks run as one batched module) through
:meth:`seqlearn.base.BaseSequenceEstimator._fit_net`, like every other
seqlearn estimator: the same seeding, thread cap, divergence check, atomic
``fit``, ``get_params``/``clone`` and :func:`seqlearn.save` support.  What is
particular to it:

- one *epoch* is one optimizer step on one random mini-batch of windows
  (``batch_size`` of them, or all when there are fewer), so ``max_epochs``
  counts optimizer steps, as a budget for small sets of windows should;
- the loss is the mean absolute error of every member against the target;
- the cross-model blocks of the recurrent weights get a zero gradient after
  every backward pass (:class:`MaskGradients`, before gradient clipping) and
  are zeroed again after every optimizer step;
- validation windows, when given to ``fit``, are scored every ``every``
  steps by the median over members (``valid_mae`` in ``history_``); with
  ``early_stopping=True`` training stops after ``patience`` scorings without
  improvement and keeps the best weights.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.base import RegressorMixin
from skorch.callbacks import Callback, EarlyStopping

from seqlearn._compat import Interval, StrOptions
from seqlearn.base import BaseSequenceEstimator, fit_method, param
from seqlearn.data import check_float32_range, check_sequences
from seqlearn.nn.forecast import EnsembleRecurrent

__all__ = ["EnsembleL1Loss", "MaskGradients", "StepCallback", "_ResidualNet"]

_POSITIVE_INT = [Interval(numbers.Integral, 1, None, closed="left")]


class EnsembleL1Loss(torch.nn.Module):
    """Mean absolute error of every member: ``(N, M, h)`` against ``(N, h)``."""

    def forward(self, y_pred, y_true):
        """Return the loss of a batch, averaged over windows, members and steps."""
        y_pred = y_pred.float()
        return (y_pred - y_true.to(y_pred.dtype).unsqueeze(1)).abs().mean()


class MaskGradients(Callback):
    """Keep the members independent: zero the cross-model recurrent gradients.

    skorch calls ``on_grad_computed`` after ``backward`` and before the
    optimizer step; this callback runs before gradient clipping, so the norm
    is that of the gradient actually applied.  After each step the
    cross-model weights are zeroed again: a zero gradient leaves a zero weight
    unchanged under Adam, AdamW, SGD and RMSprop, but not necessarily under a
    user's own optimizer class.
    """

    def on_grad_computed(self, net, named_parameters, **kwargs):
        """Mask the gradient of the hidden-to-hidden weights."""
        net.module_.mask_gradients()

    def on_batch_end(self, net, training=False, **kwargs):
        """Zero the cross-model hidden weights after an optimizer step."""
        if training:
            net.module_.mask_weights()


class StepCallback(Callback):
    """Call ``fn(step, loss)`` after every optimizer step (``step`` from 0).

    Parameters
    ----------
    fn : callable
        Receives the step number and the batch's training loss (a float).
    """

    def __init__(self, fn):
        self.fn = fn

    def on_train_begin(self, net, **kwargs):
        """Start counting steps."""
        self.step_ = 0

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        """Report a training step."""
        if training:
            self.fn(self.step_, loss.item())
            self.step_ += 1


class RandomBatchIterator:
    """One random mini-batch per pass: the whole set when it is small.

    Draws from torch's global generator, which the core seeds in ``fit``.

    Parameters
    ----------
    dataset : SequenceDataset
        The windows.
    batch_size : int
        Windows per batch.
    """

    def __init__(self, dataset, batch_size):
        self.dataset = dataset
        self.batch_size = batch_size

    def __len__(self) -> int:
        return 1

    def __iter__(self):
        n = len(self.dataset)
        if self.batch_size >= n:
            yield self.dataset.__getitems__(np.arange(n))
        else:
            yield self.dataset.__getitems__(torch.randperm(n)[: self.batch_size])


def _quiet(text):
    """Discard EarlyStopping's messages (a module-level function: picklable)."""


class EnsembleValidation(EarlyStopping):
    """Score validation windows every ``every`` steps; optionally stop early.

    The score, ``valid_mae``, is the mean absolute error of the median over
    members.  With ``stop=True`` training ends after ``patience`` scorings
    without improvement and the best weights are restored (skorch's
    :class:`~skorch.callbacks.EarlyStopping` logic, counted in scorings).

    Parameters
    ----------
    x : Tensor of shape (n, L, F)
        Validation windows.
    y : Tensor of shape (n, h)
        Their targets.
    every : int
        Steps between scorings (the last step is always scored).
    patience : int
        Scorings without improvement before stopping.
    stop : bool
        Stop early and keep the best weights, or only record the score.
    """

    def __init__(self, x, y, every=10, patience=5, stop=False):
        super().__init__(
            monitor="valid_mae",
            patience=patience,
            threshold=0.0,
            threshold_mode="abs",
            load_best=stop,
            sink=_quiet,
        )
        self.x, self.y, self.every, self.stop = x, y, every, stop

    def on_epoch_end(self, net, **kwargs):
        """Score every ``every`` steps; count misses when stopping early."""
        epoch = len(net.history)
        if epoch % self.every and epoch != net.max_epochs:
            return
        module = net.module_
        was_training = module.training
        module.eval()
        with torch.no_grad():
            x = self.x.to(net.device)
            pred = module(x).median(dim=1).values.float()
            score = (pred - self.y.to(pred)).abs().mean().item()
        module.train(was_training)
        net.history.record("valid_mae", score)
        if self.stop:
            super().on_epoch_end(net, **kwargs)


class _ResidualNet(RegressorMixin, BaseSequenceEstimator):
    """Ensemble of small recurrent networks on windows (residual strategy).

    Fits windows ``X`` of shape ``(n, L)`` (or ``(n, L, F)``) to targets of
    shape ``(n, h)``; ``predict`` returns the median over the ``n_models``
    members, ``predict_members`` every member.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained network (:class:`~seqlearn.nn.forecast.EnsembleRecurrent`).
    history_ : skorch.History
        Per optimizer step: ``train_loss`` and, when validation windows were
        given, ``valid_mae`` every ``every`` steps.
    """

    _param_groups = ("own", "training")
    _param_docs = {
        "max_epochs": "Optimizer steps: each step is one epoch over one random "
        "mini-batch of ``batch_size`` windows (all of them when there are fewer).",
        "batch_size": "Windows per optimizer step.",
        "early_stopping": "With validation windows given to ``fit``, stop when "
        "their score has not improved for ``patience`` scorings and keep the best "
        "weights; without them, the last ``validation_fraction`` of the windows "
        "validate.",
        "validation_fraction": "Fraction of the windows (the last ones) held out "
        "when ``early_stopping=True`` and ``fit`` gets no validation windows.",
        "patience": "Scorings (every ``every`` steps) without improvement before "
        "stopping.",
    }
    _loss_kind = "mse"
    # defaults of the residual strategy (a few hundred small full-batch steps)
    max_epochs = 300
    batch_size = 256
    patience = 5

    n_models: int = param(
        5, "int", _POSITIVE_INT, "Networks in the ensemble, combined by the median."
    )
    cell: str = param(
        "gru",
        '{"gru", "lstm"}',
        [StrOptions({"gru", "lstm"})],
        "Recurrent cell of every member.",
    )
    hidden_size: int = param(16, "int", _POSITIVE_INT, "Hidden units of each member.")
    every: int = param(
        10, "int", _POSITIVE_INT, "Optimizer steps between validation scorings."
    )

    # ------------------------------------------------------------ hooks
    def _make_module(self, data, n_outputs):
        return EnsembleRecurrent(
            data.n_step_features, self.hidden_size, n_outputs, self.n_models, self.cell
        )

    def _criterion_params(self, class_weight):
        return {"criterion": EnsembleL1Loss}

    def _net_params(self, seed, stratify):
        return {
            "iterator_train": RandomBatchIterator,
            "iterator_valid": RandomBatchIterator,
            "train_split": None,
            # scored every ``every`` steps only: a column of its own would
            # shift the verbose=2 table on those rows (it is in history_)
            "callbacks__print_log__keys_ignored": ["valid_mae"],
        }

    def _build_net(self, module, seed, *, validation=None, **kwargs):
        net = super()._build_net(module, seed, **kwargs)
        # masked before the core's gradient clipping (callbacks run in order)
        own = [("mask_gradients", MaskGradients())]
        if validation is not None:
            x, y = validation
            own.append(
                (
                    "validation",
                    EnsembleValidation(
                        x, y, self.every, self.patience, self.early_stopping
                    ),
                )
            )
        # validation is ours (median MAE every ``every`` steps), not the core's
        core = [
            cb
            for cb in net.callbacks
            if not (isinstance(cb, tuple) and cb[0] == "early_stopping")
        ]
        net.callbacks = own + core
        return net

    # ------------------------------------------------------------ fit
    def _targets(self, y, n):
        y = np.asarray(y, dtype=np.float64)
        y = y.reshape(len(y), -1) if y.ndim == 1 else y
        if y.ndim != 2 or len(y) != n:
            raise ValueError(
                f"y must have shape (n_windows, horizon) with {n} windows; got "
                f"{y.shape}."
            )
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinity.")
        check_float32_range(y, "y")
        return y.astype(np.float32)

    @fit_method
    def fit(self, X, y, validation_data=None):
        """Train the ensemble on windows ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_windows, L) or (n_windows, L, n_features)
            Input windows (equal length), oldest first within each.
        y : array-like of shape (n_windows, horizon)
            Targets.
        validation_data : tuple (X_val, y_val) or None, default=None
            Windows to score every ``every`` steps (``valid_mae``) and, with
            ``early_stopping=True``, to stop on.

        Returns
        -------
        self : _ResidualNet
            The fitted estimator.
        """
        data = self._validate_X(X, reset=True)
        y = self._check_y(data, y)
        y = self._targets(y, data.n_samples)
        self._y_ndim = 2
        if validation_data is None and self.early_stopping:
            n_valid = int(np.ceil(self.validation_fraction * data.n_samples))
            if n_valid < 1 or data.n_samples - n_valid < 1:
                raise ValueError(
                    f"validation_fraction={self.validation_fraction} leaves no "
                    f"window for training or validation with {data.n_samples}."
                )
            cut = data.n_samples - n_valid
            valid = (data.values[cut:], y[cut:])
            data = type(data)(data.values[:cut], data.lengths[:cut], data.tabular)
            y = y[:cut]
        elif validation_data is not None:
            X_val, y_val = validation_data
            vdata = check_sequences(X_val, input_name="X_val")
            self._check_consistent(vdata)
            valid = (vdata.values, self._targets(y_val, vdata.n_samples))
        else:
            valid = None
        if valid is not None:
            valid = tuple(torch.as_tensor(np.asarray(v, np.float32)) for v in valid)
        return self._fit_net(data, y, None, y.shape[1], validation=valid)

    # ------------------------------------------------------------ predict
    def predict_members(self, X):
        """Every member's forecast of the windows ``X``.

        Parameters
        ----------
        X : array-like of shape (n_windows, L) or (n_windows, L, n_features)
            Windows, as in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_windows, n_models, horizon)
            The members' outputs (float64).
        """
        return self._forward(self._validate_X(X, reset=False))

    def predict(self, X):
        """Median over the members of :meth:`predict_members`.

        Parameters
        ----------
        X : array-like
            Windows, as for :meth:`predict_members`.

        Returns
        -------
        y : ndarray of shape (n_windows, horizon)
            The median forecast (float64).
        """
        members = torch.as_tensor(self.predict_members(X))
        return members.median(dim=1).values.numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
