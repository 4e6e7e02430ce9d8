"""Text to integer token ids: :class:`VocabularyEncoder`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import chain, repeat
from numbers import Integral

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from seqlearn._compat import Interval, InvalidParameterError, StrOptions

__all__ = ["VocabularyEncoder"]


def _compile_pattern(pattern: str) -> re.Pattern:
    """Compile ``token_pattern``, naming the parameter if it is no regex."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InvalidParameterError(
            "The 'token_pattern' parameter of VocabularyEncoder must be a valid "
            f"regular expression; got {pattern!r} ({exc})."
        ) from None


def _is_token_list(doc) -> bool:
    """Whether a document is already a sequence of tokens (not raw text)."""
    return isinstance(doc, list | tuple | np.ndarray)


def _bad_document(doc, i: int, name: str = "X") -> TypeError:
    """Return the error for ``name[i]``, neither a string nor a token list."""
    missing = doc is None or (isinstance(doc, float) and doc != doc)
    what = f"missing ({type(doc).__name__})" if missing else type(doc).__name__
    return TypeError(
        f"{name}[{i}] is {what}; each document must be a string or a list of "
        "string tokens" + (" (fill or drop missing texts first)." if missing else ".")
    )


def _check_documents(X, name: str = "X") -> list:
    """Return the documents of X as a list, rejecting a bare string or sparse X."""
    if sparse.issparse(X):
        raise TypeError(
            f"A sparse matrix was passed as {name}, but sparse input is not "
            "supported: pass an iterable of documents (strings or token lists)."
        )
    if isinstance(X, str | bytes):
        raise TypeError(
            f"{name} must be an iterable of documents (strings or token lists), "
            "got a single string; wrap it in a list: [text]."
        )
    if X is None or not isinstance(X, Iterable):
        raise TypeError(
            f"{name} must be an iterable of documents (strings or token lists), "
            f"got {type(X).__name__}."
        )
    docs = list(X)
    if not docs:
        raise ValueError(f"{name} has 0 documents; at least one is required.")
    return docs


class VocabularyEncoder(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    r"""Encode text or token sequences as sequences of integer token ids.

    The vocabulary is learned in ``fit``; ``transform`` returns one int64 id
    array per document (ragged), ready for a recurrent estimator with an
    embedding layer.  Ids 0 and 1 are reserved for padding and unknown tokens,
    so tokens never seen in training map to 1 instead of raising an error.

    Parameters
    ----------
    analyzer : {"word", "char"} or None, default="word"
        How a document given as a string is split into tokens: ``"word"`` uses
        ``tokenizer`` or ``token_pattern``, ``"char"`` makes every character
        (spaces included) a token.  A document that is a list, tuple or 1-D
        array is always taken as its tokens, whatever ``analyzer`` is; with
        ``analyzer=None`` every document must be such a token sequence.
    token_pattern : str, default=r"\w+|[^\w\s]"
        Regular expression whose matches are the word tokens.  Unlike
        scikit-learn's ``CountVectorizer``, one-character words ("a", "I") and
        every punctuation mark are tokens.  Ignored if ``tokenizer`` is given.
    tokenizer : callable, default=None
        Function mapping a (lowercased) string to a list of tokens; replaces
        ``token_pattern`` for ``analyzer="word"``.
    lowercase : bool, default=True
        Lowercase every token, pre-tokenized ones included.
    min_frequency : int, default=1
        Keep only tokens seen at least this many times in the training data.
    max_tokens : int, default=None
        Keep at most this many learned tokens (the reserved tokens come on
        top), the most frequent first.  Ties are broken by first occurrence in
        the training data, so the vocabulary is deterministic.
    bos_token, eos_token : str, default=None
        Begin- and end-of-sequence markers added to every transformed
        sequence when set, e.g. ``"<bos>"`` and ``"<eos>"``.  They get the next
        reserved ids after padding and unknown: ``bos_token`` 2, ``eos_token``
        3 (or 2 without a ``bos_token``).
    max_length : int, default=None
        Longest transformed sequence, markers included; longer ones are cut.
    truncation : {"post", "pre"}, default="post"
        Cut the tokens at the end (``"post"``) or at the beginning (``"pre"``)
        of a sequence longer than ``max_length``.  The markers are kept.
    pad_token, unk_token : str, default="<pad>" and "<unk>"
        Names of the reserved ids 0 and 1 in ``tokens_``.  A literal
        ``unk_token`` in the data (as in the Penn Treebank) is read as the
        unknown id.  A document that holds ``pad_token``, ``bos_token`` or
        ``eos_token`` is rejected by ``fit`` and ``transform``: read as its
        reserved id, a real ``"<pad>"`` would vanish as padding.  Rename it in
        the data, or choose reserved names the data does not use.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Token to id, reserved tokens included.
    tokens_ : list of str
        Id to token: ``tokens_[i]`` is the token with id ``i``;
        ``len(tokens_)`` is the number of embedding rows a model needs.
    token_counts_ : collections.Counter
        How often each (lowercased) token occurred in the training data.

    See Also
    --------
    OneHotSequenceEncoder : One-hot vectors for each step, for small alphabets.

    Notes
    -----
    A document with no tokens (an empty string, or only spaces) becomes an
    empty id array, so that ``transform`` keeps one output per input; the
    estimators reject empty sequences with a message naming the sample.  Set
    ``eos_token`` to make every sequence at least one id long.

    There is no ``get_feature_names_out``: the output is a ragged list of id
    sequences, not a table with named columns.  Pad it with
    :func:`seqlearn.data.pad_sequences` when a 2-D array is needed.

    Examples
    --------
    >>> from seqlearn.preprocessing import VocabularyEncoder
    >>> enc = VocabularyEncoder(eos_token="<eos>").fit(["a cat sat", "a dog"])
    >>> enc.tokens_
    ['<pad>', '<unk>', '<eos>', 'a', 'cat', 'sat', 'dog']
    >>> [ids.tolist() for ids in enc.transform(["A bird sat!"])]
    [[3, 1, 5, 1, 2]]
    >>> enc.inverse_transform([[3, 4, 2, 0, 0]])
    [['a', 'cat', '<eos>']]
    """

    _parameter_constraints: dict = {
        "analyzer": [StrOptions({"word", "char"}), None],
        "token_pattern": [str],
        "tokenizer": [callable, None],
        "lowercase": ["boolean"],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
        "max_tokens": [Interval(Integral, 0, None, closed="left"), None],
        "bos_token": [str, None],
        "eos_token": [str, None],
        "max_length": [Interval(Integral, 1, None, closed="left"), None],
        "truncation": [StrOptions({"post", "pre"})],
        "pad_token": [str],
        "unk_token": [str],
    }

    def __init__(
        self,
        *,
        analyzer: str | None = "word",
        token_pattern: str = r"\w+|[^\w\s]",
        tokenizer: Callable[[str], list[str]] | None = None,
        lowercase: bool = True,
        min_frequency: int = 1,
        max_tokens: int | None = None,
        bos_token: str | None = None,
        eos_token: str | None = None,
        max_length: int | None = None,
        truncation: str = "post",
        pad_token: str = "<pad>",
        unk_token: str = "<unk>",
    ):
        self.analyzer = analyzer
        self.token_pattern = token_pattern
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.min_frequency = min_frequency
        self.max_tokens = max_tokens
        self.bos_token = bos_token
        self.eos_token = eos_token
        self.max_length = max_length
        self.truncation = truncation
        self.pad_token = pad_token
        self.unk_token = unk_token

    # -- tokenization ------------------------------------------------------

    def _reserved(self) -> list[str]:
        extra = [t for t in (self.bos_token, self.eos_token) if t is not None]
        reserved = [self.pad_token, self.unk_token, *extra]
        if len(set(reserved)) != len(reserved):
            raise ValueError(f"The reserved tokens must differ; got {reserved}.")
        return reserved

    def _build_analyzer(self) -> Callable[[str], list[str]] | None:
        """Return the string splitter; None with analyzer=None (no strings)."""
        if self.analyzer is None:
            return None
        if self.analyzer == "char":
            analyze = list
        elif self.tokenizer is not None:
            analyze = self.tokenizer
        else:
            analyze = _compile_pattern(self.token_pattern).findall
        if not self.lowercase:
            return analyze
        return lambda doc: analyze(doc.lower())

    def _tokenize(
        self, X, name: str = "X", analyzer_name: str = "analyzer"
    ) -> list[list[str]]:
        """Split each document into a list of string tokens.

        ``name`` and ``analyzer_name`` are what the messages call the documents
        and the ``analyzer`` parameter (an estimator's targets are ``y``).
        """
        analyze = self._build_analyzer()
        # lowercased data spells a reserved "<UNK>" as "<unk>": read it back
        aliases = {}
        if self.lowercase:
            aliases = {t.lower(): t for t in self._reserved() if t.lower() != t}
        out = []
        for i, doc in enumerate(_check_documents(X, name)):
            if isinstance(doc, str):
                if analyze is None:
                    raise TypeError(
                        f"{name}[{i}] is the string {doc[:30]!r}, but with "
                        f"{analyzer_name}=None every document must be a list of "
                        f"tokens. Use {analyzer_name}='word' or 'char'."
                    )
                tokens = analyze(doc)
                checked = self.analyzer == "char" or self.tokenizer is None
            elif _is_token_list(doc):
                tokens, checked = list(doc), False
            else:
                raise _bad_document(doc, i, name)
            # regex and char analyzers only make strings; check the rest
            if not checked and not all(isinstance(t, str) for t in tokens):
                bad = next(t for t in tokens if not isinstance(t, str))
                raise TypeError(
                    f"{name}[{i}] contains the non-string token {bad!r} "
                    f"({type(bad).__name__}); tokens must be strings."
                )
            if self.lowercase and not isinstance(doc, str):
                tokens = [t.lower() for t in tokens]
            if aliases:
                tokens = [aliases.get(t, t) for t in tokens]
            out.append(tokens)
        return out

    def _reserved_error(self, token: str, id_: int, i: int, name: str) -> ValueError:
        """Return the error for the reserved ``token`` found in ``name[i]``."""
        params = ("pad_token", "unk_token", "bos_token", "eos_token")
        param = next((p for p in params if getattr(self, p) == token), None)
        rename = (
            "choose reserved names" if param is None else f"set {param} to a string"
        )
        return ValueError(
            f"{name}[{i}] holds the token {token!r}, which is reserved (id "
            f"{id_}): it would be read as that marker, not as data. Rename it "
            f"in the data, or {rename} the data does not use."
        )

    # -- estimator API -----------------------------------------------------

    def fit(self, X: Iterable[str | list[str]], y: None = None) -> VocabularyEncoder:
        """Learn the vocabulary of the documents in X.

        Parameters
        ----------
        X : iterable of str or of token lists
            Training documents.
        y : None
            Ignored.

        Returns
        -------
        self : VocabularyEncoder
            The fitted encoder.
        """
        return self._fit(X)

    def _fit(
        self, X, name: str = "X", analyzer_name: str = "analyzer"
    ) -> VocabularyEncoder:
        """Fit, naming X and the analyzer as ``name`` and ``analyzer_name``."""
        self._validate_params()
        if self.analyzer == "word" and self.tokenizer is None:
            _compile_pattern(self.token_pattern)  # before any document is read
        reserved = self._reserved()
        docs = self._tokenize(X, name, analyzer_name)
        counts = Counter(chain.from_iterable(docs))
        counts.pop(self.unk_token, None)  # a literal <unk> means unknown
        for token in reserved:
            if token in counts:
                i = next(i for i, doc in enumerate(docs) if token in doc)
                raise self._reserved_error(token, reserved.index(token), i, name)
        # most_common keeps first-occurrence order among equal counts
        kept = [t for t, c in counts.most_common() if c >= self.min_frequency]
        if self.max_tokens is not None:
            kept = kept[: self.max_tokens]
        self.tokens_ = reserved + kept
        self.vocabulary_ = {t: i for i, t in enumerate(self.tokens_)}
        self.token_counts_ = counts
        return self

    def transform(self, X: Iterable[str | list[str]]) -> list[np.ndarray]:
        """Map each document to an int64 array of token ids.

        Parameters
        ----------
        X : iterable of str or of token lists
            Documents to encode.

        Returns
        -------
        ids : list of ndarray of shape (T_i,) int64
            One id sequence per document; unknown tokens are 1.
        """
        return self._transform(X)

    def _transform(
        self, X, name: str = "X", analyzer_name: str = "analyzer"
    ) -> list[np.ndarray]:
        """Transform, naming X and the analyzer as ``name`` and ``analyzer_name``."""
        check_is_fitted(self, "vocabulary_")
        docs = self._tokenize(X, name, analyzer_name)
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        # unknown tokens are -1 first, to tell them from reserved ones
        flat = np.fromiter(
            map(self.vocabulary_.get, chain.from_iterable(docs), repeat(-1)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        ends = np.cumsum(lengths)
        # a literal unk_token is the unknown id (1): only the others are refused
        reserved = np.flatnonzero(
            (flat >= 0) & (flat < len(self._reserved())) & (flat != 1)
        )
        if reserved.size:
            j = reserved[0]
            i = int(np.searchsorted(ends, j, side="right"))
            raise self._reserved_error(self.tokens_[flat[j]], int(flat[j]), i, name)
        flat[flat < 0] = 1  # the unknown id
        seqs = np.split(flat, ends[:-1])
        bos = None if self.bos_token is None else self.vocabulary_[self.bos_token]
        eos = None if self.eos_token is None else self.vocabulary_[self.eos_token]
        n_markers = (bos is not None) + (eos is not None)
        if self.max_length is not None:
            room = self.max_length - n_markers
            if room < 0:
                raise ValueError(
                    f"max_length={self.max_length} leaves no room for the "
                    f"{n_markers} begin/end-of-sequence markers."
                )
            if self.truncation == "post":
                seqs = [s[:room] for s in seqs]
            else:
                seqs = [s[len(s) - room :] if len(s) > room else s for s in seqs]
        if n_markers:
            head = np.array([] if bos is None else [bos], dtype=np.int64)
            tail = np.array([] if eos is None else [eos], dtype=np.int64)
            seqs = [np.concatenate([head, s, tail]) for s in seqs]
        return seqs

    def inverse_transform(self, X: Iterable[ArrayLike]) -> list[list[str]]:
        """Map id sequences back to token lists, dropping padding (id 0).

        Parameters
        ----------
        X : list of int sequences or ndarray of shape (n_samples, n_timesteps)
            Token ids, ragged or padded.

        Returns
        -------
        tokens : list of list of str
            Unknown ids come back as ``unk_token``; markers are kept.
        """
        check_is_fitted(self, "vocabulary_")
        tokens = np.asarray(self.tokens_, dtype=object)
        return [tokens[self._known_ids(seq, i)].tolist() for i, seq in enumerate(X)]

    def _known_ids(self, seq, i: int) -> np.ndarray:
        """Check ``X[i]``, a sequence of ids of this vocabulary; drop its padding."""
        ids = np.asarray(seq)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError(
                f"X[{i}] must be a 1-D sequence of integer ids; got shape "
                f"{ids.shape} and dtype {ids.dtype}."
            )
        ids = ids[ids != 0].astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.tokens_)):
            raise ValueError(
                f"X[{i}] holds ids outside [0, {len(self.tokens_) - 1}], the range "
                "of this vocabulary."
            )
        return ids

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = []
        return tags
