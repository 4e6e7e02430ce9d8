"""RNNClassifier: one label per sequence."""

from __future__ import annotations

from sklearn.base import ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from seqlearn.base import (
    BaseSequenceEstimator,
    _atomic_fit,
    check_class_weight,
    softmax,
)
from seqlearn.nn import SequenceModel


class RNNClassifier(ClassifierMixin, BaseSequenceEstimator):
    """Recurrent neural network classifier: one label per sequence.

    The network reads each sequence with a recurrent encoder, pools its states
    over the real steps and maps the result to class scores.  Sequences may
    have different lengths; padding never reaches a prediction.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn", "peephole"}, default="lstm"
        Recurrent cell: LSTM, GRU, vanilla tanh RNN or LSTM with peephole
        connections.
    hidden_size : int, default=64
        Features of the hidden state (per direction).
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Also read each sequence backwards and concatenate both directions.
    dropout : float, default=0.0
        Dropout on non-recurrent edges: between stacked layers and on the
        encoder output.
    embedding_dim : int, default=None
        None: X is numeric.  An int: X holds integer token ids (0 is padding)
        embedded into vectors of this size.
    num_embeddings : int, default=None
        Size of the embedding table; None infers ``max id + 1`` at fit.  An id
        beyond it at predict is an error.
    pooling : {"last", "mean", "max", "attention"}, default="last"
        How the per-step states become one vector per sequence: the state at
        the last real step (first step for the backward direction), the mean or
        maximum over real steps, or learned additive attention.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss; "balanced" uses
        ``n_samples / (n_classes * count(class))``.
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
        Weight decay (L2 penalty) passed to the optimizer.
    gradient_clip : float or None, default=1.0
        Maximum norm of the gradient; None disables clipping.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the sequences (stratified) and stop
        when the validation loss has not improved for ``patience`` epochs,
        restoring the best weights.
    validation_fraction : float, default=0.1
        Fraction held out when ``early_stopping=True``.
    patience : int, default=10
        Epochs without improvement before stopping.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train; "auto" picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and dropout: the same value gives
        the same predictions on CPU.
    verbose : int, default=0
        0 prints nothing; 1 prints a table row per epoch.
    callbacks : list of (name, skorch callback) or None, default=None
        Extra skorch callbacks (e.g. ``LRScheduler``).
    n_threads : int or None, default=None
        Torch threads used during fit and predict; None keeps torch's setting.
    precision : {"32", "bf16"}, default="32"
        "bf16" runs forward passes under ``torch.autocast`` in bfloat16 (mixed
        precision: weights, gradients and the loss stay float32).  It pays off
        on GPUs with bfloat16 units; on CPU it mostly saves memory traffic.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Features per time step; for 2-D input, its number of columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when fitted on a DataFrame with string column names.
    input_kind_ : {"tabular", "sequence", "tokens"}
        What X was at fit: a 2-D array, 3-D/ragged sequences or token ids.
    num_embeddings_ : int
        Embedding table size (token input only).
    net_ : skorch.NeuralNet
        The trained network.
    history_ : skorch.History
        Per epoch: ``train_loss``, ``dur`` and, with early stopping,
        ``valid_loss`` and ``valid_acc``.

    Examples
    --------
    >>> import numpy as np
    >>> from seqlearn import RNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(n, 2)) for n in rng.integers(3, 9, size=40)]
    >>> y = ["up" if x[:, 0].sum() > 0 else "down" for x in X]
    >>> clf = RNNClassifier(hidden_size=8, max_epochs=2, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **BaseSequenceEstimator._parameter_constraints,
        "pooling": [StrOptions({"last", "mean", "max", "attention"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _module_cls = SequenceModel
    _loss_kind = "cross_entropy"

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
        pooling="last",
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
        precision="32",
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.pooling = pooling
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
        self.precision = precision

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to sequences X and their labels y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences: a 3-D array, a 2-D array of univariate sequences, a list
            of ``(T_i, n_features)`` arrays, or token ids (``embedding_dim``).
        y : array-like of shape (n_samples,)
            Labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss.

        Returns
        -------
        self : RNNClassifier
            The fitted classifier.
        """
        with _atomic_fit(self):
            data = self._validate_X(X, reset=True)
            y = self._check_y(data, y)
            y = column_or_1d(y, warn=True)
            check_classification_targets(y)
            encoder = LabelEncoder().fit(y)
            self.classes_ = encoder.classes_
            if len(self.classes_) < 2:
                raise ValueError(
                    "RNNClassifier needs samples of at least 2 classes in the "
                    f"data, but the data contains only one class: {self.classes_[0]!r}."
                )
            y_enc = encoder.transform(y)
            weight = check_class_weight(self.class_weight, self.classes_, y_enc)
            return self._fit_net(
                data,
                y_enc,
                sample_weight,
                len(self.classes_),
                class_weight=weight,
                stratify=True,
            )

    def predict_proba(self, X):
        """Return class probabilities of each sequence.

        Parameters
        ----------
        X : array-like or list
            Sequences, as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        data = self._validate_X(X, reset=False)
        return softmax(self._forward(data))

    def predict(self, X):
        """Return the most probable label of each sequence.

        Parameters
        ----------
        X : array-like or list
            Sequences, as in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]
