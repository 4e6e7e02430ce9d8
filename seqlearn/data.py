"""Ragged sequences: validation, padding, batching.

Every entry point (estimators, transformers) reaches the one canonical internal
format through :func:`check_sequences`: a zero-padded array ``(N, L, F)`` (or
``(N, L)`` token ids) plus the true ``lengths``, or, for a list of sequences
with ``pad=False`` (what the estimators ask for), their steps one after the
other (:class:`RaggedSteps`), so memory follows the data.  Batches are cut and
padded by :class:`SequenceDataset` and walked by :class:`BucketBatchIterator`
(training) or :func:`predict_batches` (inference), which group sequences of
similar length so little time is spent on padding.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike, DTypeLike
from scipy import sparse

from seqlearn.nn._validation import check_positive_int
from seqlearn.nn.constants import PAD_TARGET

__all__ = [
    "BucketBatchIterator",
    "RaggedSteps",
    "SequenceData",
    "SequenceDataset",
    "check_float32_range",
    "check_sequences",
    "check_token_ids",
    "pad_sequences",
    "predict_batches",
    "unpad",
]

#: Sequences in any accepted form: a 2-D or 3-D array-like, or a list of
#: ``(T_i,)`` or ``(T_i, n_features)`` array-likes (see :func:`check_sequences`).
Sequences = ArrayLike | Sequence[ArrayLike]


@dataclass
class SequenceData:
    """Validated sequences in the canonical padded form.

    Parameters
    ----------
    values : ndarray of shape (N, L, F) float32 (float64 where asked), or (N, L)
        int64 for token ids
        Sequences padded with zeros after their end.
    lengths : ndarray of shape (N,) int64
        Number of real steps of each sequence (all >= 1).
    tabular : bool
        True when the input was a 2-D array of univariate sequences; its
        columns then count as features for scikit-learn's ``n_features_in_``.
    order : ndarray of shape (N, L_raw) or None
        For token ids from which padding (id 0) was removed: the positions in
        the raw input that each step came from, so per-step targets can follow.
    """

    values: np.ndarray
    lengths: np.ndarray
    tabular: bool
    order: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        """Number of sequences."""
        return len(self.lengths)

    @property
    def n_step_features(self) -> int:
        """Number of features per step (1 for token ids)."""
        return 1 if self.values.ndim == 2 else self.values.shape[2]


@dataclass
class RaggedSteps:
    """Validated ragged sequences as their concatenated real steps (no padding).

    What :func:`check_sequences` returns with ``pad=False`` for sequences of
    unequal lengths: memory follows the data, not ``N x longest``.  Batches
    are padded one at a time (:meth:`padded`, :class:`SequenceDataset`).

    Parameters
    ----------
    steps : ndarray of shape (sum of lengths, F), or (sum of lengths,) for ids
        The steps of every sequence, one after the other (a fresh array);
        token ids are int64.
    lengths : ndarray of shape (N,) int64
        Number of steps of each sequence (all >= 1).
    order : ndarray of shape (sum of lengths,) or None
        For token ids from which padding (id 0) was removed: the position in
        its raw sequence that each step came from.
    """

    steps: np.ndarray
    lengths: np.ndarray
    order: np.ndarray | None = None
    tabular = False

    @property
    def n_samples(self) -> int:
        """Number of sequences."""
        return len(self.lengths)

    @property
    def n_step_features(self) -> int:
        """Number of features per step (1 for token ids)."""
        return 1 if self.steps.ndim == 1 else self.steps.shape[1]

    @property
    def starts(self) -> np.ndarray:
        """Offset of every sequence's first step in ``steps``."""
        return np.cumsum(self.lengths) - self.lengths

    def padded(self, indices=None) -> np.ndarray:
        """Return the sequences at ``indices`` (all by default), zero-padded.

        Parameters
        ----------
        indices : array-like of int, default=None
            Positions of the sequences, in the order wanted.

        Returns
        -------
        ndarray of shape (n, longest of them[, F])
            The sequences, zero after each one's end.
        """
        idx = np.arange(self.n_samples) if indices is None else np.asarray(indices)
        lengths, starts = self.lengths[idx], self.starts[idx]
        steps = np.arange(int(lengths.max()) if len(idx) else 0)
        mask = steps < lengths[:, None]
        out = np.zeros((*mask.shape, *self.steps.shape[1:]), self.steps.dtype)
        out[mask] = self.steps[(starts[:, None] + steps)[mask]]
        return out


def _is_2d_table(X) -> bool:
    """Whether X is a 2-D table: a 2-D array, a DataFrame or a list of rows.

    A list (or tuple) of equal-length rows that are themselves lists or
    tuples of numbers counts, as it does for scikit-learn: its columns are
    ``n_features_in_``.  A list of 1-D *arrays* is the documented form of
    ragged sequences, so it is not a table even when the lengths happen to
    be equal (a cross-validation fold of equal-length series).
    """
    if hasattr(X, "iloc") or (isinstance(X, np.ndarray) and X.ndim == 2):
        return True
    if not isinstance(X, list | tuple) or not X:
        return False
    if not all(isinstance(row, list | tuple) for row in X):
        return False
    if any(np.ndim(row) != 1 for row in X):
        return False
    return len({len(row) for row in X}) == 1


# the estimators compute in float32: larger magnitudes would become infinity
_FLOAT32_MAX = float(np.finfo(np.float32).max)
# the embedding table an inferred ``max id + 1`` may ask for; larger ids are
# almost always raw hashes or offsets, not consecutive ids
MAX_INFERRED_EMBEDDINGS = 2**24


def _position(flat_index: int, shape, lengths=None, first=0) -> str:
    """Return the ``[i][t, f]`` position of an element of a (flattened) array.

    With ``lengths``, the rows are concatenated ragged sequences, the first of
    them sequence number ``first``.
    """
    pos = np.unravel_index(flat_index, shape)
    if lengths is not None:  # rows of concatenated ragged sequences
        ends = np.cumsum(lengths)
        seq = first + int(np.searchsorted(ends, pos[0], side="right"))
        step = int(pos[0] - (ends[seq - first - 1] if seq > first else 0))
        return f"[{seq}][{', '.join(map(str, (step, *pos[1:])))}]"
    return (
        f"[{pos[0]}][{', '.join(map(str, pos[1:]))}]" if len(pos) > 1 else f"[{pos[0]}]"
    )


def check_float32_range(
    arr: np.ndarray, what: str = "X", lengths=None, first: int = 0
) -> None:
    """Reject values whose magnitude float32 cannot hold (they would become inf).

    Parameters
    ----------
    arr : ndarray
        Finite numbers.
    what : str, default="X"
        Name used in the error message.
    lengths : ndarray of shape (N,), default=None
        When ``arr`` holds concatenated ragged sequences, their lengths, so the
        message names the sequence and step.
    first : int, default=0
        Number of the first of those sequences in the whole input.

    Raises
    ------
    ValueError
        Naming the first value out of range and its position.
    """
    if arr.dtype.kind != "f" or arr.dtype.itemsize <= 4 or not arr.size:
        return
    # max/min reduce without a temporary, even for a strided window view
    if arr.max() <= _FLOAT32_MAX and arr.min() >= -_FLOAT32_MAX:
        return
    bad = int(np.flatnonzero(np.abs(arr.reshape(-1)) > _FLOAT32_MAX)[0])
    value = float(arr.reshape(-1)[bad])
    raise ValueError(
        f"{what}{_position(bad, arr.shape, lengths, first)} = {value!r} is beyond the "
        f"float32 range (+-{_FLOAT32_MAX:.4g}) seqlearn computes in; rescale the "
        "data first (divide by a constant or take a log)."
    )


def check_token_ids(
    data: SequenceData | RaggedSteps, num_embeddings=None, *, input_name: str = "X"
) -> int:
    """Return the embedding table size token ids need, checking the largest id.

    Parameters
    ----------
    data : SequenceData or RaggedSteps
        Token ids (``check_sequences(..., tokens=True)``).
    num_embeddings : int, default=None
        The table size: given by the user or fitted.  None infers ``max id +
        1``, up to ``MAX_INFERRED_EMBEDDINGS`` rows.
    input_name : str, default="X"
        Name used in error messages.

    Returns
    -------
    num_embeddings : int
        The size of the embedding table: ``num_embeddings``, or ``max id + 1``.

    Raises
    ------
    ValueError
        An id ``>= num_embeddings`` (torch would raise a bare IndexError), or an
        inferred table too large to allocate sensibly; the id and its position
        are named.
    """
    if isinstance(data, RaggedSteps):
        top_at = int(np.argmax(data.steps))
        top = int(data.steps[top_at])
        row = int(np.searchsorted(np.cumsum(data.lengths), top_at, side="right"))
        col = top_at - int(data.starts[row])
        if data.order is not None:  # the position in the raw input
            col = int(data.order[top_at])
    else:
        ids = data.values
        top_at = int(np.argmax(ids))
        top = int(ids.reshape(-1)[top_at])
        row, col = np.unravel_index(top_at, ids.shape)
        if data.order is not None:  # the position in the raw input, padding included
            col = data.order[row, col]
    where = f"{input_name}[{row}][{col}]"
    if num_embeddings is None:
        if top >= MAX_INFERRED_EMBEDDINGS:
            raise ValueError(
                f"{where} is token id {top}: an embedding table of max id + 1 = "
                f"{top + 1} rows would be needed (at most "
                f"{MAX_INFERRED_EMBEDDINGS} are inferred). Map tokens to "
                "consecutive ids (seqlearn.preprocessing.VocabularyEncoder does) "
                "or set num_embeddings."
            )
        return top + 1
    if top >= num_embeddings:
        raise ValueError(
            f"{where} is token id {top}, but the embedding table has "
            f"num_embeddings={num_embeddings} ids (0..{num_embeddings - 1}). Set "
            "num_embeddings larger, or map unseen tokens to the unknown id "
            "(VocabularyEncoder does)."
        )
    return int(num_embeddings)


def _as_numeric(
    arr: np.ndarray,
    what: str,
    *,
    tokens: bool,
    lengths=None,
    first=0,
    dtype=np.float32,
) -> np.ndarray:
    """Convert to ``dtype`` (int64 for token ids), naming the offender on failure."""
    if arr.dtype.kind in "US":
        raise ValueError(
            f"{what} contains strings ({arr.dtype}) where numbers are expected; "
            "encode text first, e.g. with seqlearn.preprocessing.VocabularyEncoder."
        )
    if arr.dtype.kind == "c":
        raise ValueError(
            f"Complex data not supported: {what} contains complex numbers."
        )
    try:
        out = arr.astype(np.float64) if arr.dtype.kind not in "biuf" else arr
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{what} contains values that are not numbers: {exc}") from None
    # a float64 sum is NaN/inf whenever an element is, and, unlike an
    # isfinite mask, allocates nothing for a strided window view
    if out.dtype.kind == "f" and not np.isfinite(out.sum(dtype=np.float64)):
        if not np.isfinite(out).all():
            kind = "NaN" if np.isnan(out).any() else "infinity"
            raise ValueError(
                f"{what} contains {kind}; sequences must be finite. Impute or "
                "drop missing steps first."
            )
    if tokens:
        if out.dtype.kind == "f":
            if not np.array_equal(out, np.round(out)):
                raise ValueError(
                    f"{what} must hold integer token ids when embedding_dim is "
                    "set; got non-integer values."
                )
        if out.dtype.kind in "uf" and out.size and out.max() >= 2**63:
            # int64 would wrap it around to a negative id
            raise ValueError(
                f"{what} contains token id {out.max()}, too large for int64 "
                "(at most 2**63 - 1); map tokens to consecutive ids first "
                "(seqlearn.preprocessing.VocabularyEncoder does)."
            )
        out = out.astype(np.int64)
        if out.size and out.min() < 0:
            raise ValueError(
                f"{what} contains negative token ids (min {out.min()}); ids must "
                "be >= 0 (0 is padding)."
            )
        return out
    if dtype == np.float32:
        check_float32_range(out, what, lengths, first)
    return out.astype(dtype, copy=False)


def pad_sequences(
    seqs: Sequence[ArrayLike], *, dtype: DTypeLike = np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Stack a list of ``(T_i, ...)`` arrays into a zero-padded array.

    Parameters
    ----------
    seqs : list of ndarray
        Sequences with identical trailing shape.  An empty one pads to zeros
        with length 0, which the recurrent encoders refuse (every sequence
        needs a step).
    dtype : dtype, default=np.float32
        Dtype of the padded array.

    Returns
    -------
    padded : ndarray of shape (N, max T_i, ...)
        The sequences, zero after each one's end.
    lengths : ndarray of shape (N,) int64
        Length ``T_i`` of every sequence.

    Examples
    --------
    >>> import numpy as np
    >>> padded, lengths = pad_sequences([np.ones(2), np.ones(3)])
    >>> padded.shape, lengths.tolist()
    ((2, 3), [2, 3])
    """
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    trailing = np.shape(seqs[0])[1:] if len(seqs) else ()
    max_len = int(lengths.max()) if len(lengths) else 0
    padded = np.zeros((len(seqs), max_len, *trailing), dtype=dtype)
    if len(seqs):
        # one vectorised scatter instead of a per-sample copy loop
        mask = np.arange(max_len) < lengths[:, None]
        padded[mask] = np.concatenate(seqs, axis=0)
    return padded, lengths


def unpad(padded: np.ndarray, lengths: ArrayLike) -> list[np.ndarray]:
    """Split a padded ``(N, L, ...)`` array into a list of ``(T_i, ...)`` arrays.

    Parameters
    ----------
    padded : ndarray of shape (N, L, ...)
        Padded sequences.
    lengths : array-like of shape (N,)
        Number of real steps ``T_i`` of every sequence.

    Returns
    -------
    sequences : list of ndarray of shape (T_i, ...)
        The real steps of every sequence, padding dropped.

    Examples
    --------
    >>> import numpy as np
    >>> [a.tolist() for a in unpad(np.array([[1, 2, 0], [3, 4, 5]]), [2, 3])]
    [[1, 2], [3, 4, 5]]
    """
    padded = np.asarray(padded)
    lengths = np.asarray(lengths)
    if padded.ndim < 2:
        raise ValueError(f"padded must be (N, L, ...); got shape {padded.shape}.")
    n, width = padded.shape[:2]
    if lengths.shape != (n,) or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(
            f"lengths must be {n} integers, one per sequence; got "
            f"{lengths.dtype} of shape {lengths.shape}."
        )
    if n and (lengths.min() < 0 or lengths.max() > width):
        i = int(np.argmax((lengths < 0) | (lengths > width)))
        raise ValueError(
            f"lengths must lie in [0, {width}] (the padded length); "
            f"lengths[{i}] is {int(lengths[i])}."
        )
    if not n:
        return []
    mask = np.arange(width) < lengths[:, None]
    return np.split(padded[mask], np.cumsum(lengths)[:-1])


def _compact_tokens(ids: np.ndarray, input_name: str) -> SequenceData:
    """Drop padding ids (0) wherever they are, moving real tokens to the front.

    Keras pads before the sequence by default, other tools after: both work.
    """
    keep = ids != 0
    order = np.argsort(~keep, axis=1, kind="stable")
    lengths = keep.sum(axis=1).astype(np.int64)
    _check_no_empty(lengths, input_name, "only padding (id 0)")
    max_len = int(lengths.max())
    compact = np.take_along_axis(ids, order, axis=1)[:, :max_len]
    return SequenceData(compact, lengths, tabular=False, order=order[:, :max_len])


def _compact_ragged_tokens(flat, lengths, input_name) -> RaggedSteps:
    """Ragged :func:`_compact_tokens`: drop ids 0 from concatenated sequences."""
    keep = flat != 0
    if keep.all():
        return RaggedSteps(flat, lengths)
    position = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    seq = np.repeat(np.arange(len(lengths)), lengths)
    kept = np.bincount(seq[keep], minlength=len(lengths)).astype(np.int64)
    _check_no_empty(kept, input_name, "only padding (id 0)")
    return RaggedSteps(flat[keep], kept, order=position[keep])


def check_dense(values, name: str) -> None:
    """Reject a sparse matrix (TypeError) or a masked array with masked values.

    A masked array's mask would be dropped by the conversion to a plain
    array, and the values under it read as data (ValueError).

    Parameters
    ----------
    values : object
        What was passed.
    name : str
        Its name in the message (``"X"``, ``"y"``, ``"X[3]"``).
    """
    if sparse.issparse(values):
        raise TypeError(
            f"A sparse matrix was passed as {name}, but dense data is required: "
            f"seqlearn needs dense arrays. Use {name}.toarray()."
        )
    if np.ma.isMaskedArray(values) and np.ma.getmaskarray(values).any():
        raise ValueError(
            f"{name} is a masked array with {int(np.ma.count_masked(values))} "
            "masked values, which seqlearn would read as data: fill them "
            f"({name}.filled(value)) or drop those steps first."
        )


def check_sequences(
    X: Sequences,
    *,
    tokens: bool = False,
    input_name: str = "X",
    dtype: DTypeLike = np.float32,
    pad: bool = True,
) -> SequenceData | RaggedSteps:
    """Validate sequences and bring them into the canonical padded form.

    Parameters
    ----------
    X : array-like or list of array-like
        One of: a 3-D array ``(n_samples, n_timesteps, n_features)``; a 2-D array
        ``(n_samples, n_timesteps)`` of univariate sequences (pandas DataFrames
        included); a list (or 1-D object array) of ``(T_i, n_features)`` or
        ``(T_i,)`` arrays.  With ``tokens=True``: a 2-D int array or a list of
        int sequences; id 0 is padding and is dropped wherever it stands.
    tokens : bool, default=False
        Whether X holds integer token ids.
    input_name : str, default="X"
        Name used in error messages.
    dtype : {np.float32, np.float64}, default=np.float32
        Floating type of the values (token ids are always int64).  The
        estimators compute in float32; transformers that take statistics of
        the raw values (a scaler) ask for float64.
    pad : bool, default=True
        False: a list of numeric sequences of unequal lengths, or of token id
        sequences, comes back as :class:`RaggedSteps`, the steps concatenated
        without padding (memory follows the data); any other input as with
        True.

    Returns
    -------
    SequenceData or RaggedSteps
        Padded values, true lengths and where they came from (or the
        concatenated steps, with ``pad=False``).

    Raises
    ------
    ValueError
        NaN or infinity, an empty sequence, zero samples, 1-D or 4-D input,
        strings where numbers are expected, inconsistent feature counts,
        negative or non-integer token ids.
    TypeError
        Sparse matrices, ``None`` and other unsupported containers.

    Examples
    --------
    >>> import numpy as np
    >>> data = check_sequences([np.zeros((3, 2)), np.ones((5, 2))])
    >>> data.values.shape, data.lengths.tolist(), data.tabular
    ((2, 5, 2), [3, 5], False)
    """
    check_dense(X, input_name)
    if X is None or isinstance(X, str | bytes | dict | numbers.Number | np.generic):
        raise TypeError(
            f"{input_name} must be an array or a list of sequences, got "
            f"{type(X).__name__}."
        )
    if not isinstance(X, list | tuple | np.ndarray) and hasattr(X, "__array__"):
        X = np.asarray(X)
    tabular = _is_2d_table(X)
    if hasattr(X, "iloc"):
        X = X.to_numpy()
    # an object array is a list of sequences only when 1-D: a 2-D or 3-D one
    # holds numbers (converted, or named when they are not)
    if isinstance(X, np.ndarray) and (X.dtype != object or X.ndim != 1) or tabular:
        arr = np.asarray(X)
        return _check_array_input(
            arr, tokens=tokens, input_name=input_name, dtype=dtype
        )
    seqs = list(X)
    for i, s in enumerate(seqs):
        check_dense(s, f"{input_name}[{i}]")
    if len(seqs) == 0:
        raise ValueError(
            f"{input_name} has 0 samples; at least one sequence is required."
        )
    seqs = [np.asarray(s) for s in seqs]
    ndims = {s.ndim for s in seqs}
    if ndims == {0} and any(isinstance(s.item(), str | bytes) for s in seqs):
        raise ValueError(
            f"{input_name} holds text ({seqs[0].item()!r}, ...); this takes numbers: "
            "encode text first (VocabularyEncoder, OneHotSequenceEncoder)."
        )
    if ndims == {0}:
        raise ValueError(
            f"{input_name} is a 1-D array of numbers; expected 2-D (n_samples, "
            "n_timesteps), 3-D (n_samples, n_timesteps, n_features) or a list of "
            "sequences. Reshape your data with array.reshape(1, -1) for a single "
            "sequence."
        )
    if ndims == {1} and len({len(s) for s in seqs}) == 1 and not tokens:
        # equal-length 1-D arrays: converted as one array (no padding loop),
        # but still sequences, not a table (see _is_2d_table)
        data = _check_array_input(
            np.asarray(seqs), tokens=tokens, input_name=input_name, dtype=dtype
        )
        return SequenceData(data.values, data.lengths, tabular=False)
    return _check_ragged(
        seqs, tokens=tokens, input_name=input_name, dtype=dtype, pad=pad
    )


def _check_array_input(
    arr: np.ndarray, *, tokens: bool, input_name: str, dtype=np.float32
):
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{input_name} must be 2-D (n_samples, n_timesteps) or 3-D "
            f"(n_samples, n_timesteps, n_features); got a {arr.ndim}-D array with "
            f"shape {arr.shape}."
            + (" Reshape your data with array.reshape(1, -1)." if arr.ndim == 1 else "")
        )
    if arr.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={arr.shape}) while a minimum of "
            f"1 is required: {input_name} has no sequences."
        )
    if arr.shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={arr.shape}) while a minimum "
            f"of 1 is required: the sequences in {input_name} are empty."
        )
    if arr.ndim == 3 and arr.shape[2] == 0:
        raise ValueError(f"{input_name} has 0 features per step (shape={arr.shape}).")
    if tokens:
        if arr.ndim != 2:
            raise ValueError(
                f"{input_name} must be a 2-D array or a list of token id sequences "
                f"when embedding_dim is set; got shape {arr.shape}."
            )
        return _compact_tokens(_as_numeric(arr, input_name, tokens=True), input_name)
    values = _as_numeric(arr, input_name, tokens=False, dtype=dtype)
    n, length = values.shape[:2]
    tabular = values.ndim == 2
    if tabular:
        values = values[:, :, None]
    # a read-only broadcast: no per-sequence memory for fixed-length input
    lengths = np.broadcast_to(np.int64(length), (n,))
    return SequenceData(values, lengths, tabular=tabular)


def _check_no_empty(lengths, input_name, why="no steps"):
    empty = np.flatnonzero(lengths == 0)
    if empty.size:
        raise ValueError(
            f"{input_name}[{empty[0]}] is an empty sequence ({why}); every "
            f"sequence needs at least one step ({empty.size} empty in total)."
        )


# sequences converted at a time when ragged input is padded
_CHUNK = 8192


def _check_ragged(
    seqs, *, tokens: bool, input_name: str, dtype=np.float32, pad=True
) -> SequenceData | RaggedSteps:
    for i, s in enumerate(seqs):
        if s.ndim == 0 or s.ndim > (1 if tokens else 2):
            want = "1-D token id sequences" if tokens else "(T_i,) or (T_i, n_features)"
            raise ValueError(
                f"{input_name}[{i}] has shape {s.shape}; every sequence must be {want}."
            )
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    _check_no_empty(lengths, input_name)
    if tokens:
        flat = _as_numeric(np.concatenate(seqs), input_name, tokens=True)
        if not pad:
            return _compact_ragged_tokens(flat, lengths, input_name)
        padded, _ = pad_sequences(
            np.split(flat, np.cumsum(lengths)[:-1]), dtype=np.int64
        )
        return _compact_tokens(padded, input_name)
    widths = {1 if s.ndim == 1 else s.shape[1] for s in seqs}
    if len(widths) > 1:
        raise ValueError(
            f"The sequences in {input_name} have different numbers of features "
            f"per step: {sorted(widths)}."
        )
    (width,) = widths
    if width == 0:
        raise ValueError(f"The sequences in {input_name} have 0 features per step.")
    if not pad:
        flat = np.concatenate([s.reshape(len(s), width) for s in seqs])
        flat = _as_numeric(flat, input_name, tokens=False, lengths=lengths, dtype=dtype)
        return RaggedSteps(flat, lengths)
    # converted chunk by chunk straight into the padded array: memory stays
    # the padded array plus one chunk, whatever the number of sequences
    padded = np.zeros((len(seqs), int(lengths.max()), width), dtype=dtype)
    for start in range(0, len(seqs), _CHUNK):
        part = lengths[start : start + _CHUNK]
        flat = np.concatenate(
            [s.reshape(len(s), width) for s in seqs[start : start + _CHUNK]]
        )
        flat = _as_numeric(
            flat, input_name, tokens=False, lengths=part, first=start, dtype=dtype
        )
        rows = np.repeat(np.arange(start, start + len(part)), part)
        steps = np.arange(len(flat)) - np.repeat(np.cumsum(part) - part, part)
        padded[rows, steps] = flat
    return SequenceData(padded, lengths, tabular=False)


def _shared_tensor(values) -> torch.Tensor:
    """Return ``values`` as a tensor sharing its memory, read-only arrays included.

    Read-only window views are shared, never written: DLPack takes them
    without a copy and without the warning ``torch.as_tensor`` gives (which
    ``warnings.catch_warnings`` could only hide thread-unsafely).
    """
    if isinstance(values, np.ndarray) and not values.flags.writeable:
        try:
            return torch.from_dlpack(values)
        except BufferError:  # DLPack before version 1 (numpy < 2) refuses them
            return torch.from_numpy(values.copy())
    return torch.as_tensor(values)


class BatchDataset(torch.utils.data.Dataset):
    """A dataset of ``self.lengths`` items that collates whole batches.

    Subclasses define ``__getitems__(indices)``, which returns one batch
    trimmed to its longest item; ``dataset[i]`` is the batch of item ``i``.
    """

    lengths: torch.Tensor

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i):
        return self.__getitems__([i])

    def __getitems__(self, indices):
        raise NotImplementedError


def _ragged_positions(starts, lengths, width):
    """Return where each padded step of a batch is, and which steps are real.

    ``at[i, t]`` is the position of step ``t`` of sequence ``i`` among the
    concatenated steps (0 after its end, where ``real`` is False).
    """
    real = torch.arange(width) < lengths[:, None]
    at = (starts[:, None] + torch.arange(width)).masked_fill(~real, 0)
    return at, real


def _kept_positions(starts, lengths):
    """Positions, among concatenated steps, of the steps of the given sequences."""
    # each kept step's position: its sequence's old start + its step
    shift = starts - (lengths.cumsum(0) - lengths)
    at = torch.repeat_interleave(shift, lengths)
    return at + torch.arange(len(at))


class SequenceDataset(BatchDataset):
    """Sequences with optional targets and sample weights, batched on demand.

    Indexing with a list of indices (``__getitems__``) returns one collated
    batch ``({"x": x, "lengths": lengths}, target)`` padded to the longest
    sequence in it, with no per-sample Python call.  Ragged sequences
    (:class:`RaggedSteps`) stay unpadded: memory follows the data, and only
    the batch is padded.

    Parameters
    ----------
    values : ndarray of shape (N, L, F) or (N, L), or RaggedSteps
        Padded sequences, or the concatenated steps of ragged ones.
    lengths : ndarray of shape (N,)
        True lengths.
    y : ndarray of shape (N,), (N, n_outputs) or (N, L), default=None
        Targets; per-step targets (``per_step=True``) are padded with -100,
        or, with ragged ``values``, one per step of ``values.steps``.
    sample_weight : ndarray of shape (N,), default=None
        Per-sequence weights.
    per_step : bool, default=False
        Whether ``y`` holds one target per step (trimmed like ``values``).
    """

    def __init__(
        self,
        values: ArrayLike | RaggedSteps,
        lengths: ArrayLike,
        y: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
        per_step: bool = False,
    ) -> None:
        if isinstance(values, RaggedSteps):
            self.values, self.steps = None, _shared_tensor(values.steps)
            self.starts = torch.as_tensor(values.starts)
        else:
            self.values, self.steps = _shared_tensor(values), None
        lengths = np.asarray(lengths)
        if lengths.ndim == 1 and lengths.strides == (0,) and len(lengths):
            # fixed-length input: keep the broadcast instead of n copies
            self.lengths = torch.as_tensor(lengths[:1].copy()).expand(len(lengths))
        else:
            self.lengths = torch.as_tensor(lengths, dtype=torch.int64)
        self._check_lengths(values, lengths)
        self.y = None if y is None else _shared_tensor(y)
        self.sample_weight = (
            None if sample_weight is None else _shared_tensor(sample_weight)
        )
        self.per_step = per_step

    def _check_lengths(self, values, lengths):
        """One length per sequence, each in [1, the padded width]."""
        if isinstance(values, RaggedSteps):
            n, width = len(values.starts), None
            if lengths.shape == (n,) and n:
                given = np.asarray(values.lengths)
                if not np.array_equal(given, lengths):
                    raise ValueError("lengths must be the ragged values' own lengths.")
        else:
            n, width = self.values.shape[0], self.values.shape[1]
        if lengths.shape != (n,):
            raise ValueError(
                f"lengths must hold one length per sequence ({n}); got shape "
                f"{lengths.shape}."
            )
        if n and (lengths.min() < 1 or (width is not None and lengths.max() > width)):
            raise ValueError(
                f"lengths must lie in [1, {width or 'the sequence length'}]; got "
                f"values from {lengths.min()} to {lengths.max()}."
            )

    def __getitems__(self, indices):
        idx = torch.as_tensor(indices, dtype=torch.int64)
        lengths = self.lengths[idx]
        max_len = int(lengths.max())
        if self.steps is None:
            x = self.values[idx, :max_len]
        else:  # pad this batch only
            at, real = _ragged_positions(self.starts[idx], lengths, max_len)
            x = self.steps[at]
            x[~real] = 0
        target = None
        if self.y is not None and self.per_step and self.steps is not None:
            target = self.y[at].masked_fill(~real, PAD_TARGET)
        elif self.y is not None:
            target = self.y[idx, :max_len] if self.per_step else self.y[idx]
        if target is not None:
            if self.sample_weight is not None:
                target = {"y": target, "sample_weight": self.sample_weight[idx]}
        return {"x": x, "lengths": lengths}, target

    def subset(self, indices: ArrayLike) -> SequenceDataset:
        """Return the sequences at ``indices`` as a new dataset.

        Parameters
        ----------
        indices : array-like of int
            Positions of the sequences to keep, in the order wanted.

        Returns
        -------
        SequenceDataset
            The selected sequences, targets and weights.
        """
        idx = torch.as_tensor(indices, dtype=torch.int64)
        pick = lambda t: None if t is None else t[idx]  # noqa: E731
        lengths = self.lengths[idx]
        if self.steps is None:
            values, y = self.values[idx], pick(self.y)
        else:
            at = _kept_positions(self.starts[idx], lengths)
            values = RaggedSteps(self.steps[at].numpy(), lengths.numpy())
            y = self.y[at] if self.per_step and self.y is not None else pick(self.y)
        return SequenceDataset(
            values,
            lengths,
            y,
            pick(self.sample_weight),
            per_step=self.per_step,
        )


def _cut_sorted(order, lengths, batch_size, budget):
    """Cut ordered (usually length-sorted) positions into batches.

    A batch holds at most ``batch_size`` sequences and at most ``budget``
    padded steps (its size times its longest ``lengths``), unless one
    sequence alone is longer.
    """
    ordered = lengths[order]
    batches, start = [], 0
    while start < len(order):
        ahead = np.maximum.accumulate(ordered[start : start + batch_size])
        fits = np.arange(1, len(ahead) + 1) * ahead <= budget
        stop = start + max(1, int(fits.sum()))
        batches.append(order[start:stop])
        start = stop
    return batches


def _step_budget(lengths, batch_size, factor):
    """Most padded steps per batch: ``factor`` full batches of mean length."""
    return max(factor * batch_size * float(lengths.mean()), int(lengths.max()))


def predict_batches(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Index batches of length-sorted sequences for inference.

    Each batch holds at most ``batch_size`` sequences and, where lengths are
    skewed, at most ``max(4 * batch_size * mean length, longest)`` padded
    steps: one very long sequence gets a batch of its own instead of
    padding ``batch_size - 1`` short ones to its length.

    Parameters
    ----------
    lengths : ndarray of shape (N,)
        Sequence lengths.
    batch_size : int
        Most sequences per batch.

    Returns
    -------
    list of ndarray
        Positions of the sequences of each batch, shortest first.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    lengths = np.asarray(lengths)
    n = len(lengths)
    if n == 0 or lengths.min() == lengths.max():
        order = np.arange(n)
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]
    order = np.argsort(lengths, kind="stable")
    return _cut_sorted(order, lengths, batch_size, _step_budget(lengths, batch_size, 4))


class BucketBatchIterator:
    """Mini-batches of similar-length sequences, shuffled each pass.

    Shuffled indices are cut into pools of ``pool_batches`` batches, each pool
    is sorted by length and cut into batches, and the batch order is shuffled:
    batches stay random while padding stays small.  A sequence too long to
    share a full batch within ``max(16 * batch_size * mean length, longest)``
    padded steps (a rare very long sequence among short ones) is batched
    apart, with the other such sequences, within that budget: memory follows
    the data, and ordinary data keeps its batches.  A dataset whose batches
    pad more than its ``lengths`` (a translator's pairs pad their sources and
    their targets) says so in ``batch_lengths``: the budget counts those.
    Randomness comes from torch's global generator, which the estimators seed
    in ``fit``.

    Parameters
    ----------
    dataset : SequenceDataset
        Sequences to iterate over: ``lengths`` sorts them, and
        ``batch_lengths``, where the dataset has it, is what a batch pads.
    batch_size : int
        Sequences per batch.
    shuffle : bool, default=False
        Shuffle (training) or keep a deterministic length-sorted order.
    pool_batches : int, default=20
        Number of batches sorted together.
    """

    def __init__(
        self,
        dataset: SequenceDataset,
        batch_size: int,
        shuffle: bool = False,
        pool_batches: int = 20,
    ) -> None:
        self.dataset = dataset
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.shuffle = shuffle
        self.pool_batches = check_positive_int(pool_batches, "pool_batches")

    def _plan(self):
        """Return the lengths, padded lengths, step budget and lone sequences."""
        lengths = self.dataset.lengths.numpy()
        cost = getattr(self.dataset, "batch_lengths", None)
        cost = lengths if cost is None else np.asarray(cost)
        if not len(lengths) or cost.min() == cost.max():
            return lengths, cost, None, None
        budget = _step_budget(cost, self.batch_size, 16)
        apart = np.flatnonzero(cost * self.batch_size > budget)
        return lengths, cost, budget, apart[np.argsort(cost[apart], kind="stable")]

    def batch_sizes(self) -> list[int]:
        """Return the size of every batch of a pass (the same for every draw).

        Returns
        -------
        list of int
            Sequences per batch, in no particular order.
        """
        n, bs = len(self.dataset), self.batch_size
        lengths, cost, budget, apart = self._plan()
        if budget is None:
            return [min(bs, n - i) for i in range(0, n, bs)]
        if not self.shuffle:
            order = np.argsort(lengths, kind="stable")
            return [len(b) for b in _cut_sorted(order, cost, bs, budget)]
        rest = n - len(apart)
        own = [len(b) for b in _cut_sorted(apart, cost, bs, budget)]
        return [min(bs, rest - i) for i in range(0, rest, bs)] + own

    def __len__(self) -> int:
        return len(self.batch_sizes())

    def batch_indices(self) -> list[np.ndarray]:
        """Return the index arrays of one pass, in iteration order.

        Returns
        -------
        list of ndarray
            The dataset positions of every batch, one array per batch.
        """
        n, bs = len(self.dataset), self.batch_size
        lengths, cost, budget, apart = self._plan()
        if budget is None:
            order = (
                torch.randperm(n, dtype=torch.int32).numpy()
                if self.shuffle
                else np.arange(n)
            )
            return [order[i : i + bs] for i in range(0, n, bs)]
        if not self.shuffle:
            return _cut_sorted(np.argsort(lengths, kind="stable"), cost, bs, budget)
        order = torch.randperm(n, dtype=torch.int32).numpy()
        if len(apart):  # never in ordinary data: its batches stay as they were
            order = order[~np.isin(order, apart)]
        pool = bs * self.pool_batches
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches.extend(chunk[i : i + bs] for i in range(0, len(chunk), bs))
        batches.extend(_cut_sorted(apart, cost, bs, budget))
        perm = torch.randperm(len(batches)).tolist()
        return [batches[i] for i in perm]

    def __iter__(self):
        for idx in self.batch_indices():
            yield self.dataset.__getitems__(idx)
