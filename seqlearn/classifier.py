"""RNNClassifier: one label per sequence."""

from __future__ import annotations

from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from seqlearn import _docstrings as doc
from seqlearn.base import (
    ENCODER_GROUPS,
    BaseSequenceEstimator,
    check_class_weight,
    first_missing_label,
    fit_method,
    softmax,
)


@doc.fill_doc(
    fitted_input=doc.FITTED_INPUT_DOC,
    word_features=doc.WORD_FEATURES_DOC,
    fitted_net=doc.fitted_net_doc("``valid_loss`` and ``valid_acc``."),
)
class RNNClassifier(ClassifierMixin, BaseSequenceEstimator):
    """Recurrent neural network classifier: one label per sequence.

    The network reads each sequence with a recurrent encoder, pools its states
    over the real steps and maps the result to class scores.  Sequences may
    have different lengths; padding never reaches a prediction.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    {fitted_input}
    input_kind_ : {"tabular", "sequence", "tokens", "words"}
        What X was at fit: a 2-D array, 3-D/ragged sequences, token ids or
        text ("words": raw texts or token lists of str).
    num_embeddings_ : int
        Embedding table size (token ids and text only).
    {word_features}
    {fitted_net}

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

    _param_groups = (
        *ENCODER_GROUPS,
        "words",
        "pooling",
        "class_weight",
        "training",
        "budget",
    )
    _param_docs = {
        "embedding_dim": "None: X is numeric; an int: X holds token ids (0 is "
        "padding) embedded into vectors of this size.  With raw texts or token "
        "strings: the word embedding size (None means 64).",
    }

    @fit_method
    @doc.fill_doc(fit_returns=doc.fit_returns_doc("RNNClassifier", "classifier"))
    def fit(self, X, y, sample_weight=None):
        """Fit the network to sequences X and their labels y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences: a 3-D array, a 2-D array of univariate sequences, a list
            of ``(T_i, n_features)`` arrays, token ids (``embedding_dim``), or
            text: raw strings or token lists of str.
        y : array-like of shape (n_samples,)
            Labels of any type.
        {fit_returns}
        """
        data = self._validate_X(X, reset=True)
        y = self._check_y(data, y)
        y = column_or_1d(y, warn=True)
        missing = first_missing_label(y)
        if missing is not None:
            raise ValueError(
                f"y[{missing[0]}] is missing ({missing[1]!r}); every sequence "
                "needs a label: drop or fill it."
            )
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

    @doc.fill_doc(parameters=doc.PREDICT_PARAMETERS_DOC)
    def predict_proba(self, X):
        """Return class probabilities of each sequence.

        {parameters}

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        data = self._validate_X(X, reset=False)
        return softmax(self._forward(data))

    @doc.fill_doc(parameters=doc.PREDICT_PARAMETERS_DOC)
    def predict(self, X):
        """Return the most probable label of each sequence.

        {parameters}

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]
