"""Token strings to the integer features the word networks read."""

from __future__ import annotations

import numbers
import re
from itertools import chain

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from seqlearn._compat import Interval
from seqlearn.data import pad_sequences
from seqlearn.preprocessing._vocabulary import (
    VocabularyEncoder,
    _bad_document,
    _check_documents,
)

__all__ = ["CASES", "WordFeatureEncoder", "is_text"]

# Capitalisation classes; 0 is padding.
CASES = ("<pad>", "lower", "Title", "UPPER", "digit", "other")
_TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]")


def is_text(X) -> bool:
    """Whether X is text: a list of token lists of str, or of raw strings.

    A pandas Series of texts (``df["text"]``) counts; a list of DataFrames or
    arrays of numbers does not (iterating a DataFrame gives its column names).
    """
    if hasattr(X, "iloc") and getattr(X, "ndim", 2) == 1:
        X = X.to_numpy()
    if isinstance(X, np.ndarray):
        return X.dtype.kind == "U" or (
            X.dtype == object and X.size > 0 and isinstance(X.flat[0], str)
        )
    if not isinstance(X, list | tuple) or not X:
        return False
    # the first document that says what X holds (missing texts, NaN or
    # None, are skipped: encoding names them)
    first = next(
        (s for s in X if s is not None and not isinstance(s, float) and _filled(s)),
        None,
    )
    if isinstance(first, str):
        return True
    if first is None or hasattr(first, "iloc") or sparse.issparse(first):
        return False
    if isinstance(first, np.ndarray):  # a token array is 1-D
        return first.ndim == 1 and is_text(first)
    if not hasattr(first, "__iter__"):
        return False  # numbers
    return isinstance(next(iter(first)), str)


def _filled(doc) -> bool:
    """Whether ``doc`` is a number, a sparse matrix or a non-empty sequence."""
    # a sparse matrix's len() raises: it is not text (check_sequences says why)
    return not hasattr(doc, "__len__") or sparse.issparse(doc) or len(doc) > 0


def _case_class(word: str) -> int:
    """Index in ``CASES`` of a word's capitalisation."""
    if any(c.isdigit() for c in word):
        return 4
    if word.isupper() and sum(c.isalpha() for c in word) > 1:
        return 3
    if word[:1].isupper():
        return 2
    if word.islower():
        return 1
    return 5


class WordFeatureEncoder(TransformerMixin, BaseEstimator):
    """Encode words as a word id, a capitalisation class and character ids.

    What the word networks (:class:`~seqlearn.nn.WordTaggingModel`) read, and
    what :class:`~seqlearn.SequenceTagger` and :class:`~seqlearn.RNNClassifier`
    use for text: every token becomes ``[word id, case id, char ids...]``.
    Word ids come from a (lowercased) vocabulary in which words seen fewer
    than ``min_frequency`` times are unknown (id 1), so the unknown-word
    embedding is trained on rare words; the capitalisation class and the
    spelling still describe a word never seen in training.

    Parameters
    ----------
    lowercase : bool, default=True
        Lowercase words before looking up their id (the case class and the
        characters keep the case).
    min_frequency : int, default=2
        Words seen fewer times in ``fit`` get the unknown id.
    max_word_length : int, default=20
        Longer words keep their first and last ``max_word_length // 2``
        characters (prefix and suffix).

    Attributes
    ----------
    word_vocabulary_ : VocabularyEncoder
        The word vocabulary.
    char_vocabulary_ : VocabularyEncoder
        The character vocabulary (case kept).

    Examples
    --------
    >>> from seqlearn.preprocessing import WordFeatureEncoder
    >>> enc = WordFeatureEncoder(min_frequency=1).fit([["Jan", "woont", "hier"]])
    >>> enc.transform(["Jan woont daar"])[0][:, :2].tolist()  # raw text is split
    [[2, 2], [3, 1], [1, 1]]
    """

    _parameter_constraints: dict = {
        "lowercase": ["boolean"],
        "min_frequency": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_word_length": [Interval(numbers.Integral, 2, None, closed="left")],
    }

    def __init__(self, *, lowercase=True, min_frequency=2, max_word_length=20):
        self.lowercase = lowercase
        self.min_frequency = min_frequency
        self.max_word_length = max_word_length

    def _documents(self, X) -> list[list[str]]:
        """Return X as token lists; a raw string is split into words."""
        docs = []
        for i, doc in enumerate(_check_documents(X)):
            if not isinstance(doc, str | list | tuple | np.ndarray):
                raise _bad_document(doc, i)
            tokens = _TOKEN_PATTERN.findall(doc) if isinstance(doc, str) else list(doc)
            if not tokens:
                raise ValueError(
                    f"X[{i}] is an empty sequence (no tokens); every sequence needs "
                    "at least one step."
                )
            docs.append(tokens)
        return docs

    def _clip(self, word: str) -> str:
        half = self.max_word_length // 2
        return word if len(word) <= self.max_word_length else word[:half] + word[-half:]

    def fit(self, X, y=None):
        """Learn the word and character vocabularies.

        Parameters
        ----------
        X : list of str or list of list of str
            Raw texts (split into words and punctuation) or token lists.
        y : None
            Ignored.

        Returns
        -------
        self : WordFeatureEncoder
            The fitted encoder.
        """
        self._validate_params()
        docs = self._documents(X)
        self.word_vocabulary_ = VocabularyEncoder(
            analyzer=None, lowercase=self.lowercase, min_frequency=self.min_frequency
        ).fit(docs)
        types = {self._clip(w) for w in chain.from_iterable(docs)}
        self.char_vocabulary_ = VocabularyEncoder(analyzer="char", lowercase=False).fit(
            sorted(types)
        )
        return self

    def transform(self, X):
        """Return each sequence's ``(T_i, 2 + W)`` word, case and character ids.

        Parameters
        ----------
        X : list of str or list of list of str
            Raw texts or token lists.

        Returns
        -------
        features : list of ndarray of shape (T_i, 2 + W), int64
            Column 0 the word id, 1 the case class (:data:`CASES`), then the
            character ids padded with 0 to ``W``, the longest (clipped) word
            in X.
        """
        check_is_fitted(self)
        docs = self._documents(X)
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        # also rejects non-string tokens, naming them
        word_ids = np.concatenate(self.word_vocabulary_.transform(docs))
        # characters and case are computed once per distinct word
        index: dict[str, int] = {}
        inverse = np.fromiter(
            (index.setdefault(w, len(index)) for w in chain.from_iterable(docs)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        types = [self._clip(w) for w in index]
        chars, _ = pad_sequences(self.char_vocabulary_.transform(types), dtype=np.int64)
        if chars.shape[1] == 0:  # only empty strings
            chars = np.zeros((len(types), 1), dtype=np.int64)
        cases = np.fromiter(map(_case_class, index), dtype=np.int64, count=len(index))
        steps = np.column_stack([word_ids, cases[inverse], chars[inverse]])
        return np.split(steps, np.cumsum(lengths)[:-1])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags
