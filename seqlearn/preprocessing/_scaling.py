"""Feature scaling over the real steps of sequences: :class:`SequenceScaler`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from seqlearn._compat import StrOptions, get_output_config, validate_data
from seqlearn._docstrings import fill_doc
from seqlearn.data import (
    RaggedSteps,
    SequenceData,
    Sequences,
    check_float32_range,
    check_sequences,
)

__all__ = ["SequenceScaler"]

#: What the transformers return: sequences in the form they were given.
Output = np.ndarray | list[np.ndarray]


@dataclass
class _Form:
    """How the caller gave the sequences, so the output can come back alike."""

    array: bool  # ndarray / DataFrame in -> ndarray of the same ndim out
    tabular: bool  # 2-D (n_samples, n_timesteps): one feature per step
    one_d: bool  # list of (T_i,) sequences -> list of (T_i,) arrays


def _check_input(
    X, input_name: str = "X", dtype=np.float32, *, steps: bool = False
) -> tuple[SequenceData | RaggedSteps, _Form, object]:
    """Validate sequences with :func:`check_sequences` and remember their form.

    Also returns X itself, as an array if it was some other array-like.  With
    ``steps=True``, ragged sequences come back unpadded, as
    :class:`~seqlearn.data.RaggedSteps` (``check_sequences(pad=False)``): with
    one long sequence among many short ones, memory and time follow the data,
    not ``N x longest``.
    """
    if (
        hasattr(X, "__array__")
        and not isinstance(X, np.ndarray | list | tuple)
        and not hasattr(X, "iloc")
        and not (hasattr(X, "toarray") or hasattr(X, "tocsr"))
    ):
        X = np.asarray(X)  # array-likes that are not sequences of sequences
    data = check_sequences(X, input_name=input_name, dtype=dtype, pad=not steps)
    # check_sequences treats a list of equal-length 1-D sequences as a table too
    array = data.tabular or (isinstance(X, np.ndarray) and X.dtype != object)
    one_d = not array and all(np.ndim(s) == 1 for s in X)
    return data, _Form(array=array, tabular=data.tabular, one_d=one_d), X


# The fitted attributes that ``_validate(..., reset=True)`` sets (see fill_doc).
INPUT_ATTRIBUTES_DOC = """\
n_step_features_ : int
    Number of features per time step.
n_features_in_ : int
    Number of columns of a 2-D training array, else ``n_step_features_``.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Column names of a training DataFrame whose names are all strings.
input_kind_ : {"tabular", "sequence"}
    Whether ``fit`` saw a 2-D table (whose width ``transform`` then checks
    for 2-D input) or sequences."""


def _validate(
    estimator, X, *, reset: bool, dtype=np.float32, steps: bool = False
) -> tuple[SequenceData | RaggedSteps, _Form]:
    """Validate X for ``fit`` (``reset=True``) or against what ``fit`` saw.

    A 2-D table's columns count as its features, as for the estimators: after
    fitting on one, 2-D input must have the same columns (scikit-learn's own
    checks and messages via ``validate_data``).  Any input must have the
    fitted number of features per step.  ``steps`` is passed to
    :func:`_check_input`.
    """
    if not reset:
        check_is_fitted(estimator, "n_step_features_")
    data, form, X = _check_input(X, dtype=dtype, steps=steps)
    if reset:
        _record_input(estimator, data, X)
        return data, form
    if data.tabular and estimator.input_kind_ == "tabular":
        validate_data(estimator, X, reset=False, skip_check_array=True)
    if data.n_step_features != estimator.n_step_features_:
        raise ValueError(
            f"X has {data.n_step_features} features per step, but "
            f"{type(estimator).__name__} was fitted with "
            f"{estimator.n_step_features_}."
        )
    return data, form


def _record_input(estimator, data: SequenceData, X) -> None:
    """Set the attributes of INPUT_ATTRIBUTES_DOC from checked training input."""
    if data.tabular:  # first: its feature-name checks may still raise
        validate_data(estimator, X, reset=True, skip_check_array=True)
    estimator.input_kind_ = "tabular" if data.tabular else "sequence"
    estimator.n_step_features_ = data.n_step_features
    if not data.tabular:
        estimator.n_features_in_ = data.n_step_features
        estimator.__dict__.pop("feature_names_in_", None)


# The parameters of every sequence transformer's ``fit`` (see fill_doc).
FIT_PARAMETERS_DOC = """\
Parameters
----------
X : array-like of shape (n_samples, n_timesteps[, n_features]) or list \
of array-like
    Training sequences.
y : None
    Ignored."""


class SequenceTransformer(TransformerMixin, BaseEstimator):
    """Base of the transformers of sequences given in any form of ``check_sequences``.

    ``fit`` records the input's form and number of features, as every
    subclass needs; the tags declare 3-D input and float32 output.
    """

    @fill_doc(fit_parameters=FIT_PARAMETERS_DOC)
    def fit(self, X: Sequences, y: None = None) -> SequenceTransformer:
        """Check X and record its number of features.

        {fit_parameters}

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._validate_params()
        _validate(self, X, reset=True)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _check_output_container(estimator, form: _Form) -> None:
    """Refuse DataFrame output (``set_output``) for sequences a table cannot hold.

    Only a transformer fitted on and given a 2-D table returns one.
    """
    container = get_output_config("transform", estimator)["dense"]
    if container != "default" and not (
        form.tabular and estimator.input_kind_ == "tabular"
    ):
        raise ValueError(
            f"{type(estimator).__name__} is set to return {container} DataFrames "
            "(set_output or the transform_output config), which hold only 2-D "
            "tables: fit and transform it on 2-D tables (one column per step), "
            "or call set_output(transform='default') to get 3-D or ragged "
            "sequences back as arrays."
        )


def _restore(values: np.ndarray, lengths: np.ndarray, form: _Form):
    """Turn padded ``(N, L, F)`` values back into the caller's form."""
    if form.array:
        return values[:, :, 0] if form.tabular else values
    return _restore_steps(
        values[np.arange(values.shape[1]) < lengths[:, None]], lengths, form
    )


def _restore_steps(steps: np.ndarray, lengths: np.ndarray, form: _Form):
    """Split concatenated ``(n_real_steps, F)`` values into the caller's sequences."""
    seqs = np.split(steps, np.cumsum(lengths)[:-1])
    return [s[:, 0] for s in seqs] if form.one_d else seqs


def _real_steps(data: SequenceData | RaggedSteps) -> np.ndarray:
    """Return the ``(n_real_steps, F)`` values, padding left out."""
    if isinstance(data, RaggedSteps):
        return data.steps
    if (data.lengths == data.values.shape[1]).all():
        return data.values.reshape(-1, data.values.shape[2])
    return data.values[np.arange(data.values.shape[1]) < data.lengths[:, None]]


def _non_constant(scale: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Replace (numerically) zero spreads by 1, as scikit-learn's scalers do."""
    eps = 10 * np.finfo(np.float64).eps
    return np.where(scale <= eps * np.maximum(1.0, np.abs(level)), 1.0, scale)


def _per_sequence_stats(data: SequenceData | RaggedSteps, method: str):
    """Statistics of each sequence over its own real steps, shape ``(N, 1, F)``."""
    if isinstance(data, RaggedSteps):  # reduced over each sequence's steps
        steps, starts = np.asarray(data.steps, dtype=np.float64), data.starts
        if method == "standard":
            n = data.lengths[:, None]
            mean = np.add.reduceat(steps, starts, axis=0) / n
            dev = (steps - np.repeat(mean, data.lengths, axis=0)) ** 2
            var = np.add.reduceat(dev, starts, axis=0) / n
            return mean[:, None], np.sqrt(var)[:, None]
        low = np.minimum.reduceat(steps, starts, axis=0)
        return low[:, None], np.maximum.reduceat(steps, starts, axis=0)[:, None]
    values = np.asarray(data.values, dtype=np.float64)
    mask = (np.arange(values.shape[1]) < data.lengths[:, None])[:, :, None]
    if method == "standard":
        n = data.lengths[:, None, None]
        mean = np.where(mask, values, 0.0).sum(axis=1, keepdims=True) / n
        var = np.where(mask, (values - mean) ** 2, 0.0).sum(axis=1, keepdims=True) / n
        return mean, np.sqrt(var)
    low = np.where(mask, values, np.inf).min(axis=1, keepdims=True)
    high = np.where(mask, values, -np.inf).max(axis=1, keepdims=True)
    return low, high


def _check_statistics(shift, spread, method: str, what: str) -> None:
    """Reject statistics that overflowed float64: they would scale to 0 or NaN."""
    bad = ~(np.isfinite(shift) & np.isfinite(spread))
    if bad.any():
        pos = np.unravel_index(int(np.argmax(bad)), bad.shape)
        where = f"sequence {pos[0]}, " if bad.ndim > 1 else ""
        stat = "mean or variance" if method == "standard" else "range (max - min)"
        raise ValueError(
            f"The {stat} of {what} overflows float64 ({where}feature {pos[-1]}); "
            "rescale the data first (divide by a constant or take a log)."
        )


def _check_scaled(values: np.ndarray, lengths: np.ndarray) -> None:
    """Reject scaled values that the float32 output cannot hold (inf).

    Padding steps, dropped from the output, are set to 0 first.
    """
    values[np.arange(values.shape[1]) >= lengths[:, None]] = 0.0
    check_float32_range(values, "The scaled X")


@fill_doc(input_attributes=INPUT_ATTRIBUTES_DOC)
class SequenceScaler(OneToOneFeatureMixin, SequenceTransformer):
    """Standardise or min-max scale each feature over the real steps of sequences.

    The statistics of each feature are taken over every real time step of every
    training sequence, never over padding, so ragged and padded input give the
    same result.  With ``per_sequence=True`` each sequence is instead scaled
    by its own statistics at transform time (instance normalisation).

    Parameters
    ----------
    method : {"standard", "minmax"}, default="standard"
        ``"standard"`` maps each feature to zero mean and unit variance;
        ``"minmax"`` maps its training range onto ``feature_range``.
    per_sequence : bool, default=False
        Scale every sequence by its own statistics (computed in ``transform``)
        instead of by those of the training set.
    feature_range : tuple (min, max), default=(0, 1)
        Target range of ``method="minmax"``.

    Attributes
    ----------
    mean_ : ndarray of shape (n_step_features,)
        Mean of each feature (``method="standard"``, ``per_sequence=False``).
    var_ : ndarray of shape (n_step_features,)
        Variance of each feature (same condition).
    scale_ : ndarray of shape (n_step_features,)
        Standard deviation of each feature, 1 for constant features (same
        condition).
    data_min_, data_max_ : ndarray of shape (n_step_features,)
        Minimum and maximum of each feature (``method="minmax"``,
        ``per_sequence=False``).
    {input_attributes}

    See Also
    --------
    sklearn.preprocessing.StandardScaler : The same for tabular data.

    Notes
    -----
    Accepted input, returned in the same form: a 3-D array ``(n_samples,
    n_timesteps, n_features)``; a 2-D array ``(n_samples, n_timesteps)`` of
    univariate sequences (each column is a time step of one feature, so the
    statistics run over all entries); a list of ``(T_i, n_features)`` or
    ``(T_i,)`` arrays.  Statistics are computed in float64; ``transform``
    returns float32 (what the estimators take), ``inverse_transform``
    float64.  Constant features (and constant
    sequences with ``per_sequence=True``) get a scale of 1, as in
    scikit-learn.

    ``inverse_transform`` with ``per_sequence=True`` needs the statistics of
    each sequence: pass the unscaled sequences they came from as
    ``reference`` (e.g. the input windows, to bring per-window forecasts back
    to the original units).  ``transform`` accepts ``reference`` too, to scale
    (say) targets by the statistics of their input sequences.

    Values beyond float32 after scaling, and statistics that overflow float64,
    raise a ``ValueError``.  Output features match input features one to one,
    and ``get_feature_names_out`` names them (a 2-D table's columns, else the
    features of each step).  ``set_output(transform="pandas")`` returns a
    DataFrame for a 2-D table; for 3-D or ragged sequences, which a table
    cannot hold, ``transform`` then raises a ``ValueError``.

    Examples
    --------
    >>> import numpy as np
    >>> from seqlearn.preprocessing import SequenceScaler
    >>> X = [np.array([1.0, 2.0, 3.0]), np.array([5.0, 9.0])]
    >>> scaler = SequenceScaler(method="minmax").fit(X)
    >>> [s.tolist() for s in scaler.transform(X)]
    [[0.0, 0.125, 0.25], [0.5, 1.0]]
    >>> [s.tolist() for s in scaler.inverse_transform(scaler.transform(X))]
    [[1.0, 2.0, 3.0], [5.0, 9.0]]
    """

    _parameter_constraints: dict = {
        "method": [StrOptions({"standard", "minmax"})],
        "per_sequence": ["boolean"],
        "feature_range": [tuple, list],
    }

    def __init__(
        self,
        *,
        method: str = "standard",
        per_sequence: bool = False,
        feature_range: tuple[float, float] = (0, 1),
    ):
        self.method = method
        self.per_sequence = per_sequence
        self.feature_range = feature_range

    @fill_doc(fit_parameters=FIT_PARAMETERS_DOC)
    def fit(self, X: Sequences, y: None = None) -> SequenceScaler:
        """Compute the per-feature statistics over all real time steps.

        With ``per_sequence=True`` only the number of features is learned:
        ``transform`` scales each sequence by its own statistics.

        {fit_parameters}

        Returns
        -------
        self : SequenceScaler
            The fitted scaler.
        """
        self._validate_params()
        self._range()
        # statistics in float64: float32 would lose a large offset's digits
        data, _, X = _check_input(X, dtype=np.float64, steps=True)
        stats = {} if self.per_sequence else self._statistics(_real_steps(data))
        _record_input(self, data, X)  # only now: a failed fit changes nothing
        for name in ("mean_", "var_", "scale_", "data_min_", "data_max_"):
            self.__dict__.pop(name, None)  # a refit with other params starts clean
        for name, value in stats.items():
            setattr(self, name, value)
        return self

    def _statistics(self, steps: np.ndarray) -> dict[str, np.ndarray]:
        """Return the fitted attributes of the ``(n_real_steps, F)`` values."""
        with np.errstate(over="ignore", invalid="ignore"):  # checked below
            if self.method == "standard":
                mean = steps.mean(axis=0, dtype=np.float64)
                var = steps.var(axis=0, dtype=np.float64)
                _check_statistics(mean, var, self.method, "X")
                scale = _non_constant(np.sqrt(var), mean)
                return {"mean_": mean, "var_": var, "scale_": scale}
            low = steps.min(axis=0).astype(np.float64)
            high = steps.max(axis=0).astype(np.float64)
            _check_statistics(low, high - low, self.method, "X")
        return {"data_min_": low, "data_max_": high}

    def _range(self) -> tuple[float, float]:
        try:
            low, high = (float(v) for v in self.feature_range)
        except (TypeError, ValueError):
            raise ValueError(
                f"feature_range must be a pair of numbers, got {self.feature_range!r}."
            ) from None
        if not low < high:
            raise ValueError(
                f"feature_range must be (min, max) with min < max, got "
                f"{self.feature_range!r}."
            )
        return low, high

    def _affine(self, X, reference):
        """``(shift, divisor, offset)`` with ``Xt = (X - shift) / divisor + offset``.

        Ragged X comes back unpadded (a :class:`~seqlearn.data.RaggedSteps`);
        per-sequence statistics then come one row per step.
        """
        data, form = _validate(self, X, reset=False, dtype=np.float64, steps=True)
        low, high = self._range()
        if not self.per_sequence:
            if reference is not None:
                raise ValueError("reference is only used with per_sequence=True.")
            if self.method == "standard":
                shift, spread = self.mean_, self.scale_
            else:
                shift = self.data_min_
                spread = _non_constant(self.data_max_ - self.data_min_, shift)
        else:
            ref = data
            if reference is not None:
                ref, _, _ = _check_input(
                    reference, input_name="reference", dtype=np.float64, steps=True
                )
                if ref.n_samples != data.n_samples or (
                    ref.n_step_features != data.n_step_features
                ):
                    raise ValueError(
                        f"reference holds {ref.n_samples} sequences of "
                        f"{ref.n_step_features} features; X holds "
                        f"{data.n_samples} of {data.n_step_features}."
                    )
            with np.errstate(over="ignore", invalid="ignore"):  # checked below
                shift, second = _per_sequence_stats(ref, self.method)
                spread = second if self.method == "standard" else second - shift
            what = "X" if reference is None else "reference"
            _check_statistics(shift, spread, self.method, what)
            spread = _non_constant(spread, shift)
            if isinstance(data, RaggedSteps):  # one row per step of data.steps
                shift = np.repeat(shift[:, 0], data.lengths, axis=0)
                spread = np.repeat(spread[:, 0], data.lengths, axis=0)
        if self.method == "standard":
            return data, form, shift, spread, 0.0
        return data, form, shift, spread / (high - low), low

    def transform(self, X: Sequences, reference: Sequences | None = None) -> Output:
        """Scale the sequences in X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list \
of array-like
            Sequences to scale.
        reference : array-like or list, default=None
            With ``per_sequence=True``, sequences whose own statistics scale
            the matching sequence of X (default: X itself).

        Returns
        -------
        Xt : ndarray or list of ndarray, float32
            Scaled sequences, in the form of X.
        """
        data, form, shift, spread, offset = self._affine(X, reference)
        _check_output_container(self, form)
        if isinstance(data, RaggedSteps):  # a fresh array: scaled in place
            values = data.steps
            with np.errstate(over="ignore"):  # checked below
                values -= shift
                values /= spread
                values += offset
            check_float32_range(values, "The scaled X", data.lengths)
            return _restore_steps(values.astype(np.float32), data.lengths, form)
        with np.errstate(over="ignore"):  # checked below
            values = (data.values - shift) / spread + offset
        _check_scaled(values, data.lengths)
        return _restore(values.astype(np.float32), data.lengths, form)

    def inverse_transform(
        self, X: Sequences, reference: Sequences | None = None
    ) -> Output:
        """Undo the scaling.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list \
of array-like
            Scaled sequences.
        reference : array-like or list, default=None
            Required with ``per_sequence=True``: the unscaled sequences whose
            statistics scaled X.

        Returns
        -------
        X_original : ndarray or list of ndarray, float64
            Sequences in the original units, in the form of X (float64, so a
            large offset keeps its digits).
        """
        check_is_fitted(self, "n_step_features_")
        if self.per_sequence and reference is None:
            raise ValueError(
                "With per_sequence=True the statistics of each sequence are not "
                "stored; pass the unscaled sequences as reference=."
            )
        data, form, shift, spread, offset = self._affine(X, reference)
        if isinstance(data, RaggedSteps):  # a fresh array: unscaled in place
            values = data.steps
            values -= offset
            values *= spread
            values += shift
            return _restore_steps(values, data.lengths, form)
        values = (data.values - offset) * spread + shift
        return _restore(values, data.lengths, form)
