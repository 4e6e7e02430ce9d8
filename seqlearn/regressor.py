"""SequenceRegressor: a value or a vector per sequence."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_array

from seqlearn.base import BaseSequenceEstimator, _atomic_fit
from seqlearn.nn import SequenceModel


class SequenceRegressor(RegressorMixin, BaseSequenceEstimator):
    """Recurrent neural network regressor: a value or vector per sequence.

    Typical use: the next value(s) of a series from a window of its past
    (see :func:`seqlearn.preprocessing.make_windows`).  Targets are
    standardised inside ``fit`` and predictions mapped back, so the defaults
    train well whatever the scale of y.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn", "peephole"}, default="lstm"
        Recurrent cell.
    hidden_size : int, default=64
        Features of the hidden state (per direction).
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Also read each sequence backwards.
    dropout : float, default=0.0
        Dropout on non-recurrent edges.
    embedding_dim : int, default=None
        None: X is numeric; an int: X holds token ids (0 is padding).
    num_embeddings : int, default=None
        Embedding table size; None infers it at fit.
    pooling : {"last", "mean", "max", "attention"}, default="last"
        How per-step states become one vector per sequence.
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
        Hold out ``validation_fraction`` and stop when the validation loss
        stalls for ``patience`` epochs, restoring the best weights.
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
    precision : {"32", "bf16"}, default="32"
        "bf16" runs forward passes under ``torch.autocast`` in bfloat16 (mixed
        precision: weights, gradients and the loss stay float32).  It pays off
        on GPUs with bfloat16 units; on CPU it mostly saves memory traffic.

    Attributes
    ----------
    n_features_in_ : int
        Features per time step; for 2-D input, its number of columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when fitted on a DataFrame with string column names.
    input_kind_ : {"tabular", "sequence", "tokens"}
        What X was at fit.
    num_embeddings_ : int
        Embedding table size (token input only).
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        Target standardisation learnt at fit.
    net_ : skorch.NeuralNet
        The trained network.
    history_ : skorch.History
        Per epoch: ``train_loss``, ``dur`` and, with early stopping,
        ``valid_loss`` (on standardised targets).

    Examples
    --------
    >>> import numpy as np
    >>> from seqlearn import SequenceRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 6, 1))
    >>> y = X[:, -1, 0]
    >>> reg = SequenceRegressor(hidden_size=8, max_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **BaseSequenceEstimator._parameter_constraints,
        "pooling": [StrOptions({"last", "mean", "max", "attention"})],
    }
    _module_cls = SequenceModel
    _loss_kind = "mse"

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
        """Fit the network to sequences X and targets y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as for :class:`RNNClassifier`.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss.

        Returns
        -------
        self : SequenceRegressor
            The fitted regressor.
        """
        with _atomic_fit(self):
            data = self._validate_X(X, reset=True)
            y = self._check_y(data, y)
            y = check_array(
                y,
                ensure_2d=False,
                dtype=(np.float64, np.float32),
                input_name="y",
                ensure_min_samples=1,
            )
            if y.ndim > 2:
                raise ValueError(f"y must be 1-D or 2-D; got shape {y.shape}.")
            self._y_ndim = y.ndim
            # standardise one float32 copy in place: no float64 temporaries
            y_std = np.array(y.reshape(len(y), -1), dtype=np.float32)
            self.y_mean_ = y_std.mean(axis=0, dtype=np.float64)
            y_std -= self.y_mean_.astype(np.float32)
            scale = np.sqrt(np.square(y_std).mean(axis=0, dtype=np.float64))
            self.y_scale_ = np.where(scale > 0, scale, 1.0)
            y_std /= self.y_scale_.astype(np.float32)
            return self._fit_net(data, y_std, sample_weight, y_std.shape[1])

    def predict(self, X):
        """Predict the target of each sequence.

        Parameters
        ----------
        X : array-like or list
            Sequences, as in ``fit``.

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
