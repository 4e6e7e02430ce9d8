"""The training core every seqlearn estimator composes.

One place owns training:

- the shared hyperparameters (:data:`SHARED_PARAMS`): each is declared once
  with its default, its constraint and its numpydoc text; an estimator names
  the groups it takes in ``_param_groups`` and
  :class:`BaseSequenceEstimator` turns them into keyword-only ``__init__``
  arguments (a dataclass), ``_parameter_constraints`` and the Parameters
  section of its docstring;
- :meth:`BaseSequenceEstimator._fit_net`: builds the skorch net around the
  module the estimator supplies through its one hook, ``_make_module(data,
  n_outputs)``, seeds torch, caps its threads, stops on a diverging loss and
  lets ``KeyboardInterrupt`` through;
- :func:`fit_method`: validates the parameters at the start of ``fit`` and
  makes it atomic (any exception, Ctrl-C included, leaves the estimator as it
  was).

Data flows one way: ``fit`` validates X (:func:`seqlearn.data.check_sequences`),
encodes the targets, calls ``_fit_net``; prediction walks length-sorted
batches through ``net_.module_`` (:meth:`BaseSequenceEstimator._forward`).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import math
import numbers
import re
import sys
import threading
import types
import warnings

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    EpochScoring,
    PrintLog,
)
from skorch.callbacks.scoring import ScoringBase
from skorch.utils import to_numpy

from seqlearn._compat import (
    Interval,
    StrOptions,
    check_sample_weight,
    fit_context,
    validate_data,
)
from seqlearn.callbacks import (
    StopTraining,
    WarmEarlyStopping,
    WarmupCosineLR,
    budget_epochs,
)
from seqlearn.data import (
    BucketBatchIterator,
    RaggedSteps,
    SequenceData,
    SequenceDataset,
    _is_2d_table,
    check_dense,
    check_sequences,
    check_token_ids,
    predict_batches,
    unpad,
)
from seqlearn.nn import SequenceModel, WordTaggingModel
from seqlearn.nn.constants import PAD_TARGET
from seqlearn.nn.encoder import CELLS
from seqlearn.preprocessing._tokens import CASES, WordFeatureEncoder, is_text
from seqlearn.preprocessing._vocabulary import (
    _bad_document,
    _check_documents,
    _is_token_list,
)

__all__ = [
    "SHARED_PARAMS",
    "BaseSequenceEstimator",
    "DeclaredParams",
    "LossDivergedError",
    "SequenceLoss",
    "fit_method",
    "param",
]

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}


# ====================================================================== params
def param(default, type, constraints, doc):
    """Declare a hyperparameter: a dataclass field carrying its constraint and doc.

    Parameters
    ----------
    default : object
        Default value (immutable: None, a number, a string, a tuple).
    type : str
        The numpydoc type text, e.g. ``'{"lstm", "gru"}'`` or ``"int"``.
    constraints : list
        scikit-learn parameter constraints, checked at the start of ``fit``.
    doc : str
        The description (one paragraph; wrapped when the docstring is built).

    Returns
    -------
    dataclasses.Field
        The field, with the constraint and the doc in its metadata.
    """
    meta = {"type": type, "constraints": constraints, "doc": " ".join(doc.split())}
    return dataclasses.field(default=default, metadata=meta)


_POSITIVE_INT = [Interval(numbers.Integral, 1, None, closed="left")]
# Training sets whose longest sequence has this many steps get the long-series
# budget by default: chosen by cross-validation on the training splits of the
# UCR sets (benchmarks/bench_accuracy.py --select, docs/guide/long_series.rst).
LONG_SERIES = 64
LONG_SERIES_UPDATES = 600

#: The shared hyperparameters by group, each declared once.  An estimator
#: lists the groups it takes (and where its own fields go, as "own") in
#: ``_param_groups``.
SHARED_PARAMS = {
    "recurrent": {
        "cell": param(
            "lstm",
            '{"lstm", "gru", "rnn", "peephole"}',
            [StrOptions(set(CELLS))],
            "Recurrent cell: LSTM, GRU, vanilla tanh RNN or LSTM with peephole "
            "connections.",
        ),
        "hidden_size": param(
            64, "int", _POSITIVE_INT, "Features of the hidden state (per direction)."
        ),
        "num_layers": param(
            1, "int", _POSITIVE_INT, "Number of stacked recurrent layers."
        ),
        "dropout": param(
            0.0,
            "float",
            [Interval(numbers.Real, 0, 1, closed="left")],
            "Dropout on non-recurrent edges: between stacked layers and on the "
            "encoder output.",
        ),
    },
    "bidirectional": {
        "bidirectional": param(
            False,
            "bool",
            ["boolean"],
            "Also read each sequence backwards and concatenate both directions.",
        ),
    },
    "embedding": {
        "embedding_dim": param(
            None,
            "int",
            [*_POSITIVE_INT, None],
            "None: X is numeric.  An int: X holds integer token ids (0 is padding) "
            "embedded into vectors of this size.",
        ),
        "num_embeddings": param(
            None,
            "int",
            [Interval(numbers.Integral, 2, None, closed="left"), None],
            "Size of the embedding table; None infers ``max id + 1`` at fit.  An id "
            "beyond it at predict is an error.",
        ),
    },
    "pooling": {
        "pooling": param(
            "last",
            '{"last", "mean", "max", "attention"}',
            [StrOptions({"last", "mean", "max", "attention"})],
            "How the per-step states become one vector per sequence: the state at "
            "the last real step (first step for the backward direction), the mean "
            "or maximum over real steps, or learned additive attention.",
        ),
    },
    "words": {
        "char_embedding_dim": param(
            25,
            "int",
            _POSITIVE_INT,
            "Text input only: features of a character embedding.",
        ),
        "char_hidden_size": param(
            50,
            "int or None",
            [*_POSITIVE_INT, None],
            "Text input only: size of a word's character encoding (filters of a "
            "character CNN, :class:`~seqlearn.nn.CharEncoder`); None disables it.",
        ),
        "word_min_frequency": param(
            2,
            "int",
            _POSITIVE_INT,
            "Text input only: words seen fewer times in training are unknown, so "
            "the unknown-word embedding is trained on rare words.",
        ),
        "word_dropout": param(
            0.0,
            "float",
            [Interval(numbers.Real, 0, 1, closed="both")],
            "Text input only: in training, replace each word's id by the unknown "
            "id with this probability (its characters and case stay), so the "
            "network learns to read a word it has never seen from its spelling and "
            "context.",
        ),
        "lowercase": param(
            True,
            "bool",
            ["boolean"],
            "Text input only: lowercase words before looking up their embedding; "
            "capitalisation stays a separate feature.",
        ),
    },
    "conv": {
        "conv_channels": param(
            (64, 64),
            "tuple of int or None",
            [tuple, list, None],
            "Numeric input only: output channels of temporal convolutions that "
            "read the series before the recurrent layers (a convolutional "
            "front-end, as in LSTM-FCN and DeepConvLSTM); one layer per entry. "
            "They summarise local shape and, with ``conv_stride``, shorten long "
            "series, which is what lets the network learn series of hundreds of "
            "steps from few examples.  None reads the input directly.  Token ids "
            "and text skip it.",
        ),
        "conv_kernel_size": param(
            5, "int", _POSITIVE_INT, "Kernel width of each convolution."
        ),
        "conv_stride": param(
            2,
            "int",
            _POSITIVE_INT,
            "Stride of each convolution: the recurrent layers read a sequence "
            "``conv_stride ** len(conv_channels)`` times shorter (padding never "
            "leaks: output lengths are computed per sequence).",
        ),
    },
    "budget": {
        "min_updates": param(
            "auto",
            '"auto" or int',
            [StrOptions({"auto"}), Interval(numbers.Integral, 0, None, closed="left")],
            "Minimum number of optimizer steps: a small data set trains for more "
            "than ``max_epochs`` epochs until it has had this many updates. "
            f'"auto": {LONG_SERIES_UPDATES} when the training sequences are '
            f"numeric and the longest has at least {LONG_SERIES} steps, else 0.",
        ),
        "lr_schedule": param(
            "auto",
            '{"auto", "constant", "warmup_cosine"}',
            [StrOptions({"auto", "constant", "warmup_cosine"})],
            '"warmup_cosine" warms the learning rate up over the first 10 % of '
            "the optimizer steps, then lowers it along a cosine to 1 % of ``lr`` "
            '(:class:`~seqlearn.callbacks.WarmupCosineLR`); "constant" keeps '
            '``lr``; "auto" picks "warmup_cosine" when the training sequences '
            f"are numeric and the longest has at least {LONG_SERIES} steps.",
        ),
    },
    "class_weight": {
        "class_weight": param(
            None,
            'dict, "balanced" or None',
            [dict, StrOptions({"balanced"}), None],
            'Weights of the classes in the loss; "balanced" uses '
            "``n_samples / (n_classes * count(class))``.",
        ),
    },
    "training": {
        "max_epochs": param(
            100, "int", _POSITIVE_INT, "Number of passes over the training data."
        ),
        "batch_size": param(32, "int", _POSITIVE_INT, "Sequences per mini-batch."),
        "lr": param(
            0.005,
            "float",
            [Interval(numbers.Real, 0, None, closed="neither")],
            "Learning rate.",
        ),
        "optimizer": param(
            "adam",
            '{"adam", "adamw", "sgd", "rmsprop"} or torch optimizer class',
            [StrOptions(set(OPTIMIZERS)), type],
            "Optimizer: a name, or a subclass of ``torch.optim.Optimizer`` that "
            "needs no closure (not LBFGS).",
        ),
        "weight_decay": param(
            0.0,
            "float",
            [Interval(numbers.Real, 0, None, closed="left")],
            "Weight decay (L2 penalty) passed to the optimizer.",
        ),
        "gradient_clip": param(
            1.0,
            "float or None",
            [Interval(numbers.Real, 0, None, closed="neither"), None],
            "Maximum norm of the gradient; None disables clipping.",
        ),
        "early_stopping": param(
            False,
            "bool",
            ["boolean"],
            "Hold out ``validation_fraction`` of the training sequences "
            "(stratified for a classifier) and stop when the validation loss has "
            "not improved for ``patience`` epochs, restoring the best weights.",
        ),
        "validation_fraction": param(
            0.1,
            "float",
            [Interval(numbers.Real, 0, 1, closed="neither")],
            "Fraction held out when ``early_stopping=True``.",
        ),
        "patience": param(
            10, "int", _POSITIVE_INT, "Epochs without improvement before stopping."
        ),
        "device": param(
            "cpu",
            '{"cpu", "cuda", "auto"} or torch.device',
            [StrOptions({"cpu", "cuda", "auto"}), str, torch.device],
            'Where to train; "auto" picks CUDA when available.',
        ),
        "random_state": param(
            None,
            "int, RandomState instance or None",
            ["random_state"],
            "Seeds weight initialisation, shuffling and dropout: the same value "
            "gives the same predictions on CPU.",
        ),
        "verbose": param(
            0,
            "int",
            ["verbose"],
            "0 prints nothing; 1 shows one progress bar per fit (epochs, with the "
            "current loss; works in terminals and notebooks); 2 prints a table "
            "row per epoch.",
        ),
        "callbacks": param(
            None,
            "list of (name, skorch callback) or None",
            [list, None],
            "Extra skorch callbacks (e.g. ``LRScheduler``). Names seqlearn "
            "uses for its own (``early_stopping``, ``gradient_clip``, "
            "``lr_schedule``, ``progress_bar``, ``divergence``, ``valid_acc``, "
            "and skorch's ``train_loss``, ``valid_loss``, ``epoch_timer``, "
            "``print_log``) are taken when their feature is on. With "
            "``sample_weight``, skorch's scoring callbacks score the targets "
            "unweighted.",
        ),
        "n_threads": param(
            None,
            "int or None",
            [*_POSITIVE_INT, None],
            "Torch threads used during fit and predict; None keeps torch's setting.",
        ),
        "precision": param(
            "32",
            '{"32", "bf16"}',
            [StrOptions({"32", "bf16"})],
            '"bf16" runs forward passes under ``torch.autocast`` in bfloat16 '
            "(mixed precision: weights, gradients and the loss stay float32).  It "
            "pays off on GPUs with bfloat16 units; on CPU it mostly saves memory "
            "traffic.",
        ),
    },
}
#: Parameters that only steer training: the others shape the network or its
#: predictions, and ``fit`` records them so that :func:`seqlearn.load`
#: rebuilds the network as it was fitted (``precision`` is kept: it sets the
#: dtype of the forward passes, at predict time too).
_TRAINING_ONLY = (
    set(SHARED_PARAMS["training"]) - {"precision"}
    | set(SHARED_PARAMS["budget"])
    | set(SHARED_PARAMS["class_weight"])
)
#: The groups of the estimators that read X with the recurrent encoder and its
#: optional embedding and convolutional front-end, in their ``__init__`` order.
ENCODER_GROUPS = ("recurrent", "bidirectional", "embedding", "conv")


_ANNOTATIONS = {
    "cell": "str",
    "hidden_size": "int",
    "num_layers": "int",
    "dropout": "float",
    "bidirectional": "bool",
    "embedding_dim": "int | None",
    "num_embeddings": "int | None",
    "max_epochs": "int",
    "batch_size": "int",
    "lr": "float",
    "optimizer": "str | type[torch.optim.Optimizer]",
    "weight_decay": "float",
    "gradient_clip": "float | None",
    "early_stopping": "bool",
    "validation_fraction": "float",
    "patience": "int",
    "device": "str | torch.device",
    "random_state": "int | np.random.RandomState | None",
    "verbose": "int",
    "callbacks": "list | None",
    "n_threads": "int | None",
    "precision": "str",
    "pooling": "str",
    "class_weight": "dict | str | None",
    "char_embedding_dim": "int",
    "char_hidden_size": "int | None",
    "word_min_frequency": "int",
    "word_dropout": "float",
    "lowercase": "bool",
    "conv_channels": "tuple[int, ...] | None",
    "conv_kernel_size": "int",
    "conv_stride": "int",
    "min_updates": "str | int",
    "lr_schedule": "str",
}

# Word embedding size for text input when embedding_dim is None.
DEFAULT_WORD_EMBEDDING_DIM = 64


def _format_default(value) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _wrap(text, indent, width=88):
    words, lines, line = text.split(), [], indent
    for word in words:
        if len(line) + len(word) + 1 > width and line.strip():
            lines.append(line.rstrip())
            line = indent
        line += word + " "
    lines.append(line.rstrip())
    return "\n".join(lines)


def _parameters_doc(cls) -> str:
    """Return the numpydoc Parameters entries of ``cls``, in signature order."""
    overrides = dict(getattr(cls, "_param_docs", {}))
    names = {f.name for f in dataclasses.fields(cls)}
    if "min_updates" in names and "max_epochs" not in overrides:
        overrides["max_epochs"] = (
            "Number of passes over the training data; a small set of long "
            "series may get more (see ``min_updates``, which sets a minimum "
            "number of optimizer steps; ``min_updates=0`` makes this exact)."
        )
    if "min_updates" in names and "patience" not in overrides:
        overrides["patience"] = (
            "Epochs without improvement before stopping.  Where ``min_updates`` "
            "makes a small data set train k times ``max_epochs`` epochs, "
            "patience is k times this, and the epochs of the learning-rate "
            "warm-up never count."
        )
    entries = []
    for f in dataclasses.fields(cls):
        head = (
            f"    {f.name} : {f.metadata['type']}, default={_format_default(f.default)}"
        )
        entries.append(
            head + "\n" + _wrap(overrides.get(f.name, f.metadata["doc"]), " " * 8)
        )
    return "\n".join(entries)


def _is_param(value) -> bool:
    """Whether a class attribute is a parameter declared with :func:`param`."""
    return isinstance(value, dataclasses.Field) and "constraints" in value.metadata


def _make_params(cls):
    """Turn ``cls`` into a keyword-only dataclass of its declared parameters.

    Only ``param(...)`` fields (and new defaults of inherited parameters) are
    parameters: other annotated names (``classes_: np.ndarray``, ``extra: int
    = 3``) stay plain class attributes.
    """
    own, plain = {}, {}
    inherited = getattr(cls, "__dataclass_fields__", {})
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        value = cls.__dict__.get(name)
        if name in inherited and name in cls.__dict__ and not _is_param(value):
            # ``hidden_size: int = 16``: a new default for an inherited parameter
            value = dataclasses.field(default=value, metadata=inherited[name].metadata)
            setattr(cls, name, value)
        if isinstance(value, dataclasses.Field) and not _is_param(value):
            raise TypeError(
                f"{cls.__name__}.{name} is a dataclasses.field; declare "
                "seqlearn estimator parameters with seqlearn.base.param(default, "
                "type, constraints, doc)."
            )
        (own if _is_param(value) else plain)[name] = annotation
    cls.__annotations__ = own
    groups = cls.__dict__.get("_param_groups")
    if groups is not None:
        annotations = {}
        for group in groups:
            if group == "own":
                annotations.update(own)
                continue
            for name, spec in SHARED_PARAMS[group].items():
                annotations[name] = _ANNOTATIONS[name]
                # a plain class attribute overrides the shared default (an
                # annotated one was made a field above)
                default = cls.__dict__.get(name, spec.default)
                if isinstance(default, dataclasses.Field):
                    default = default.default
                field = dataclasses.field(default=default, metadata=spec.metadata)
                setattr(cls, name, field)
        cls.__annotations__ = annotations
    dataclasses.dataclass(cls, kw_only=True, repr=False, eq=False)
    cls.__annotations__ = {**cls.__annotations__, **plain}  # not fields
    fields = dataclasses.fields(cls)
    cls._parameter_constraints = {f.name: f.metadata["constraints"] for f in fields}
    if cls.__doc__ and "{parameters}" in cls.__doc__:
        cls.__doc__ = cls.__doc__.replace("    {parameters}", _parameters_doc(cls))


# ====================================================================== loss


def first_missing_label(labels):
    """Return ``(position, value)`` of the first missing label, or None.

    Labels of object dtype (strings, mixed) only: None or NaN among them made
    ``LabelEncoder`` fail with a bare "'<' not supported" TypeError.  Numeric
    labels are left to scikit-learn ("Input y contains NaN").
    """
    labels = np.asarray(labels).ravel()
    if labels.dtype != object:
        return None
    missing = np.flatnonzero(pd.isna(labels))  # None and NaN, vectorised
    if not missing.size:
        return None
    i = int(missing[0])
    value = labels[i]
    return i, (value.item() if isinstance(value, np.generic) else value)


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
        """Return the mean weighted loss of a batch.

        Parameters
        ----------
        y_pred : Tensor of shape (N, C), (N, L, C) or (N, n_outputs)
            Logits or values.
        y_true : Tensor or dict
            Targets, or ``{"y": targets, "sample_weight": weights}``.

        Returns
        -------
        Tensor
            The loss, a scalar.
        """
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


# ====================================================================== nets
class LossDivergedError(ValueError, FloatingPointError):
    """The training loss became NaN or infinite, or exploded (see DivergenceCheck)."""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _TablePrintLog(PrintLog):
    """skorch's epoch table, printed at ``verbose >= 2`` only, colours only on a tty."""

    def on_epoch_end(self, net, **kwargs):
        """Print the epoch's row; below ``verbose=2`` not even format it."""
        # formatting the table is a tenth of a small forecaster's fit
        if net.verbose >= 2:
            super().on_epoch_end(net, **kwargs)

    def _sink(self, text, verbose):
        if verbose >= 2:
            if not sys.stdout.isatty():
                text = _ANSI.sub("", text)
            print(text)


class ProgressBar(Callback):
    """One tqdm progress bar per fit (``verbose=1``): epochs, with the losses."""

    def on_train_begin(self, net, **kwargs):
        """Open the bar."""
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=net.max_epochs, unit="epoch", leave=True)

    def on_epoch_end(self, net, **kwargs):
        """Advance the bar and show the latest losses."""
        row = net.history[-1]
        keys = ("train_loss", "valid_loss", "valid_acc")
        self.bar_.set_postfix({k: f"{row[k]:.4g}" for k in keys if k in row})
        self.bar_.update()

    def on_train_end(self, net, **kwargs):
        """Close the bar (it is not part of the model)."""
        bar = self.__dict__.pop("bar_", None)
        if bar is not None:
            bar.close()

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("bar_", None)
        return state


class _GradientClip(Callback):
    """Clip the L2 norm of all gradients together to ``max_norm``.

    skorch's :class:`~skorch.callbacks.GradientNormClipping`, bit for bit,
    but the parameters are collected once per ``fit`` rather than on every
    step: the many small steps of a small network pay for that.
    """

    def __init__(self, max_norm):
        self.max_norm = max_norm

    def on_train_begin(self, net, **kwargs):
        """Collect the learnable parameters."""
        self.params_ = [p for _, p in net.get_all_learnable_params()]

    def on_grad_computed(self, net, named_parameters, **kwargs):
        """Clip the gradients in place."""
        # a step outside fit (net.train_step by hand) collects them there
        params = getattr(self, "params_", None) or [p for _, p in named_parameters]
        torch.nn.utils.clip_grad_norm_(params, self.max_norm)

    def on_train_end(self, net, **kwargs):
        """Let go of the parameters (a pickled net would copy them)."""
        self.params_ = []


class DivergenceCheck(Callback):
    """Stop training with :class:`LossDivergedError` when the loss diverges.

    A loss diverges when it is NaN or infinite, or when an epoch's training
    loss is over ``factor`` times the loss of the first batch (the untrained
    network's): a learning rate far too high blows the loss up by orders of
    magnitude while it stays finite.

    Parameters
    ----------
    factor : float, default=1e3
        How many times the first batch's loss an epoch's training loss may be.
    """

    def __init__(self, factor=1e3):
        self.factor = factor

    def on_epoch_end(self, net, **kwargs):
        """Check the epoch's losses."""
        row = net.history[-1]
        advice = (
            "training stopped and the estimator was left as it was.  Lower lr "
            f"(now {net.lr:g}), set gradient_clip (e.g. 1.0), or scale the data."
        )
        for key in ("train_loss", "valid_loss"):
            if key in row and not np.isfinite(row[key]):
                raise LossDivergedError(
                    f"The {key.replace('_', ' ')} diverged ({row[key]}) in epoch "
                    f"{row['epoch']}: {advice}"
                )
        batches = net.history[0].get("batches") or [{}]
        first = batches[0].get("train_loss", 0.0)
        if first > 0 and row.get("train_loss", 0.0) > self.factor * first:
            raise LossDivergedError(
                f"The train loss diverged in epoch {row['epoch']}: "
                f"{row['train_loss']:.4g}, over {self.factor:g} times the "
                f"untrained network's ({first:.4g}); {advice}"
            )


class SeqNet(NeuralNet):
    """The skorch net every estimator trains.

    Unlike a plain ``NeuralNet`` it lets ``KeyboardInterrupt`` propagate (the
    estimator's atomic ``fit`` then restores its previous state), prints its
    epoch table only at ``verbose >= 2`` and, with ``precision="bf16"``, runs
    forward passes under bfloat16 autocast (weights, gradients and optimizer
    state stay float32; bfloat16 keeps float32's range, so no loss scaling).

    Parameters
    ----------
    *args, **kwargs
        As :class:`skorch.NeuralNet`.
    precision : {"32", "bf16"}, default="32"
        Forward-pass precision.
    """

    def __init__(self, *args, precision="32", **kwargs):
        super().__init__(*args, **kwargs)
        self.precision = precision

    def initialize(self):
        """Initialise like skorch; every tensor is pickled through its device map.

        skorch maps ``module_``, ``optimizer_`` and ``criterion_`` to the
        loading machine's device, but the ``module`` argument (the same
        module instance) holds them too, as may callbacks (a user's, keeping
        weights or statistics): mapped too, a net fitted on a
        GPU unpickles on a machine without one.
        """
        super().initialize()
        extra = [
            p
            for p in ("module", "callbacks")
            if p not in self.cuda_dependent_attributes_
        ]
        self.cuda_dependent_attributes_ = [*self.cuda_dependent_attributes_, *extra]
        return self

    def __setstate__(self, state):
        """Unpickle like skorch, then re-pack recurrent weights for cuDNN.

        Unpickled straight onto a GPU, an RNN's weights are separate tensors,
        and cuDNN would warn and copy them into one buffer at every call.
        """
        super().__setstate__(state)
        module = self.__dict__.get("module_")
        if isinstance(module, torch.nn.Module):
            for m in module.modules():
                if isinstance(m, torch.nn.RNNBase):
                    m.flatten_parameters()

    @property
    def _default_callbacks(self):
        callbacks = dict(super()._default_callbacks)
        callbacks["print_log"] = _TablePrintLog()
        return list(callbacks.items())

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train like skorch, but let ``KeyboardInterrupt`` reach the caller."""
        if not self.initialized_:
            self.initialize()
        self.notify("on_train_begin", X=X, y=y)
        try:
            self.fit_loop(X, y, **fit_params)
        except StopTraining:
            pass
        except BaseException as exc:
            # skorch's EarlyStopping stops training by raising
            # KeyboardInterrupt: only that one is swallowed
            if not (isinstance(exc, KeyboardInterrupt) and self._early_stopped()):
                # callbacks still clean up (progress bars), but one that
                # fails on an unfinished run (EarlyStopping with an empty
                # history) must not hide the error that stopped training
                with contextlib.suppress(Exception):
                    self.notify("on_train_end", X=X, y=y)
                raise
        self.notify("on_train_end", X=X, y=y)
        return self

    def _early_stopped(self) -> bool:
        return any(
            isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
            for _, cb in self.callbacks_
        )

    def _classifies(self) -> bool:
        """Whether the module's outputs are one row of class logits per sequence."""
        criterion = getattr(self, "criterion_", None)
        return isinstance(criterion, SequenceLoss) and criterion.kind == "cross_entropy"

    def __sklearn_tags__(self):
        """Return the tags: a classifier's net is a classifier to sklearn's scorers.

        Binary ``roc_auc`` and ``average_precision`` then score the second
        column of ``predict_proba``, as for any sklearn classifier.
        """
        tags = super().__sklearn_tags__()
        if self._classifies():
            tags.estimator_type = "classifier"
        return tags

    @property
    def classes_(self):
        """The encoded labels a classifier's net trains on: ``0, ..., K - 1``."""
        n_outputs = getattr(self, "n_outputs_", None)
        if not self._classifies() or n_outputs is None:
            raise AttributeError(f"{type(self).__name__} has no attribute 'classes_'")
        return np.arange(n_outputs)

    def predict_proba(self, X):
        """Return class probabilities for a classifier, else the module outputs.

        skorch's scorers (``EpochScoring("neg_log_loss")``) call this; the
        estimators predict through ``evaluation_step``.
        """
        out = super().predict_proba(X)
        return softmax(out) if self._classifies() and out.ndim == 2 else out

    def predict(self, X):
        """Return class indices for a classifier, else the module outputs.

        What skorch's scorers (``EpochScoring("accuracy")``) compare with the
        encoded labels the net trains on.
        """
        out = self.predict_proba(X)
        return out.argmax(axis=1) if self._classifies() and out.ndim == 2 else out

    def autocast(self):
        """Return the forward passes' precision context (bfloat16 autocast or none)."""
        if self.precision != "bf16":
            return contextlib.nullcontext()
        return torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16)

    def infer(self, x, **fit_params):
        """Run the module, under bfloat16 autocast with ``precision="bf16"``."""
        with self.autocast():
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


# ====================================================================== context
# torch's default generator is process-wide: seeded fits hold this lock so
# that fits running in threads draw from it one at a time and stay
# reproducible.  Re-entrant: a fit may fit an inner estimator.
_FIT_LOCK = threading.RLock()


@contextlib.contextmanager
def _torch_context(seed, device, n_threads):
    """Cap torch's threads; with a seed, also seed its generators (restored after).

    Without a seed (prediction) no random generator is touched, so predicting
    in one thread never rewinds another thread's draws.
    """
    old_threads = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    try:
        if seed is None:
            yield
        else:
            cuda = str(device).startswith("cuda") and torch.cuda.is_available()
            devices = [torch.cuda.current_device()] if cuda else []
            with _FIT_LOCK, torch.random.fork_rng(devices=devices):
                torch.manual_seed(seed)
                yield
    finally:
        torch.set_num_threads(old_threads)


@contextlib.contextmanager
def _atomic_fit(estimator):
    """Restore the estimator's previous state if fitting fails or is interrupted."""
    state = estimator.__dict__.copy()
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(state)
        raise


def fit_method(fit):
    """Decorate an estimator's ``fit``: validate parameters first, then fit atomically.

    Parameters are checked against ``_parameter_constraints`` (scikit-learn's
    ``InvalidParameterError``) and by ``_check_params`` (device, optimizer,
    callbacks) before any data is read; any exception or ``KeyboardInterrupt``
    raised while fitting leaves the estimator exactly as it was.

    Parameters
    ----------
    fit : callable
        The estimator's ``fit(self, ...)``.

    Returns
    -------
    callable
        The wrapped ``fit``.
    """

    @fit_context(prefer_skip_nested_validation=True)
    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        self._check_params()
        with _atomic_fit(self):
            return fit(self, *args, **kwargs)

    return wrapper


def _scoring_targets(y):
    """Targets of a batch for skorch's scoring callbacks, without the weights.

    With ``sample_weight`` a batch's targets are ``{"y": ..., "sample_weight":
    ...}`` (the loss weighs them); skorch's scorers take the targets alone.
    """
    if isinstance(y, dict) and "sample_weight" in y:
        y = y["y"]
    return to_numpy(y)


def _unweighted_scorers(callbacks):
    """Give the scoring callbacks among ``callbacks`` the targets alone.

    Only where a callback keeps skorch's default ``target_extractor``; the
    callbacks are the estimator's deep copies, so its parameters stay as
    they were.  The scores are unweighted (skorch's scorers take no weights).
    """
    for item in callbacks:
        cb = item[1] if isinstance(item, tuple) else item
        if isinstance(cb, ScoringBase) and cb.target_extractor is to_numpy:
            cb.target_extractor = _scoring_targets
    return callbacks


def _check_needs_no_validation(callback, i):
    """Reject a callback that reads validation scores where there are none."""
    if isinstance(callback, type) and issubclass(callback, EarlyStopping):
        callback = callback()  # as skorch will
    if isinstance(callback, EarlyStopping):
        what = f"monitors {callback.monitor!r}"
        valid = callback.monitor.startswith("valid_")
    elif isinstance(callback, EpochScoring):
        what = "scores the validation split (on_train=False)"
        valid = not callback.on_train
    else:
        return
    if valid:
        raise ValueError(
            f"callbacks[{i}] ({type(callback).__name__}) {what}, which needs "
            "early_stopping=True (it holds out validation_fraction of the "
            "sequences); without it there are only training scores "
            "('train_loss', EpochScoring(..., on_train=True))."
        )


def check_weights(sample_weight, data, dtype=np.float32):
    """Return validated sample weights (non-negative, not all zero), or None.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        One weight per sequence.
    data : SequenceData
        The checked sequences (for their number).
    dtype : numpy dtype, default=np.float32
        Type of the returned weights.

    Returns
    -------
    ndarray of shape (n_samples,) or None
        The weights.
    """
    if sample_weight is None:
        return None
    weights = check_sample_weight(sample_weight, data.lengths, dtype=dtype)
    if np.any(weights < 0):
        raise ValueError("sample_weight must be non-negative.")
    if not weights.any():
        raise ValueError("sample_weight is all zero: no sequence to learn.")
    return weights


def resolve_device(device):
    """Map ``"auto"`` to ``"cuda"`` when available, else ``"cpu"``."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


# ====================================================================== core
class DeclaredParams:
    """Mixin: hyperparameters declared as fields, from ``SHARED_PARAMS`` groups.

    A subclass names the groups it takes in ``_param_groups`` ("own" marks
    where its own ``param(...)`` fields go) and becomes a keyword-only
    dataclass: ``__init__`` only stores its arguments, ``_parameter_constraints``
    and the docstring's Parameters section (at ``{parameters}``) are built from
    the fields.  A plain class attribute named like a shared parameter
    overrides its default; other annotated attributes (``classes_:
    np.ndarray``) are not parameters.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("_abstract", False):
            _make_params(cls)


class BaseSequenceEstimator(DeclaredParams, BaseEstimator):
    """The training core of the seqlearn estimators (not for direct use).

    A subclass declares its hyperparameters as ``_param_groups`` (names of
    :data:`SHARED_PARAMS` groups, and "own" for the fields it annotates
    itself) and supplies its network through :meth:`_make_module`.  Every
    subclass becomes a keyword-only dataclass: ``__init__`` only stores its
    arguments, as scikit-learn requires.
    """

    # the base declares no parameters itself: each estimator lists its groups
    _abstract = True
    _param_groups = (
        "recurrent",
        "bidirectional",
        "embedding",
        "pooling",
        "own",
        "training",
    )
    _loss_kind = "cross_entropy"
    _per_step = False
    # the skorch net class; seqlearn.parallel.DataParallelMixin swaps it
    _net_cls = SeqNet

    # ------------------------------------------------------------ params
    def _check_params(self):
        """Run the checks constraints cannot express (at the start of ``fit``)."""
        device = resolve_device(self.device)
        try:
            device = torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"device={self.device!r} is not a device: {exc}") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"device={self.device!r}, but this torch build has no CUDA device "
                'available; use device="cpu" or "auto".'
            )
        optimizer = self.optimizer
        if isinstance(optimizer, type):
            if not issubclass(optimizer, torch.optim.Optimizer):
                raise ValueError(
                    f"optimizer={optimizer.__name__} is not a torch.optim.Optimizer "
                    f"subclass; use one of {sorted(OPTIMIZERS)} or such a class."
                )
            if issubclass(optimizer, torch.optim.LBFGS):
                raise ValueError(
                    "optimizer=LBFGS needs a closure that re-evaluates the loss, "
                    "which mini-batch training does not provide; use Adam or SGD."
                )
        for i, item in enumerate(self.callbacks or []):
            cb = item[1] if isinstance(item, tuple) and len(item) == 2 else item
            named = not isinstance(item, tuple) or isinstance(item[0], str)
            if not named or not isinstance(cb, Callback | type):
                raise ValueError(
                    f"callbacks[{i}] is {item!r}; each callback must be a skorch "
                    "Callback or a (name, Callback) tuple."
                )
            if not self.early_stopping:
                _check_needs_no_validation(cb, i)
            if isinstance(cb, ScoringBase) and cb.use_caching is False:
                raise ValueError(
                    f"callbacks[{i}] ({type(cb).__name__}) has use_caching=False: "
                    "seqlearn's nets give skorch's scorers the predictions made "
                    "during the epoch (use_caching=True, the default), not the "
                    "data to predict again."
                )
            if (
                self._per_step
                and isinstance(cb, ScoringBase)
                and isinstance(cb.scoring, str)
            ):
                # sklearn's scorers take one label per sequence: per-step
                # outputs (padded) make them fail deep inside sklearn
                raise ValueError(
                    f"callbacks[{i}] ({type(cb).__name__}) scores with sklearn's "
                    f"{cb.scoring!r}, which takes one target per sequence; "
                    f"{type(self).__name__} predicts one per step. Its "
                    "validation accuracy is recorded as 'valid_acc' with "
                    "early_stopping=True; seqlearn.metrics scores its predictions "
                    "(or pass a scoring function of (net, X, y) that reads the "
                    "padded steps)."
                )
        if "conv" in self._param_groups and self.conv_channels is not None:
            channels = self.conv_channels
            if not channels or not all(
                isinstance(c, numbers.Integral) and not isinstance(c, bool) and c > 0
                for c in channels
            ):
                raise ValueError(
                    f"conv_channels must be None or a non-empty tuple of positive "
                    f"ints, got {channels!r}."
                )
            if self._per_step and self.conv_stride != 1:
                raise ValueError(
                    f"{type(self).__name__} gives one output per step, so "
                    f"conv_stride must be 1 (got {self.conv_stride})."
                )
        if self.precision == "bf16" and not getattr(self._net_cls, "bf16", True):
            raise ValueError(
                "precision='bf16' is for single-process training; on the "
                "data-parallel route launch with `accelerate launch "
                "--mixed_precision bf16` (or set ACCELERATE_MIXED_PRECISION=bf16) "
                "instead."
            )

    # ------------------------------------------------------------ input
    def _validate_X(self, X, *, reset, pad=False):
        """Validate X, checking it against ``fit``.

        Ragged numeric sequences and token ids come back unpadded
        (:class:`~seqlearn.data.RaggedSteps`) unless ``pad=True``; everything
        else as :class:`~seqlearn.data.SequenceData`.
        """
        text = "words" in self._param_groups
        if hasattr(X, "iloc") and getattr(X, "ndim", 2) == 1:
            X = X.tolist()  # a Series (df["text"]): one sequence per row
        if reset:
            self.__dict__.pop("word_features_", None)
            if is_text(X):
                if not text:
                    raise TypeError(
                        f"X holds text, but {type(self).__name__} reads numbers or "
                        "token ids: encode the text first (VocabularyEncoder, "
                        "WordFeatureEncoder), or use RNNClassifier/SequenceTagger."
                    )
                return self._encode_words(X, reset=True)
        else:
            check_is_fitted(self)
        if not reset and self.input_kind_ == "words":
            # all-empty documents are not text to is_text: the encoder says why
            if not is_text(X) and not (
                isinstance(X, list | tuple)
                and all(hasattr(doc, "__len__") and not len(doc) for doc in X)
            ):
                # a bare string or a bad item: the encoders' own messages
                for i, doc in enumerate(_check_documents(X)):
                    if not isinstance(doc, str) and not _is_token_list(doc):
                        raise _bad_document(doc, i)
                raise TypeError(
                    f"This {type(self).__name__} was fitted on text: X must be a "
                    "list of texts or of token lists of str."
                )
            return self._encode_words(X, reset=False)
        if not reset and is_text(X):
            raise TypeError(
                f"X holds text, but this {type(self).__name__} was fitted on "
                f"{'token ids' if self.input_kind_ == 'tokens' else 'numbers'}: "
                "encode the text as in fit."
            )
        if reset:
            tokens = getattr(self, "embedding_dim", None) is not None
        else:  # what fit read, whatever set_params changed since
            tokens = self.input_kind_ == "tokens"
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
        data = check_sequences(X, tokens=tokens, pad=pad)
        if reset:
            self.input_kind_ = (
                "tokens" if tokens else "tabular" if data.tabular else "sequence"
            )
            if text:
                self._warn_text_only_params()
            if not data.tabular:
                self.n_features_in_ = data.n_step_features
                self.__dict__.pop("feature_names_in_", None)
            if tokens:
                # an id beyond the table is a clear error here, not torch's
                # IndexError; a huge inferred table is refused, not allocated
                self.num_embeddings_ = check_token_ids(data, self.num_embeddings)
        else:
            self._check_consistent(data)
        return data

    def _warn_text_only_params(self) -> None:
        """Warn that text-only parameters set away from their defaults do nothing."""
        fields = {f.name: f.default for f in dataclasses.fields(self)}
        changed = [
            f"{name}={getattr(self, name)!r}"
            for name in SHARED_PARAMS["words"]
            if name in fields and getattr(self, name) != fields[name]
        ]
        if changed:
            kind = "token ids" if self.input_kind_ == "tokens" else "numbers"
            warnings.warn(
                f"{', '.join(changed)} {'applies' if len(changed) == 1 else 'apply'} "
                f"to text input only; X holds {kind}, so "
                f"{'it is' if len(changed) == 1 else 'they are'} ignored.",
                UserWarning,
                stacklevel=6,  # the caller of fit
            )

    def _encode_words(self, X, *, reset) -> RaggedSteps:
        """Text -> the ``(T_i, 2 + W)`` word, case and character ids, unpadded."""
        if reset:
            for attr in ("n_features_in_", "feature_names_in_"):
                self.__dict__.pop(attr, None)
            self.word_features_ = WordFeatureEncoder(
                lowercase=self.lowercase, min_frequency=self.word_min_frequency
            ).fit(X)
            self.input_kind_ = "words"
            self.num_embeddings_ = len(self.word_features_.word_vocabulary_.tokens_)
        features = self.word_features_.transform(X)
        lengths = np.fromiter(map(len, features), dtype=np.int64, count=len(features))
        return RaggedSteps(np.concatenate(features), lengths)

    def _check_consistent(self, data: SequenceData):
        name = type(self).__name__
        if self.input_kind_ == "tokens":
            check_token_ids(data, self.num_embeddings_)
        elif self.input_kind_ == "tabular":
            if data.n_step_features != 1 or np.any(data.lengths != self.n_features_in_):
                raise ValueError(
                    f"X has sequences of up to {int(data.lengths.max())} steps of "
                    f"{data.n_step_features} features, but {name} "
                    f"was fitted on a 2-D array with {self.n_features_in_} features "
                    "(columns); pass a 2-D array of that width."
                )
        elif data.n_step_features != self.n_features_in_:
            # a single (T, n_features) sequence reads as T univariate ones
            one = (
                data.tabular
                and data.n_step_features == 1
                and len(data.lengths) > 1
                and np.all(data.lengths == self.n_features_in_)
            )
            hint = (
                " (to predict one sequence x of shape (T, F), pass [x])" if one else ""
            )
            raise ValueError(
                f"X has {data.n_step_features} features per step, but {name} is "
                f"expecting {self.n_features_in_} features per step as input{hint}."
            )

    def _check_y(self, data, y):
        """Reject a missing y or one whose length differs from X's; return y."""
        check_dense(y, "y")
        if not hasattr(y, "__len__") and hasattr(y, "__array__"):
            y = np.asarray(y)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        if not hasattr(y, "__len__") or isinstance(y, str | bytes | dict):
            raise TypeError(
                f"y must be an array-like with one target per sequence, got "
                f"{type(y).__name__}."
            )
        if len(y) != data.n_samples:
            raise ValueError(
                "Found input variables with inconsistent numbers of samples: "
                f"X has {data.n_samples} sequences but y has {len(y)}."
            )
        return y

    # ------------------------------------------------------------ hooks
    def _make_module(self, data: SequenceData, n_outputs: int) -> torch.nn.Module:
        """Return the network to train: the one hook every estimator supplies.

        Called inside the seeded torch context, so weight initialisation is
        reproducible.  It may read only ``data.n_step_features`` from
        ``data`` (the rest from fitted attributes), so that
        :func:`seqlearn.load` can rebuild the network without the data.  The
        default is a :class:`~seqlearn.nn.SequenceModel` (one output vector
        per sequence, or per step with ``_per_step``).
        """
        pooling = None if self._per_step else self.pooling
        if self.input_kind_ == "words":
            return WordTaggingModel(
                self.cell,
                self.hidden_size,
                n_outputs,
                num_words=self.num_embeddings_,
                word_embedding_dim=self.embedding_dim or DEFAULT_WORD_EMBEDDING_DIM,
                num_cases=len(CASES),
                num_chars=len(self.word_features_.char_vocabulary_.tokens_),
                char_embedding_dim=self.char_embedding_dim,
                char_hidden_size=self.char_hidden_size,
                num_layers=self.num_layers,
                bidirectional=self.bidirectional,
                dropout=self.dropout,
                word_dropout=self.word_dropout,
                pooling=pooling,
            )
        tokens = self.embedding_dim is not None
        conv = {}
        if "conv" in self._param_groups and not tokens and self.conv_channels:
            conv = {
                "conv_channels": tuple(self.conv_channels),
                "conv_kernel_size": self.conv_kernel_size,
                "conv_stride": self.conv_stride,
            }
        return SequenceModel(
            self.cell,
            None if tokens else data.n_step_features,
            self.hidden_size,
            n_outputs,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            pooling=pooling,
            num_embeddings=self.num_embeddings_ if tokens else None,
            embedding_dim=self.embedding_dim,
            **conv,
        )

    def _make_dataset(self, data: SequenceData, y, sample_weight):
        """Return the torch dataset ``fit`` trains on (a hook; see SequenceDataset)."""
        values = data if isinstance(data, RaggedSteps) else data.values
        return SequenceDataset(
            values, data.lengths, y, sample_weight, per_step=self._per_step
        )

    def _criterion_params(self, class_weight) -> dict:
        """Return the skorch criterion and its arguments (a hook)."""
        return {
            "criterion": SequenceLoss,
            "criterion__kind": self._loss_kind,
            "criterion__class_weight": class_weight,
        }

    def _net_params(self, seed, stratify) -> dict:
        """Return the skorch net's data arguments: iterators and validation split.

        A hook: :class:`~seqlearn.CharRNN` walks a token stream instead.
        """
        return {
            "iterator_train": BucketBatchIterator,
            "iterator_train__shuffle": True,
            "iterator_valid": BucketBatchIterator,
            "train_split": (
                HoldoutSplit(self.validation_fraction, stratify, seed)
                if self.early_stopping
                else None
            ),
        }

    # ------------------------------------------------------------ training
    def _budget(self, data: SequenceData) -> tuple[int, bool]:
        """Return the epochs to train and whether to use the warm-up/cosine schedule.

        With the "budget" parameters (``min_updates``, ``lr_schedule``) small
        training sets of long series train for at least ``min_updates`` steps;
        the others train ``max_epochs`` epochs at a constant ``lr``.
        """
        if "budget" not in self._param_groups:
            return self.max_epochs, False
        # chosen on numeric series: token ids and text keep the plain budget
        numeric = self.input_kind_ in ("tabular", "sequence")
        long = numeric and int(data.lengths.max()) >= LONG_SERIES
        min_updates = self.min_updates
        if min_updates == "auto":
            min_updates = LONG_SERIES_UPDATES if long else 0
        held_out = self.validation_fraction if self.early_stopping else 0.0
        epochs = budget_epochs(
            data.n_samples, self.batch_size, self.max_epochs, min_updates, held_out
        )
        schedule = self.lr_schedule == "warmup_cosine" or (
            self.lr_schedule == "auto" and long
        )
        return epochs, schedule

    def _build_net(
        self,
        module,
        seed,
        *,
        class_weight=None,
        stratify=False,
        max_epochs=None,
        lr_schedule=False,
    ):
        """Wrap ``module`` in the skorch net the flat hyperparameters describe."""
        epochs = self.max_epochs if max_epochs is None else max_epochs
        schedule = WarmupCosineLR() if lr_schedule else None
        callbacks = [("divergence", DivergenceCheck())]
        if schedule is not None:
            callbacks.append(("lr_schedule", schedule))
        if self.verbose == 1:
            callbacks.append(("progress_bar", ProgressBar()))
        if self._loss_kind == "cross_entropy" and self.early_stopping:
            callbacks.append(("valid_acc", ValidationAccuracy()))
        if self.gradient_clip is not None:
            callbacks.append(("gradient_clip", _GradientClip(self.gradient_clip)))
        if self.early_stopping:
            # min_updates may turn max_epochs into many short epochs: patience
            # grows by the same factor, and the warm-up's epochs never count
            # (chosen by CV on the training splits of GunPoint and ArrowHead)
            factor = max(1, math.ceil(epochs / self.max_epochs))
            warmup = 0 if schedule is None else schedule.warmup_fraction * epochs
            callbacks.append(
                (
                    "early_stopping",
                    WarmEarlyStopping(
                        start=int(warmup),
                        monitor="valid_loss",
                        patience=self.patience * factor,
                        load_best=True,
                    ),
                )
            )
        # deep-copied: skorch initialises callbacks in place, and the
        # estimator's parameters must stay untouched by fit
        callbacks += _unweighted_scorers(copy.deepcopy(self.callbacks or []))
        optimizer, fast = self.optimizer, {}
        if isinstance(optimizer, str):
            optimizer = OPTIMIZERS[optimizer]
            # the multi-tensor update: the same numbers, fewer kernel calls
            # (torch picks it on CUDA only by default)
            fast = {"optimizer__foreach": True}
        params = {
            "module": module,
            **self._criterion_params(class_weight),
            "optimizer": optimizer,
            "optimizer__weight_decay": self.weight_decay,
            **fast,
            "lr": self.lr,
            "max_epochs": epochs,
            "batch_size": self.batch_size,
            "callbacks": callbacks,
            "device": resolve_device(self.device),
            "verbose": self.verbose,
            **self._net_params(seed, stratify),
        }
        if issubclass(self._net_cls, SeqNet):
            params["precision"] = self.precision
        return self._net_cls(**params)

    def _fit_net(self, data, y, sample_weight, n_outputs, **net_kwargs):
        """Build and train the net on encoded targets; set ``net_``/``history_``."""
        sample_weight = check_weights(sample_weight, data)
        dataset = self._make_dataset(data, y, sample_weight)
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        with _torch_context(seed, resolve_device(self.device), self.n_threads):
            module = self._make_module(data, n_outputs)
            epochs, schedule = self._budget(data)
            net = self._build_net(
                module, seed, max_epochs=epochs, lr_schedule=schedule, **net_kwargs
            )
            net.n_outputs_ = n_outputs  # a classifier's classes_ for scorers
            net.fit(dataset, None)
        # what _make_module read from the data and the parameters: enough to
        # rebuild the network (seqlearn.load) without the training data, even
        # after set_params
        self._module_args = {
            "n_step_features": data.n_step_features,
            "n_outputs": n_outputs,
            "params": {
                k: v
                for k, v in self.get_params(deep=False).items()
                if k not in _TRAINING_ONLY
            },
        }
        self.net_ = net
        self.history_ = net.history
        return self

    def _restore_net(self, module_state: dict, criterion_state: dict) -> None:
        """Rebuild ``net_`` from fitted attributes and load saved weights.

        :func:`seqlearn.load` calls this after restoring the fitted state: the
        module comes from the same hook as in ``fit`` (``_make_module``, with
        the ``_module_args`` recorded there, parameters included), so no code
        is read from a file.
        """
        data = types.SimpleNamespace(
            n_step_features=int(self._module_args["n_step_features"])
        )
        # built by a copy with the parameters as fitted, not as set_params
        # may have changed them since (a file without them: the saved ones)
        fitted = copy.copy(self)
        vars(fitted).update(self._module_args.get("params", {}))
        # building the net draws initial weights: leave the caller's RNG alone
        with torch.random.fork_rng(devices=[]):
            module = fitted._make_module(data, int(self._module_args["n_outputs"]))
            net = fitted._build_net(
                module, 0, class_weight=criterion_state.get("class_weight")
            )
            net.initialize()
        net.module_.load_state_dict(module_state)
        net.criterion_.load_state_dict(criterion_state)
        net.module_.eval()
        self.net_ = net

    # ------------------------------------------------------------ predict
    def _forward(self, data: SequenceData | RaggedSteps, transform=None):
        """Return the module outputs of every sequence, in input order (float64).

        Batches are cut from the length-sorted sequences
        (:func:`seqlearn.data.predict_batches`), so only one batch is ever
        padded.  ``transform(y, lengths)``, when given, maps each batch's
        outputs (a float64 array) before they are stored.  Per-step outputs
        (``_per_step``) come back as a list of ``(T_i, ...)`` arrays, the
        others as one array.
        """
        net = self.net_
        values = data if isinstance(data, RaggedSteps) else data.values
        dataset = SequenceDataset(values, data.lengths)
        out = [None] * data.n_samples if self._per_step else None
        batch_size = max(self.batch_size, 128)
        with _torch_context(None, net.device, self.n_threads):
            for idx in predict_batches(np.asarray(data.lengths), batch_size):
                batch = dataset.__getitems__(idx)
                y = net.evaluation_step(batch, training=False)
                y = y.detach().cpu().double().numpy()
                lengths = batch[0]["lengths"].numpy()
                if transform is not None:
                    y = transform(y, lengths)
                if self._per_step:
                    for i, steps in zip(idx, unpad(y, lengths), strict=True):
                        out[i] = steps
                    continue
                if out is None:
                    out = np.zeros((data.n_samples, *y.shape[1:]), dtype=y.dtype)
                out[idx] = y
        return out

    # ------------------------------------------------------------ inspect
    def _example_input(self) -> dict:
        """Return a two-sequence batch of the fitted input shape (for summary)."""
        n_features = self._module_args["n_step_features"]
        lengths = torch.tensor([8, 8])
        if self.input_kind_ == "tokens":
            return {"x": torch.ones(2, 8, dtype=torch.long), "lengths": lengths}
        if self.input_kind_ == "words":
            x = torch.ones(2, 8, n_features, dtype=torch.long)
            return {"x": x, "lengths": lengths}
        return {"x": torch.zeros(2, 8, n_features), "lengths": lengths}

    def summary(self) -> str:
        """Describe the fitted network: layers, output shapes, parameter counts.

        Like Keras' ``model.summary()``: one row per layer that holds
        parameters or has no sub-layers (and one for parameters the network
        holds itself, outside any layer), with the shape of its output for a
        batch of two sequences of 8 steps (``N`` and ``L`` read 2 and 8), then
        the total and trainable parameter counts.

        Returns
        -------
        summary : str
            The table; ``print(estimator.summary())`` shows it.
        """
        check_is_fitted(self)
        module = self.net_.module_
        shapes, hooks = {}, []

        def shape_of(out):
            if isinstance(out, torch.Tensor):
                return str(tuple(out.shape))
            if isinstance(out, tuple | list) and out:
                return shape_of(out[0])
            return "-"

        rows = []
        for name, layer in module.named_modules():
            own = sum(p.numel() for p in layer.parameters(recurse=False))
            # the top module has a row only for parameters it holds itself
            if own or (name and not any(True for _ in layer.children())):
                rows.append((name, layer, own))

                def record(layer, inputs, output, name=name):
                    shapes.setdefault(name, shape_of(output))  # returns None

                hooks.append(layer.register_forward_hook(record))
        rows.sort(key=lambda row: not row[0])  # the network's own ones last
        was_training = module.training
        example = {k: v.to(self.net_.device) for k, v in self._example_input().items()}
        try:
            module.eval()
            with torch.no_grad():
                module(**example)
        finally:
            module.train(was_training)
            for hook in hooks:
                hook.remove()
        lines = [f"{type(self).__name__}: {type(module).__name__}"]
        header = f"{'Layer (type)':<44}{'Output shape':<22}{'Param #':>10}"
        lines += [header, "=" * len(header)]
        for name, layer, own in rows:
            label = f"{name or '(own parameters)'} ({type(layer).__name__})"
            lines.append(f"{label:<44}{shapes.get(name, '-'):<22}{own:>10,}")
        total = sum(p.numel() for p in module.parameters())
        trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
        lines += [
            "=" * len(header),
            f"Total params: {total:,}",
            f"Trainable params: {trainable:,}",
        ]
        return "\n".join(lines)

    # ------------------------------------------------------------ sklearn
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        if "words" in self._param_groups:  # raw texts or token lists of str
            tags.input_tags.string = True
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
    values = [class_weight.get(c, 1.0) for c in classes.tolist()]
    for c, v in zip(classes.tolist(), values, strict=True):
        if not (isinstance(v, numbers.Real) and not isinstance(v, bool)):
            raise TypeError(
                f"class_weight[{c!r}] must be a number, got {type(v).__name__}."
            )
        if not np.isfinite(v) or v < 0:
            raise ValueError(f"class_weight[{c!r}] must be finite and >= 0, got {v!r}.")
    weight = np.array(values, np.float32)
    if not weight.any():
        raise ValueError("class_weight gives every class a weight of 0.")
    return weight
