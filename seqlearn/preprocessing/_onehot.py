"""Symbol sequences to one-hot step vectors: :class:`OneHotSequenceEncoder`."""

from __future__ import annotations

from itertools import chain, repeat

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from seqlearn._compat import InvalidParameterError, StrOptions
from seqlearn.preprocessing._vocabulary import _check_documents

__all__ = ["OneHotSequenceEncoder"]


def _flatten(X, name: str = "X") -> tuple[list, np.ndarray]:
    """Concatenate all symbols of all sequences; return them and the lengths."""
    seqs = _check_documents(X, name)
    for i, s in enumerate(seqs):
        bad_array = isinstance(s, np.ndarray) and s.ndim != 1
        if bad_array or not isinstance(s, str | list | tuple | np.ndarray):
            raise TypeError(
                f"{name}[{i}] is a {type(s).__name__}; each sequence must be a "
                "string or a 1-D list/array of symbols."
            )
    lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    # strings iterate over their characters, arrays over their elements
    return list(chain.from_iterable(seqs)), lengths


def _is_nan(symbol) -> bool:
    """Whether a symbol is a float NaN (which equals no other NaN, nor itself)."""
    return isinstance(symbol, float | np.floating) and symbol != symbol


def _categories(symbols: list, nan: bool) -> np.ndarray:
    """Return the sorted symbols, plus NaN last if ``nan``, as a 1-D array.

    Numbers and strings keep a numpy dtype; anything else (tuples, strings
    next to NaN) becomes an object array, where ``np.array`` would build a
    2-D array or turn NaN into the string ``"nan"``.
    """
    cats = symbols + [np.nan] if nan else symbols
    try:
        arr = np.array(cats)
    except ValueError:  # tuples of different lengths: no regular array
        arr = None
    if arr is not None and arr.ndim == 1:
        kind = arr.dtype.kind
        if kind in "biuf" or (kind in "US" and not nan):
            return arr
    return np.fromiter(cats, dtype=object, count=len(cats))


class OneHotSequenceEncoder(
    TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Encode sequences of symbols as sequences of one-hot vectors.

    The classic input of a character-level RNN: each step becomes a vector
    with a single 1 in the column of its symbol.

    Parameters
    ----------
    handle_unknown : {"error", "ignore"}, default="error"
        What to do with a symbol not seen in ``fit``: raise a ``ValueError``,
        or encode it as an all-zero row (as scikit-learn's ``OneHotEncoder``).
    dtype : numpy dtype, default=np.float32
        Dtype of the one-hot arrays.

    Attributes
    ----------
    categories_ : ndarray of shape (n_symbols,)
        The sorted symbols seen in ``fit`` (NaN last); column ``j`` of the
        output stands for ``categories_[j]``.  An object array when numpy
        has no dtype for the symbols (tuples, strings next to NaN).

    See Also
    --------
    VocabularyEncoder : Integer ids for large vocabularies (embedding input).

    Notes
    -----
    Input is a list of sequences, each a string (a sequence of characters) or
    a 1-D list/array of hashable symbols (characters, words, integer ids).
    Symbols are matched by equality, so ``1`` and ``1.0`` are the same symbol
    but ``1`` and ``"1"`` are not.  All symbols must be mutually sortable,
    except NaN: as in scikit-learn's ``OneHotEncoder``, every NaN is the same
    symbol, sorted last.

    Examples
    --------
    >>> from seqlearn.preprocessing import OneHotSequenceEncoder
    >>> enc = OneHotSequenceEncoder().fit(["abc", "ca"])
    >>> enc.categories_.tolist()
    ['a', 'b', 'c']
    >>> enc.transform(["cab"])[0]
    array([[0., 0., 1.],
           [1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    >>> [s.tolist() for s in enc.inverse_transform(enc.transform(["cab"]))]
    [['c', 'a', 'b']]
    """

    _parameter_constraints: dict = {
        "handle_unknown": [StrOptions({"error", "ignore"})],
        "dtype": "no_validation",
    }

    def __init__(self, *, handle_unknown: str = "error", dtype=np.float32):
        self.handle_unknown = handle_unknown
        self.dtype = dtype

    def fit(self, X, y=None) -> OneHotSequenceEncoder:
        """Learn the symbols of the sequences in X.

        Parameters
        ----------
        X : list of str or of 1-D symbol sequences
            Training sequences.
        y : None
            Ignored.

        Returns
        -------
        self : OneHotSequenceEncoder
            The fitted encoder.
        """
        self._validate_params()
        self._check_dtype()
        flat, _ = _flatten(X)
        try:
            unique = set(flat)
        except TypeError as exc:
            raise TypeError(f"The symbols in X must be hashable: {exc}") from None
        if not unique:
            raise ValueError("X holds no symbols: every sequence is empty.")
        # every NaN is a distinct symbol to a set: one category, sorted last
        nan = any(map(_is_nan, unique))
        try:
            symbols = sorted(s for s in unique if not _is_nan(s))
        except TypeError as exc:
            raise TypeError(
                "The symbols in X must be mutually comparable (e.g. all strings "
                f"or all numbers): {exc}"
            ) from None
        self.categories_ = _categories(symbols, nan)
        return self

    def _check_dtype(self) -> np.dtype:
        """Return ``dtype`` as a numpy dtype, rejecting non-numeric ones."""
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype is None or dtype.kind not in "biuf":
            raise InvalidParameterError(
                "The 'dtype' parameter of OneHotSequenceEncoder must be a numeric "
                f"numpy dtype (e.g. np.float32, 'float64', bool); got {self.dtype!r}."
            )
        return dtype

    def _codes(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Column index of every step (-1 for unknown symbols) and the lengths."""
        flat, lengths = _flatten(X)
        index = {c: i for i, c in enumerate(self.categories_.tolist())}
        try:
            # map() with dict.get runs the lookup in C, not a Python loop
            codes = np.fromiter(
                map(index.get, flat, repeat(-1)), dtype=np.int64, count=len(flat)
            )
        except TypeError as exc:
            raise TypeError(f"The symbols in X must be hashable: {exc}") from None
        unknown = codes < 0
        if unknown.any() and _is_nan(self.categories_[-1]):
            # NaN equals no key of index: match it to the NaN category here
            nan = [j for j in np.flatnonzero(unknown) if _is_nan(flat[j])]
            codes[nan] = len(self.categories_) - 1
            unknown[nan] = False
        if self.handle_unknown == "error" and unknown.any():
            first = int(np.argmax(unknown))
            seq = int(np.searchsorted(np.cumsum(lengths), first, side="right"))
            raise ValueError(
                f"X[{seq}] contains the symbol {flat[first]!r} not seen in fit "
                f"({int(unknown.sum())} unknown steps in total); set "
                "handle_unknown='ignore' to encode unknown symbols as zeros."
            )
        return codes, lengths

    def transform(self, X) -> list[np.ndarray]:
        """One-hot encode each sequence.

        Parameters
        ----------
        X : list of str or of 1-D symbol sequences
            Sequences to encode.

        Returns
        -------
        onehot : list of ndarray of shape (T_i, n_symbols)
            One array per sequence.
        """
        check_is_fitted(self, "categories_")
        codes, lengths = self._codes(X)
        n = len(self.categories_)
        # identity rows plus one zero row that code -1 (unknown) picks
        table = np.vstack([np.eye(n, dtype=self.dtype), np.zeros((1, n), self.dtype)])
        return np.split(table[codes], np.cumsum(lengths)[:-1])

    def inverse_transform(self, X) -> list[np.ndarray]:
        """Map one-hot (or score) sequences back to symbols by their argmax.

        Parameters
        ----------
        X : list of ndarray of shape (T_i, n_symbols) or ndarray of shape \
(n_samples, n_timesteps, n_symbols)
            Encoded sequences; a row is decoded to the symbol of its largest
            entry.

        Returns
        -------
        symbols : list of ndarray of shape (T_i,)
            Decoded sequences.  All-zero rows (unknown symbols, or padding of
            a 3-D array) decode to ``None``, in an object array.
        """
        check_is_fitted(self, "categories_")
        n = len(self.categories_)
        seqs = [np.asarray(s) for s in _check_documents(X)]
        for i, s in enumerate(seqs):
            if s.ndim != 2 or s.shape[1] != n:
                raise ValueError(
                    f"X[{i}] has shape {s.shape}; expected (T_i, {n}), one column "
                    "per category."
                )
        lengths = [len(s) for s in seqs]
        flat = np.concatenate(seqs, axis=0)
        if flat.dtype.kind not in "biuf":
            raise ValueError(
                f"X must hold numbers to be decoded; got dtype {flat.dtype}."
            )
        if flat.dtype.kind == "f" and np.isnan(flat).any():
            # argmax would decode a NaN row to whichever symbol holds the NaN
            row = int(np.flatnonzero(np.isnan(flat).any(axis=1))[0])
            seq = int(np.searchsorted(np.cumsum(lengths), row, side="right"))
            step = row - (int(np.sum(lengths[:seq])) if seq else 0)
            raise ValueError(
                f"X[{seq}][{step}] contains NaN; a row with NaN has no symbol to "
                "decode."
            )
        codes = flat.argmax(axis=1)
        symbols = self.categories_[codes]
        zero = ~flat.any(axis=1)
        if zero.any():
            symbols = symbols.astype(object)
            symbols[zero] = None
        return np.split(symbols, np.cumsum(lengths)[:-1])

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the one-hot columns, ``"x0_<symbol>"`` as in ``OneHotEncoder``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            A single name replacing the prefix ``"x0"``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per column of the transformed steps.
        """
        check_is_fitted(self, "categories_")
        if isinstance(input_features, str):  # "ch" would give the prefix "c"
            raise TypeError(
                "input_features must be a list of one name, e.g. "
                f"[{input_features!r}]; got the string {input_features!r}."
            )
        prefix = "x0" if input_features is None else str(input_features[0])
        return np.asarray([f"{prefix}_{c}" for c in self.categories_], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.target_tags.required = False
        # the output dtype is the dtype parameter's, whatever the input's
        tags.transformer_tags.preserves_dtype = []
        return tags
