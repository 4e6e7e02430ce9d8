"""SequenceTagger: one label per step."""

from __future__ import annotations

import functools
import numbers
from collections.abc import Iterator

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, unique_labels

from seqlearn import _docstrings as doc
from seqlearn._compat import Interval, StrOptions
from seqlearn.base import (
    ENCODER_GROUPS,
    BaseSequenceEstimator,
    _torch_context,
    check_class_weight,
    first_missing_label,
    fit_method,
    param,
    softmax,
)
from seqlearn.data import RaggedSteps, pad_sequences
from seqlearn.metrics import token_accuracy
from seqlearn.nn import CRFLoss, allowed_transitions
from seqlearn.nn.constants import PAD_TARGET
from seqlearn.nn.crf import repair_scheme

_POSITIVE = [Interval(numbers.Integral, 1, None, closed="left")]


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


def _as_sequences(X):
    """Return X, as a list if an iterator, or as an array if no sequence.

    An iterator (a generator) is read once here: ``fit`` reads X more than once.
    """
    if isinstance(X, Iterator):
        return list(X)
    if not isinstance(X, list | tuple | np.ndarray) and not hasattr(X, "iloc"):
        if hasattr(X, "__array__") and not hasattr(X, "__iter__"):
            return np.asarray(X)
    return X


def _raw_lengths(X):
    """Lengths of the sequences as given (before padding ids are dropped)."""
    if hasattr(X, "shape") and len(X.shape) >= 2:
        return np.full(X.shape[0], X.shape[1], dtype=np.int64)
    return np.array([len(s) for s in X], dtype=np.int64)


@doc.fill_doc(
    fitted_input=doc.FITTED_INPUT_DOC,
    word_features=doc.WORD_FEATURES_DOC,
    fitted_net=doc.fitted_net_doc("``valid_loss`` and ``valid_acc`` (token accuracy)."),
)
class SequenceTagger(BaseSequenceEstimator):
    """Recurrent neural network tagger: one label per step.

    Named entities, part of speech, per-step states of a time series: the
    network reads each sequence (bidirectionally if asked) and classifies every
    step.  Ragged input gives ragged output.

    X may be numeric sequences, token ids, or token strings as
    sklearn-crfsuite takes them (a list of token lists of ``str``).  With token
    strings the word and character vocabularies are learnt in ``fit`` and every
    word is represented by its (lowercased) word embedding, its
    capitalisation class and a character encoding of its spelling
    (:class:`~seqlearn.nn.WordTaggingModel`), so unseen words still have
    features.  ``crf=True`` replaces the per-step softmax by a linear-chain
    CRF (:class:`~seqlearn.nn.CRF`): the tags of a sentence are scored jointly,
    trained by negative log-likelihood and decoded by Viterbi (the LSTM-CRF of
    Lample et al., 2016).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {fitted_input}
    classes_ : ndarray of shape (n_classes,)
        Step labels.
    input_kind_ : {"tabular", "sequence", "tokens", "words"}
        What X was at fit ("words": token strings).
    num_embeddings_ : int
        Embedding table size (token ids and token strings only).
    {word_features}
    {fitted_net}

    Examples
    --------
    Token ids, one label per step:

    >>> import numpy as np
    >>> from seqlearn import SequenceTagger
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.integers(1, 5, size=n) for n in rng.integers(3, 9, size=30)]
    >>> y = [np.where(x > 2, "hi", "lo") for x in X]
    >>> tagger = SequenceTagger(embedding_dim=4, hidden_size=8, max_epochs=2,
    ...                         random_state=0).fit(X, y)
    >>> [len(p) for p in tagger.predict(X[:2])] == [len(x) for x in X[:2]]
    True

    Token strings and a CRF, as with sklearn-crfsuite:

    >>> X = [["Jan", "woont", "in", "Leiden"], ["Piet", "ook"]] * 10
    >>> y = [["B-PER", "O", "O", "B-LOC"], ["B-PER", "O"]] * 10
    >>> tagger = SequenceTagger(crf=True, constraints="iob2", bidirectional=True,
    ...                         max_epochs=5, random_state=0).fit(X, y)
    >>> tagger.predict([["Jan", "woont", "in", "Leiden"]])[0].tolist()
    ['B-PER', 'O', 'O', 'B-LOC']
    """

    _param_groups = (*ENCODER_GROUPS, "words", "own", "class_weight", "training")
    _param_docs = {
        "embedding_dim": "None: X is numeric; an int: X holds token ids (0 is "
        "padding) embedded into vectors of this size.  With token strings: the "
        "word embedding size (None means 64).",
        "class_weight": 'Weights of the labels in the loss ("balanced" from step '
        "counts); not supported with ``crf=True``.",
    }
    _per_step = True
    # one output per step: no front-end by default, and never a stride
    conv_channels = None
    conv_stride = 1

    crf: bool = param(
        False,
        "bool",
        ["boolean"],
        "Use a linear-chain CRF output layer: ``predict`` returns the Viterbi path "
        "and ``predict_proba`` the per-step marginal probabilities.",
    )
    constraints: str | None = param(
        None,
        '{"iob1", "iob2", "iobes"} or None',
        [StrOptions({"iob1", "iob2", "iobes"}), None],
        "With ``crf=True``, forbid the transitions the tagging scheme does not "
        "allow (such as ``O`` -> ``I-PER`` in IOB2) in training and decoding. "
        "Training sequences must follow the scheme.",
    )

    @fit_method
    @doc.fill_doc(
        fit_returns=doc.fit_returns_doc(
            "SequenceTagger",
            "tagger",
            "Weight of each sequence (applied to each of its steps).",
        )
    )
    def fit(self, X, y=None, sample_weight=None):
        """Fit the network to sequences X and their per-step labels y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as for :class:`RNNClassifier`, or token strings: a list
            of token lists of ``str`` (one list per sentence).
        y : list of array-like of shape (T_i,), or array of shape \
(n_samples, n_timesteps)
            One label per step of each sequence.
        {fit_returns}
        """
        if self.crf and self.class_weight is not None:
            raise ValueError(
                "class_weight is not supported with crf=True: the CRF is trained "
                "on whole tag paths. Use sample_weight to weight sequences."
            )
        if self.constraints is not None and not self.crf:
            raise ValueError(
                f"constraints={self.constraints!r} needs crf=True: only the CRF "
                "output layer scores transitions."
            )
        X = _as_sequences(X)
        data = self._validate_X(X, reset=True)
        y = self._check_y(data, y)
        seqs = _label_sequences(y)
        raw = data.lengths if self.input_kind_ == "words" else _raw_lengths(X)
        for i in np.flatnonzero([len(s) for s in seqs] != raw)[:1]:
            raise ValueError(
                f"y[{i}] has {len(seqs[i])} labels but X[{i}] has {raw[i]} "
                "steps; the tagger needs exactly one label per step."
            )
        flat = np.concatenate(seqs)
        missing = first_missing_label(flat)
        if missing is not None:
            pos, value = missing
            ends = np.cumsum([len(s) for s in seqs])
            i = int(np.searchsorted(ends, pos, side="right"))
            j = pos - (int(ends[i - 1]) if i else 0)
            raise ValueError(
                f"y[{i}][{j}] is missing ({value!r}); every step needs a label: "
                "drop or fill it."
            )
        check_classification_targets(flat)  # tags are discrete, finite labels
        encoder = LabelEncoder().fit(flat)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                "SequenceTagger needs steps of at least 2 classes in the data, but "
                f"y contains only one class: {self.classes_.tolist()[0]!r}."
            )
        y_enc = encoder.transform(flat).astype(np.int64)
        if isinstance(data, RaggedSteps):  # one label per step of data.steps
            if data.order is not None:
                # token ids 0 were dropped from X: drop their labels too
                first = np.repeat(np.cumsum(raw) - raw, data.lengths)
                y_enc = y_enc[first + data.order]
        else:
            y_enc, _ = pad_sequences(
                np.split(y_enc, np.cumsum(raw)[:-1]), dtype=np.int64
            )
            y_enc[np.arange(y_enc.shape[1]) >= raw[:, None]] = PAD_TARGET
            if data.order is not None:
                # token ids 0 were dropped from X: drop their labels too
                y_enc = np.take_along_axis(y_enc, data.order, axis=1)
                y_enc[np.arange(y_enc.shape[1]) >= data.lengths[:, None]] = PAD_TARGET
        if self.constraints is not None:
            y_enc = repair_scheme(
                y_enc, data.lengths, self.classes_.tolist(), self.constraints
            )
        weight = check_class_weight(
            self.class_weight, self.classes_, y_enc[y_enc != PAD_TARGET]
        )
        return self._fit_net(
            data, y_enc, sample_weight, len(self.classes_), class_weight=weight
        )

    # ------------------------------------------------------------ CRF
    def _criterion_params(self, class_weight):
        if not self.crf:
            return super()._criterion_params(class_weight)
        allowed = None
        if self.constraints is not None:
            allowed = allowed_transitions(self.classes_.tolist(), self.constraints)
        return {
            "criterion": CRFLoss,
            "criterion__num_tags": len(self.classes_),
            "criterion__allowed": allowed,
        }

    def _fitted_crf(self) -> bool:
        """Whether the fitted network ends in a CRF (``crf`` may have changed since)."""
        return isinstance(self.net_.criterion_, CRFLoss)

    def _crf_infer(self, method, scores, lengths):
        """Run the trained CRF's ``decode`` or ``marginals`` on emissions."""
        crf = self.net_.criterion_.crf
        # float64 emissions promote the whole recursion: marginals of long
        # sentences then sum to 1 to ~1e-12 rather than ~1e-5
        device = crf.transitions.device
        with _torch_context(None, device, self.n_threads):
            out = getattr(crf, method)(
                torch.as_tensor(scores, dtype=torch.float64, device=device),
                # a copy: 3-D input has read-only broadcast lengths, which
                # torch.as_tensor warns about
                torch.tensor(np.asarray(lengths), device=device),
            )
        return out.cpu().numpy()

    # ------------------------------------------------------------ predict
    def _per_batch(self, X, crf_method, fallback):
        """Run ``fallback(scores)`` (or the CRF's method) on each batch's scores.

        Returns a list of per-sequence arrays, or one array when X is an
        array whose sequences all have its full width.
        """
        X = _as_sequences(X)
        data = self._validate_X(X, reset=False)
        # an array whose sequences all have its full width gives an array back
        # (token ids: padding id 0 makes rows ragged, and they come back as a list)
        rectangular = (
            isinstance(X, np.ndarray)
            and X.dtype != object
            and X.ndim >= 2
            and bool(np.all(data.lengths == X.shape[1]))
        )
        if self._fitted_crf():
            transform = functools.partial(self._crf_infer, crf_method)
        else:
            transform = lambda scores, lengths: fallback(scores)  # noqa: E731
        out = self._forward(data, transform)
        return np.stack(out) if rectangular else out

    @doc.fill_doc(parameters=doc.PREDICT_PARAMETERS_DOC)
    def predict_proba(self, X):
        """Return per-step label probabilities.

        With a CRF (``crf=True`` at fit) these are the CRF's marginals ``p(y_t | x)``
        (forward-backward), else the per-step softmax.

        {parameters}

        Returns
        -------
        proba : list of ndarray of shape (T_i, n_classes), or ndarray of shape \
(n_samples, n_timesteps, n_classes) for an array whose sequences all have its width
            Probabilities in the order of ``classes_``.
        """
        return self._per_batch(X, "marginals", softmax)

    @doc.fill_doc(parameters=doc.PREDICT_PARAMETERS_DOC)
    def predict(self, X):
        """Return the most probable label of every step.

        With a CRF (``crf=True`` at fit), the most probable tag path (Viterbi).

        {parameters}

        Returns
        -------
        y : list of ndarray of shape (T_i,), or ndarray of shape \
(n_samples, n_timesteps) for an array whose sequences all have its width
            Predicted labels.
        """
        best = self._per_batch(X, "decode", lambda scores: scores.argmax(axis=-1))
        if isinstance(best, np.ndarray):
            return self.classes_[best]
        return [self.classes_[b] for b in best]

    def score(self, X, y, sample_weight=None):
        """Return the token accuracy over all real steps.

        Parameters
        ----------
        X : array-like or list
            Sequences.
        y : list of array-like or 2-D array
            True labels per step.
        sample_weight : None
            Not supported (a weight per sequence has no agreed meaning for a
            per-step accuracy); anything else is an error.

        Returns
        -------
        score : float
            Fraction of steps labelled correctly.
        """
        if sample_weight is not None:
            raise ValueError(
                f"{type(self).__name__}.score does not support sample_weight; "
                "weigh the per-step results of predict yourself."
            )
        labels = [s for s in _label_sequences(y) if len(s)]
        if labels:
            # labels of another type never match: say so rather than score 0
            # (before the forward pass)
            unique_labels(np.concatenate(labels), self.classes_)
        return token_accuracy(y, self.predict(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # token lists of str, or raw texts
        tags.target_tags.required = True
        return tags
