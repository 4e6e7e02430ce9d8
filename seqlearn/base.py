"""What the estimators share: flat parameters -> skorch net, the fit/predict skeleton.

An estimator here is a plain scikit-learn estimator.  ``fit`` validates the data
(:func:`seqlearn.data.check_sequences`), encodes the targets, builds a skorch
``NeuralNet`` around a :mod:`seqlearn.nn` module from the flat hyperparameters,
trains it under a seeded torch generator and keeps it as ``net_``.  Prediction
walks length-sorted batches through the same module and restores the order.
"""

from __future__ import annotations

import contextlib
import copy
import numbers

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, GradientNormClipping

from seqlearn.data import (
    BucketBatchIterator,
    SequenceData,
    SequenceDataset,
    _is_2d_table,
    check_sequences,
)

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

# Ignored target value for padded steps (torch's default ignore_index).
PAD_TARGET = -100


class SequenceLoss(torch.nn.Module):
    """Loss over padded batches with optional sample and class weights.

    Parameters
    ----------
    kind : {"cross_entropy", "mse"}
        Classification (logits ``(N, C)`` or per-step ``(N, L, C)``) or
        regression (``(N, n_outputs)``).
    class_weight : Tensor of shape (C,), default=None
        Weight of each class (cross-entropy only).

    Notes
    -----
    The target may be a tensor or ``{"y": tensor, "sample_weight": tensor}``.
    Each sequence's (or real step's) loss is multiplied by its weights and the
    sum is divided by the number of sequences (or real steps), as Keras does.
    """

    def __init__(self, kind="cross_entropy", class_weight=None):
        super().__init__()
        self.kind = kind
        self.register_buffer(
            "class_weight",
            None if class_weight is None else torch.as_tensor(class_weight),
        )

    def forward(self, y_pred, y_true):
        """Return the mean weighted loss of a batch."""
        weight = None
        if isinstance(y_true, dict):
            y_true, weight = y_true["y"], y_true["sample_weight"]
        y_pred = y_pred.float()  # the loss of a mixed-precision net is float32
        if weight is None and self.class_weight is None:
            # unweighted fast path: one fused kernel, a few autograd nodes fewer
            if self.kind == "mse":
                return F.mse_loss(y_pred, y_true.to(y_pred.dtype).view_as(y_pred))
            return F.cross_entropy(
                y_pred.reshape(-1, y_pred.shape[-1]),
                y_true.long().reshape(-1),
                ignore_index=PAD_TARGET,
            )
        if self.kind == "mse":
            loss = (y_pred - y_true.to(y_pred.dtype)).pow(2).reshape(len(y_pred), -1)
            loss = loss.mean(dim=1)
            count = len(loss)
        else:
            n_classes = y_pred.shape[-1]
            target = y_true.long()
            loss = F.cross_entropy(
                y_pred.reshape(-1, n_classes),
                target.reshape(-1),
                reduction="none",
                ignore_index=PAD_TARGET,
            ).reshape(target.shape)
            real = target != PAD_TARGET
            if self.class_weight is not None:
                loss = loss * self.class_weight[target.clamp(min=0)] * real
            count = real.sum().clamp(min=1)
        if weight is not None:
            # per-sequence weights apply to every step of a per-step loss
            weight = weight.to(loss.dtype).reshape(-1, *([1] * (loss.dim() - 1)))
            loss = loss * weight
        return loss.sum() / count


class MixedPrecisionNet(NeuralNet):
    """A skorch ``NeuralNet`` whose forward passes run in bfloat16 autocast.

    Weights, gradients and optimizer state stay float32 (mixed precision);
    bfloat16 keeps float32's range, so no loss scaling is needed.
    """

    def infer(self, x, **fit_params):
        """Run the module under ``torch.autocast(..., dtype=torch.bfloat16)``."""
        with torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16):
            return super().infer(x, **fit_params)


class ValidationAccuracy(Callback):
    """Record ``valid_acc``, the accuracy over validation sequences or steps.

    It reuses the predictions skorch already made for ``valid_loss``.  With a
    CRF criterion the steps are scored on the Viterbi path, as ``predict``
    would tag them, not on each step's best emission.
    """

    def on_epoch_begin(self, net, **kwargs):
        """Reset the counts."""
        self.correct_, self.total_ = 0, 0

    def on_batch_end(self, net, batch, training, y_pred=None, **kwargs):
        """Count correct predictions of a validation batch."""
        if training or y_pred is None:
            return
        y = batch[1]["y"] if isinstance(batch[1], dict) else batch[1]
        y = y.to(y_pred.device)
        real = y != PAD_TARGET
        crf = getattr(net.criterion_, "crf", None)
        if crf is not None and y_pred.dim() == 3:
            pred = crf.decode(y_pred.float(), real.sum(1))
        else:
            pred = y_pred.argmax(-1)
        self.correct_ += int(((pred == y) & real).sum())
        self.total_ += int(real.sum())

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        """Write the epoch's accuracy to the history."""
        if self.total_:
            net.history.record("valid_acc", self.correct_ / self.total_)


class HoldoutSplit:
    """Hold out a (stratified) fraction of the sequences for validation.

    Parameters
    ----------
    fraction : float
        Fraction of sequences held out.
    stratify : bool
        Stratify on the sequence labels (classification).
    seed : int
        Seed of the split.
    """

    def __init__(self, fraction, stratify, seed):
        self.fraction = fraction
        self.stratify = stratify
        self.seed = seed

    def __call__(self, dataset, y=None, **fit_params):
        """Return ``(train, valid)`` datasets."""
        n = len(dataset)
        n_valid = int(np.ceil(self.fraction * n))
        if n_valid < 1 or n - n_valid < 1:
            raise ValueError(
                f"validation_fraction={self.fraction} leaves no sequence for "
                f"training or validation with {n} sequences; use more data or "
                "early_stopping=False."
            )
        labels = dataset.y.numpy() if self.stratify else None
        if labels is not None:
            _, counts = np.unique(labels, return_counts=True)
            if counts.min() < 2 or n_valid < len(counts):
                labels = None  # too few members to stratify: plain split
        train, valid = train_test_split(
            np.arange(n), test_size=n_valid, random_state=self.seed, stratify=labels
        )
        return dataset.subset(np.sort(train)), dataset.subset(np.sort(valid))


@contextlib.contextmanager
def _torch_context(seed, device, n_threads):
    """Seed torch's generators and cap its threads, restoring both afterwards."""
    devices = [torch.cuda.current_device()] if str(device).startswith("cuda") else []
    old_threads = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    try:
        with torch.random.fork_rng(devices=devices):
            if seed is not None:
                torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(old_threads)


@contextlib.contextmanager
def _atomic_fit(estimator):
    """Restore the estimator's previous state if fitting fails."""
    state = estimator.__dict__.copy()
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(state)
        raise


def resolve_device(device):
    """Map ``"auto"`` to ``"cuda"`` when available, else ``"cpu"``."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class BaseSequenceEstimator(BaseEstimator):
    """Common machinery of the seqlearn estimators (not for direct use)."""

    _parameter_constraints: dict = {
        "cell": [StrOptions({"lstm", "gru", "rnn", "peephole"})],
        "hidden_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "num_layers": [Interval(numbers.Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "num_embeddings": [Interval(numbers.Integral, 2, None, closed="left"), None],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "gradient_clip": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "device": [StrOptions({"cpu", "cuda", "auto"}), str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "n_threads": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "precision": [StrOptions({"32", "bf16"})],
    }

    # Subclasses set these.
    _module_cls = None
    _loss_kind = "cross_entropy"
    _per_step = False
    # the skorch net class; seqlearn.parallel.DataParallelMixin swaps it
    _net_cls = NeuralNet

    # ------------------------------------------------------------ input
    def _validate_X(self, X, *, reset):
        """Validate X into :class:`SequenceData`, checking it against ``fit``."""
        tokens = self.embedding_dim is not None
        if not isinstance(X, list | tuple | np.ndarray) and not hasattr(X, "iloc"):
            X = np.asarray(X) if hasattr(X, "__array__") else X
        tabular = not tokens and _is_2d_table(X)
        if not reset:
            check_is_fitted(self)
            if tabular and self.input_kind_ == "tabular":
                # feature-count and column-name checks, sklearn's own messages
                validate_data(self, X, reset=False, skip_check_array=True)
        elif tabular:
            validate_data(self, X, reset=True, skip_check_array=True)
        data = check_sequences(X, tokens=tokens)
        if reset:
            self.input_kind_ = (
                "tokens" if tokens else "tabular" if data.tabular else "sequence"
            )
            if not data.tabular:
                self.n_features_in_ = data.n_step_features
            if tokens:
                self.num_embeddings_ = self.num_embeddings or int(data.values.max()) + 1
        else:
            self._check_consistent(data)
        return data

    def _check_consistent(self, data: SequenceData):
        name = type(self).__name__
        if self.input_kind_ == "tokens":
            top = int(data.values.max())
            if top >= self.num_embeddings_:
                raise ValueError(
                    f"X contains token id {top}, but {name} was fitted with an "
                    f"embedding table of {self.num_embeddings_} ids (0.."
                    f"{self.num_embeddings_ - 1}). Set num_embeddings, or map "
                    "unseen tokens to the unknown id (VocabularyEncoder does)."
                )
        elif self.input_kind_ == "tabular":
            if data.n_step_features != 1 or np.any(data.lengths != self.n_features_in_):
                raise ValueError(
                    f"X has sequences of shape {data.values.shape[1:]}, but {name} "
                    f"was fitted on a 2-D array with {self.n_features_in_} features "
                    "(columns); pass a 2-D array of that width."
                )
        elif data.n_step_features != self.n_features_in_:
            raise ValueError(
                f"X has {data.n_step_features} features per step, but {name} is "
                f"expecting {self.n_features_in_} features per step as input."
            )

    def _check_y(self, data, y):
        """Reject a missing y or one whose length differs from X's; return y."""
        if not hasattr(y, "__len__") and hasattr(y, "__array__"):
            y = np.asarray(y)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        if len(y) != data.n_samples:
            raise ValueError(
                "Found input variables with inconsistent numbers of samples: "
                f"X has {data.n_samples} sequences but y has {len(y)}."
            )
        return y

    # ------------------------------------------------------------ net
    def _make_module(self, data: SequenceData, n_outputs: int) -> torch.nn.Module:
        """Return the network to train: the one hook every estimator supplies.

        Called inside the seeded torch context, so weight initialisation is
        reproducible.  ``data`` is the validated training data and
        ``n_outputs`` the width of the network's output.
        """
        return self._module_cls(**self._module_kwargs(data, n_outputs))

    def _make_dataset(self, data: SequenceData, y, sample_weight):
        """Return the torch dataset ``fit`` trains on (a hook; see SequenceDataset)."""
        return SequenceDataset(
            data.values, data.lengths, y, sample_weight, per_step=self._per_step
        )

    def _module_kwargs(self, data: SequenceData, n_outputs: int) -> dict:
        kwargs = {
            "cell": self.cell,
            "input_size": data.n_step_features,
            "hidden_size": self.hidden_size,
            "n_outputs": n_outputs,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
            "num_embeddings": self.num_embeddings_ if self.embedding_dim else None,
            "embedding_dim": self.embedding_dim,
        }
        if hasattr(self, "pooling"):
            kwargs["pooling"] = self.pooling
        return kwargs

    def _criterion_params(self, class_weight) -> dict:
        """Return the skorch criterion and its arguments (subclasses may swap it)."""
        return {
            "criterion": SequenceLoss,
            "criterion__kind": self._loss_kind,
            "criterion__class_weight": class_weight,
        }

    def _build_net(self, module, seed, *, class_weight=None, stratify=False):
        callbacks = []
        if self._loss_kind == "cross_entropy" and self.early_stopping:
            callbacks.append(("valid_acc", ValidationAccuracy()))
        if self.gradient_clip is not None:
            callbacks.append(
                ("gradient_clip", GradientNormClipping(self.gradient_clip))
            )
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss", patience=self.patience, load_best=True
                    ),
                )
            )
        # deep-copied: skorch initialises callbacks in place, and the
        # estimator's parameters must stay untouched by fit
        callbacks += copy.deepcopy(self.callbacks or [])
        optimizer = self.optimizer
        if isinstance(optimizer, str):
            optimizer = _OPTIMIZERS[optimizer]
        net_cls = self._net_cls
        if self.precision == "bf16":
            if net_cls is not NeuralNet:
                raise ValueError(
                    "precision='bf16' is for single-process training; for the "
                    "data-parallel route pass an Accelerator(mixed_precision="
                    "'bf16') instead."
                )
            net_cls = MixedPrecisionNet
        return net_cls(
            module=module,
            **self._criterion_params(class_weight),
            optimizer=optimizer,
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=BucketBatchIterator,
            iterator_train__shuffle=True,
            iterator_valid=BucketBatchIterator,
            train_split=(
                HoldoutSplit(self.validation_fraction, stratify, seed)
                if self.early_stopping
                else None
            ),
            callbacks=callbacks,
            device=resolve_device(self.device),
            verbose=self.verbose,
        )

    def _fit_net(self, data, y, sample_weight, n_outputs, **net_kwargs):
        """Build and train the net on encoded targets; set ``net_``/``history_``."""
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, data.values, dtype=np.float32
            )
            if np.any(sample_weight < 0):
                raise ValueError("sample_weight must be non-negative.")
            if not sample_weight.any():
                raise ValueError("sample_weight is all zero: no sequence to learn.")
        dataset = self._make_dataset(data, y, sample_weight)
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        with _torch_context(seed, resolve_device(self.device), self.n_threads):
            module = self._make_module(data, n_outputs)
            net = self._build_net(module, seed, **net_kwargs)
            net.fit(dataset, None)
        # what _make_module read from the data: enough to rebuild the network
        # (seqlearn.load) without the training data
        self._module_args = {"n_step_features": data.n_step_features, "n_outputs": n_outputs}
        self.net_ = net
        self.history_ = net.history
        return self

    def _forward(self, data: SequenceData) -> np.ndarray:
        """Raw module outputs for every sequence, in input order (float64)."""
        net = self.net_
        dataset = SequenceDataset(data.values, data.lengths)
        # length-sorted batches: little padding, and the order is restored below
        iterator = BucketBatchIterator(dataset, max(self.batch_size, 128))
        parts = []
        with _torch_context(None, net.device, self.n_threads):
            for idx in iterator.batch_indices():
                y = net.evaluation_step(dataset.__getitems__(idx), training=False)
                parts.append((idx, y.detach().cpu().double().numpy()))
        tail = parts[0][1].shape[2:] if self._per_step else parts[0][1].shape[1:]
        width = (data.values.shape[1],) if self._per_step else ()
        out = np.zeros((data.n_samples, *width, *tail))
        for idx, y in parts:
            if self._per_step:
                out[idx, : y.shape[1]] = y
            else:
                out[idx] = y
        return out

    # ------------------------------------------------------------ sklearn
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis (float64)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def check_class_weight(class_weight, classes, y_encoded):
    """Return per-class weights (float32) or None, validating dict keys."""
    if class_weight is None:
        return None
    if isinstance(class_weight, str):
        counts = np.bincount(y_encoded, minlength=len(classes)).astype(np.float64)
        weight = len(y_encoded) / (len(classes) * np.maximum(counts, 1))
        return weight.astype(np.float32)
    unknown = set(class_weight) - set(classes.tolist())
    if unknown:
        raise ValueError(
            f"class_weight has labels {sorted(map(str, unknown))} that are not in "
            f"the training labels {classes.tolist()}."
        )
    return np.array([class_weight.get(c, 1.0) for c in classes.tolist()], np.float32)
