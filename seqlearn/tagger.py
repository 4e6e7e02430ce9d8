"""SequenceTagger: one label per step."""

from __future__ import annotations

import numpy as np
from sklearn.base import _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import StrOptions

from seqlearn.base import (
    PAD_TARGET,
    BaseSequenceEstimator,
    _atomic_fit,
    check_class_weight,
    softmax,
)
from seqlearn.data import pad_sequences, unpad
from seqlearn.metrics import token_accuracy
from seqlearn.nn import TaggingModel


def _label_sequences(y):
    """Return y as a list of 1-D label arrays (ragged)."""
    if isinstance(y, str) or not hasattr(y, "__len__"):
        raise TypeError(
            "y must be a list of label sequences (one label per step) or a 2-D "
            f"array; got {type(y).__name__}."
        )
    if hasattr(y, "to_numpy"):
        y = y.to_numpy()
    if isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype != object:
        seqs = list(y)
    else:
        seqs = [np.asarray(s) for s in y]
        bad = [i for i, s in enumerate(seqs) if s.ndim != 1]
        if bad:
            raise ValueError(
                "SequenceTagger needs one label per step: y must be a list of "
                f"label sequences or a 2-D array, but y[{bad[0]}] has shape "
                f"{seqs[bad[0]].shape}. For one label per sequence use "
                "RNNClassifier."
            )
    return seqs


def _raw_lengths(X):
    """Lengths of the sequences as given (before padding ids are dropped)."""
    if hasattr(X, "shape") and len(X.shape) >= 2:
        return np.full(X.shape[0], X.shape[1], dtype=np.int64)
    return np.array([len(s) for s in X], dtype=np.int64)


class SequenceTagger(BaseSequenceEstimator):
    """Recurrent neural network tagger: one label per step.

    Named entities, part of speech, per-step states of a time series: the
    network reads each sequence (bidirectionally if asked) and classifies every
    step.  Ragged input gives ragged output.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn", "peephole"}, default="lstm"
        Recurrent cell.
    hidden_size : int, default=64
        Features of the hidden state (per direction).
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Also read each sequence backwards, so every step sees its right
        context; usually what tagging wants.
    dropout : float, default=0.0
        Dropout on non-recurrent edges.
    embedding_dim : int, default=None
        None: X is numeric; an int: X holds token ids (0 is padding).
    num_embeddings : int, default=None
        Embedding table size; None infers it at fit.
    class_weight : dict, "balanced" or None, default=None
        Weights of the labels in the loss ("balanced" from step counts).
    max_epochs : int, default=100
        Number of passes over the training data.
    batch_size : int, default=32
        Sequences per mini-batch.
    lr : float, default=0.005
        Learning rate.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or torch optimizer class, \
default="adam"
        Optimizer.
    weight_decay : float, default=0.0
        Weight decay passed to the optimizer.
    gradient_clip : float or None, default=1.0
        Maximum gradient norm; None disables clipping.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the sequences and stop when the
        validation loss stalls for ``patience`` epochs.
    validation_fraction : float, default=0.1
        Fraction held out when ``early_stopping=True``.
    patience : int, default=10
        Epochs without improvement before stopping.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and dropout.
    verbose : int, default=0
        0 prints nothing; 1 prints a table row per epoch.
    callbacks : list of (name, skorch callback) or None, default=None
        Extra skorch callbacks.
    n_threads : int or None, default=None
        Torch threads used during fit and predict; None keeps torch's setting.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Step labels.
    n_features_in_ : int
        Features per time step; for 2-D input, its number of columns.
    input_kind_ : {"tabular", "sequence", "tokens"}
        What X was at fit.
    num_embeddings_ : int
        Embedding table size (token input only).
    net_ : skorch.NeuralNet
        The trained network.
    history_ : skorch.History
        Per epoch: ``train_loss``, ``dur`` and, with early stopping,
        ``valid_loss`` and ``valid_acc`` (token accuracy).

    Examples
    --------
    >>> import numpy as np
    >>> from seqlearn import SequenceTagger
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.integers(1, 5, size=n) for n in rng.integers(3, 9, size=30)]
    >>> y = [np.where(x > 2, "hi", "lo") for x in X]
    >>> tagger = SequenceTagger(embedding_dim=4, hidden_size=8, max_epochs=2,
    ...                         random_state=0).fit(X, y)
    >>> [len(p) for p in tagger.predict(X[:2])] == [len(x) for x in X[:2]]
    True
    """

    _parameter_constraints = {
        **BaseSequenceEstimator._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _module_cls = TaggingModel
    _loss_kind = "cross_entropy"
    _per_step = True

    def __init__(
        self,
        *,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        embedding_dim=None,
        num_embeddings=None,
        class_weight=None,
        max_epochs=100,
        batch_size=32,
        lr=0.005,
        optimizer="adam",
        weight_decay=0.0,
        gradient_clip=1.0,
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        device="cpu",
        random_state=None,
        verbose=0,
        callbacks=None,
        n_threads=None,
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.class_weight = class_weight
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.gradient_clip = gradient_clip
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.n_threads = n_threads

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to sequences X and their per-step labels y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as for :class:`RNNClassifier`.
        y : list of array-like of shape (T_i,), or array of shape \
(n_samples, n_timesteps)
            One label per step of each sequence.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence (applied to each of its steps).

        Returns
        -------
        self : SequenceTagger
            The fitted tagger.
        """
        with _atomic_fit(self):
            data = self._validate_X(X, reset=True)
            y = self._check_y(data, y)
            seqs = _label_sequences(y)
            raw = _raw_lengths(X)
            for i in np.flatnonzero([len(s) for s in seqs] != raw)[:1]:
                raise ValueError(
                    f"y[{i}] has {len(seqs[i])} labels but X[{i}] has {raw[i]} "
                    "steps; the tagger needs exactly one label per step."
                )
            flat = np.concatenate(seqs)
            encoder = LabelEncoder().fit(flat)
            self.classes_ = encoder.classes_
            y_enc, _ = pad_sequences(
                np.split(encoder.transform(flat), np.cumsum(raw)[:-1]), dtype=np.int64
            )
            y_enc[np.arange(y_enc.shape[1]) >= raw[:, None]] = PAD_TARGET
            if data.order is not None:
                # token ids 0 were dropped from X: drop their labels too
                y_enc = np.take_along_axis(y_enc, data.order, axis=1)
                y_enc[np.arange(y_enc.shape[1]) >= data.lengths[:, None]] = PAD_TARGET
            weight = check_class_weight(
                self.class_weight, self.classes_, y_enc[y_enc != PAD_TARGET]
            )
            return self._fit_net(
                data, y_enc, sample_weight, len(self.classes_), class_weight=weight
            )

    def _proba(self, X):
        """Return padded per-step probabilities, lengths, and whether X is an array."""
        data = self._validate_X(X, reset=False)
        rectangular = hasattr(X, "ndim") and data.order is None
        return softmax(self._forward(data)), data.lengths, rectangular

    def predict_proba(self, X):
        """Return per-step label probabilities.

        Parameters
        ----------
        X : array-like or list
            Sequences, as in ``fit``.

        Returns
        -------
        proba : list of ndarray of shape (T_i, n_classes), or ndarray of shape \
(n_samples, n_timesteps, n_classes) for rectangular array input
            Probabilities in the order of ``classes_``.
        """
        proba, lengths, rectangular = self._proba(X)
        return proba if rectangular else unpad(proba, lengths)

    def predict(self, X):
        """Return the most probable label of every step.

        Parameters
        ----------
        X : array-like or list
            Sequences, as in ``fit``.

        Returns
        -------
        y : list of ndarray of shape (T_i,), or ndarray of shape \
(n_samples, n_timesteps) for rectangular array input
            Predicted labels.
        """
        proba, lengths, rectangular = self._proba(X)
        labels = self.classes_[proba.argmax(axis=-1)]
        return labels if rectangular else unpad(labels, lengths)

    def score(self, X, y, sample_weight=None):
        """Return the token accuracy over all real steps.

        Parameters
        ----------
        X : array-like or list
            Sequences.
        y : list of array-like or 2-D array
            True labels per step.
        sample_weight : None
            Not supported; present for API compatibility.

        Returns
        -------
        score : float
            Fraction of steps labelled correctly.
        """
        return token_accuracy(y, self.predict(X))
