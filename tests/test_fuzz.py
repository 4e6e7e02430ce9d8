"""Hypothesis fuzzing: odd inputs give a clean result or a ValueError/TypeError.

Every test feeds generated inputs (arrays of any rank and dtype, ragged lists,
NaN, infinity, values beyond float32, empty sequences, mismatched targets,
strings, None...) to an entry point.  A test passes when each call either
returns or raises ``ValueError``/``TypeError`` (scikit-learn's
``InvalidParameterError`` and ``NotFittedError`` are both); any other exception
(AttributeError, IndexError, RuntimeError from torch...) is a bug.  Examples
are derandomised so a run is reproducible; the default run draws about 1,100
inputs with tiny networks (``max_epochs=1``), the ``slow`` ones a few hundred
more.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import seqlearn
from seqlearn import (
    CharRNN,
    RNNClassifier,
    RNNForecaster,
    SequenceRegressor,
    SequenceTagger,
)
from seqlearn.data import check_sequences
from seqlearn.preprocessing import (
    OneHotSequenceEncoder,
    SequenceScaler,
    VocabularyEncoder,
    WindowTransformer,
    make_windows,
)

CLEAN_ERRORS = (ValueError, TypeError)
TINY = {
    "hidden_size": 2,
    "max_epochs": 1,
    "batch_size": 4,
    "random_state": 0,
    "n_threads": 1,
}


def fuzz(n):
    """Hypothesis settings of a fuzz test drawing ``n`` inputs."""
    return settings(
        max_examples=n,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def clean(call, *args, **kwargs):
    """Run ``call``; return its result, or None after a ValueError/TypeError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call(*args, **kwargs)
        except CLEAN_ERRORS:
            return None


# ---------------------------------------------------------------- strategies
# Most examples are well-formed (so fit and predict run deep); about one in
# four is hostile: odd values, dtypes, shapes or containers.
ODD_FLOATS = st.sampled_from(
    [0.0, -0.0, np.nan, np.inf, -np.inf, 1e39, -3.5e38, 1.7e308, 5e-324, 3e38, 1e20]
)
PLAIN_FLOATS = st.floats(-10, 10, width=32)
ODD = st.integers(0, 3).map(lambda roll: roll == 0)


def floats(odd):
    return st.one_of(PLAIN_FLOATS, ODD_FLOATS) if odd else PLAIN_FLOATS


@st.composite
def numeric_arrays(draw, max_dims=4):
    """Arrays of rank 2-3 and float dtype, or (hostile) any rank and dtype."""
    if not draw(ODD):
        shape = draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=5))
        dtype = draw(st.sampled_from(["f8", "f4", "i8"]))
        elements = st.integers(-5, 5) if dtype == "i8" else PLAIN_FLOATS
        return draw(hnp.arrays(np.dtype(dtype), shape, elements=elements))
    shape = draw(
        hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=5)
    )
    kind = draw(st.sampled_from(["f8", "f4", "i8", "bool", "c16", "U2", "O"]))
    if kind in ("f8", "f4"):
        elements = floats(True).map(lambda v: np.float64(v).astype(kind).item())
    elif kind == "i8":
        elements = st.integers(-3, 3000)
    elif kind == "bool":
        elements = st.booleans()
    elif kind == "c16":
        elements = st.complex_numbers(max_magnitude=10, allow_nan=False)
    elif kind == "U2":
        elements = st.text(max_size=2)
    else:
        elements = st.one_of(floats(True), st.none(), st.text(max_size=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return draw(hnp.arrays(np.dtype(kind), shape, elements=elements))


@st.composite
def ragged(draw):
    """Lists of sequences of mixed lengths; hostile: empty, mixed widths, junk."""
    odd = draw(ODD)
    n = draw(st.integers(0 if odd else 1, 7))
    width = draw(st.integers(1, 3))
    seqs = []
    for _ in range(n):
        length = draw(st.integers(0 if odd else 1, 6))
        w = draw(st.integers(1, 3)) if odd and draw(st.booleans()) else width
        shape = (length,) if w == 1 and draw(st.booleans()) else (length, w)
        size = int(np.prod(shape))
        values = draw(st.lists(floats(odd), min_size=size, max_size=size))
        seq = np.asarray(values, dtype=np.float64).reshape(shape)
        roll = draw(st.integers(0, 9))
        if roll == 0:
            seq = seq.tolist()  # plain nested lists
        elif roll == 1 and odd:
            seq = draw(st.sampled_from([None, "ab", 3.0, {"a": 1}]))
        seqs.append(seq)
    return tuple(seqs) if odd and draw(st.booleans()) else seqs


@st.composite
def token_lists(draw):
    """Token id sequences (0 is padding); hostile: negatives, floats, NaN."""
    odd = draw(ODD)
    n = draw(st.integers(0 if odd else 1, 7))
    ids = st.integers(0, 40)
    if odd:
        ids = st.one_of(ids, st.sampled_from([-1, 2.5, 3.0, np.nan]))
    seqs = [draw(st.lists(ids, min_size=0 if odd else 1, max_size=6)) for _ in range(n)]
    return seqs if draw(st.booleans()) else [np.asarray(s) for s in seqs]


ANY_X = st.one_of(
    numeric_arrays(),
    ragged(),
    ragged(),
    st.lists(st.lists(PLAIN_FLOATS, min_size=3, max_size=3), min_size=1, max_size=6),
    st.sampled_from([None, "abc", 3, {"x": [1, 2]}, [], [[]], np.array([])]),
)


def _n(X):
    try:
        return len(X)
    except TypeError:
        return 3


@st.composite
def targets(draw, X, per_step=False, numeric=False):
    """A y for X: usually right; hostile: wrong length, odd or mixed labels."""
    odd = draw(ODD)
    n = max(_n(X) + (draw(st.sampled_from([-1, 1])) if odd else 0), 0)
    if numeric:
        labels = floats(odd)
    elif odd:
        labels = st.sampled_from([0, 1, "a", 1.5, True, None, np.nan])
    else:
        labels = st.sampled_from(draw(st.sampled_from([[0, 1], ["a", "b", "c"]])))
    if not per_step:
        if numeric and draw(st.booleans()):
            shape = (n, draw(st.integers(1, 2)))
            return draw(hnp.arrays(np.float64, shape, elements=labels))
        return draw(st.lists(labels, min_size=n, max_size=n))
    lengths = []
    for i in range(n):
        try:
            lengths.append(len(X[i]) + (draw(st.sampled_from([0, 1])) if odd else 0))
        except (TypeError, IndexError, KeyError):
            lengths.append(2)
    return [draw(st.lists(labels, min_size=k, max_size=k)) for k in lengths]


# ---------------------------------------------------------------- data layer
@fuzz(300)
@given(X=ANY_X, tokens=st.booleans())
def test_fuzz_check_sequences(X, tokens):
    data = clean(check_sequences, X, tokens=tokens)
    if data is not None:
        assert data.n_samples == len(data.lengths) >= 1
        assert (data.lengths >= 1).all()
        if not tokens:
            assert data.values.dtype == np.float32
            assert np.isfinite(data.values).all()


# ---------------------------------------------------------------- estimators
def _fit_predict(est, X, y, X_new):
    fitted = clean(est.fit, X, y)
    if fitted is None:
        return
    for data in (X, X_new):
        out = clean(est.predict, data)
        if out is not None and est._loss_kind == "mse":
            assert np.isfinite(np.asarray(out, dtype=float)).all()


@fuzz(150)
@given(data=st.data())
def test_fuzz_classifier(data):
    X = data.draw(ANY_X)
    y = data.draw(targets(X))
    _fit_predict(RNNClassifier(**TINY), X, y, data.draw(ANY_X))


@fuzz(100)
@given(data=st.data())
def test_fuzz_regressor(data):
    X = data.draw(ANY_X)
    y = data.draw(targets(X, numeric=True))
    _fit_predict(SequenceRegressor(**TINY), X, y, data.draw(ANY_X))


@fuzz(100)
@given(data=st.data())
def test_fuzz_tagger(data):
    X = data.draw(st.one_of(ANY_X, st.lists(st.lists(st.text(max_size=3), max_size=4))))
    y = data.draw(targets(X, per_step=True))
    crf = data.draw(st.booleans())
    _fit_predict(SequenceTagger(**TINY, crf=crf), X, y, data.draw(ANY_X))


@fuzz(100)
@given(data=st.data())
def test_fuzz_token_classifier(data):
    X = data.draw(token_lists())
    y = data.draw(targets(X))
    num = data.draw(st.sampled_from([None, 2, 10, 50]))
    est = RNNClassifier(**TINY, embedding_dim=2, num_embeddings=num)
    _fit_predict(est, X, y, data.draw(token_lists()))


# ---------------------------------------------------------------- transformers
TEXTS = st.one_of(
    st.lists(
        st.text(alphabet="ab cD.é", min_size=1, max_size=8), min_size=1, max_size=5
    ),
    st.lists(st.text(max_size=8), max_size=5),
    st.lists(st.lists(st.text(max_size=3), min_size=1, max_size=4), max_size=4),
    st.lists(st.one_of(st.text(max_size=3), st.none(), st.integers()), max_size=4),
    st.text(max_size=5),
    st.none(),
)


@fuzz(100)
@given(
    X=TEXTS,
    X_new=TEXTS,
    params=st.fixed_dictionaries(
        {
            "analyzer": st.sampled_from(["word", "word", "char", None, "bad"]),
            "token_pattern": st.sampled_from([r"\w+", r"\w+", "(", r"(\w)(\w)", ""]),
            "min_frequency": st.sampled_from([1, 1, 2, 0]),
            "max_tokens": st.sampled_from([None, None, 0, 3]),
            "max_length": st.sampled_from([None, None, 1, 3]),
            "bos_token": st.sampled_from([None, None, "<s>", "<pad>"]),
        }
    ),
)
def test_fuzz_vocabulary_encoder(X, X_new, params):
    enc = clean(VocabularyEncoder(**params).fit, X)
    if enc is not None:
        ids = clean(enc.transform, X_new)
        if ids is not None:
            clean(enc.inverse_transform, ids)
        clean(enc.inverse_transform, X_new)


@fuzz(100)
@given(
    X=TEXTS,
    Xt=st.one_of(ragged(), numeric_arrays()),
    handle_unknown=st.sampled_from(["error", "ignore", "ignore", "bad"]),
    dtype=st.sampled_from([np.float32, np.float32, "int8", bool, "foo", object]),
)
def test_fuzz_onehot_encoder(X, Xt, handle_unknown, dtype):
    enc = clean(
        OneHotSequenceEncoder(handle_unknown=handle_unknown, dtype=dtype).fit, X
    )
    if enc is not None:
        out = clean(enc.transform, X)
        if out is not None:
            clean(enc.inverse_transform, out)
        clean(enc.inverse_transform, Xt)


@fuzz(100)
@given(
    X=ANY_X,
    X_new=ANY_X,
    method=st.sampled_from(["standard", "minmax", "bad"]),
    per_sequence=st.booleans(),
    feature_range=st.sampled_from([(0, 1), (1, 0), (-1, 2)]),
)
def test_fuzz_sequence_scaler(X, X_new, method, per_sequence, feature_range):
    scaler = SequenceScaler(
        method=method, per_sequence=per_sequence, feature_range=feature_range
    )
    if clean(scaler.fit, X) is not None:
        for data in (X, X_new):
            out = clean(scaler.transform, data)
            if out is not None:
                clean(scaler.inverse_transform, out)


@fuzz(100)
@given(
    series=st.one_of(
        hnp.arrays(np.float64, st.integers(1, 30), elements=PLAIN_FLOATS),
        numeric_arrays(max_dims=3),
        ragged(),
    ),
    window=st.sampled_from([1, 2, 3, 3, 10, None, 0, 2.5, True]),
    horizon=st.sampled_from([1, 1, 2, 0, -1]),
    step=st.sampled_from([1, 1, 2, 0]),
)
def test_fuzz_windows(series, window, horizon, step):
    out = clean(make_windows, series, window=window, horizon=horizon, step=step)
    if out is not None:
        X, y = out
        assert len(X) == len(y)
    clean(WindowTransformer(window, step=step).fit_transform, series)


@fuzz(60)
@given(
    model=st.sampled_from(["vocabulary", "onehot", "scaler", "windows"]),
    X=st.lists(
        st.text(alphabet="ab c", min_size=1, max_size=6), min_size=1, max_size=4
    ),
)
def test_fuzz_save_load_transformers(tmp_path_factory, model, X):
    path = tmp_path_factory.mktemp("fuzz") / "m.seqlearn"
    if model == "vocabulary":
        est, data = VocabularyEncoder().fit(X), X
    elif model == "onehot":
        est, data = OneHotSequenceEncoder().fit(X), X
    else:
        data = [np.array([len(s), s.count("a")], dtype=float) for s in X] + [np.ones(2)]
        est = (SequenceScaler() if model == "scaler" else WindowTransformer(1)).fit(
            data
        )
    seqlearn.save(est, path)
    loaded = seqlearn.load(path)
    for a, b in zip(est.transform(data), loaded.transform(data), strict=True):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- slow part
@pytest.mark.slow
@fuzz(60)
@given(
    text=st.one_of(
        st.text(alphabet="ab c", min_size=2, max_size=40),
        st.text(max_size=40),
        st.lists(st.text(max_size=5), max_size=4),
    ),
    n_chars=st.sampled_from([0, 1, 3, 5, 5, 5, -1, True, 2.0, None]),
    prime=st.sampled_from(["", "", "a", "ab ", "zz", [1, 2]]),
    temperature=st.sampled_from([1.0, 1e-320, 0, -1, np.inf, np.nan, 1e300]),
    top_k=st.sampled_from([None, 1, 0, 100]),
)
def test_fuzz_charrnn(text, n_chars, prime, temperature, top_k):
    model = clean(
        CharRNN(hidden_size=2, max_epochs=1, seq_len=4, random_state=0).fit, text
    )
    if model is not None:
        out = clean(model.generate, n_chars, prime, temperature, top_k, random_state=0)
        if out is not None:
            assert len(out) == len(prime) + n_chars
        clean(model.score, text)


@pytest.mark.slow
@fuzz(60)
@given(
    y=st.one_of(
        hnp.arrays(np.float64, st.integers(0, 40), elements=floats(True)),
        hnp.arrays(np.float64, st.integers(10, 40), elements=PLAIN_FLOATS),
        hnp.arrays(
            np.float64,
            st.tuples(st.integers(0, 30), st.integers(1, 2)),
            elements=st.floats(-5, 5),
        ),
    ),
    window=st.sampled_from([1, 3, 8]),
    horizon=st.sampled_from([1, 2]),
    strategy=st.sampled_from(["multioutput", "recursive", "seq2seq"]),
    difference=st.sampled_from([0, 1]),
    calibration_size=st.sampled_from([None, 2, 5]),
)
def test_fuzz_forecaster(y, window, horizon, strategy, difference, calibration_size):
    est = RNNForecaster(
        window=window,
        horizon=horizon,
        strategy=strategy,
        difference=difference,
        calibration_size=calibration_size,
        multivariate=True,
        **TINY,
    )
    if clean(est.fit, pd.Series(y) if y.ndim == 1 else y) is not None:
        clean(est.predict)
        if calibration_size:
            clean(est.predict_interval, 0.8)


@pytest.mark.slow
@fuzz(300)
@given(data=st.data())
def test_fuzz_classifier_more(data):
    X = data.draw(st.one_of(ragged(), numeric_arrays(), token_lists()))
    y = data.draw(targets(X))
    params = data.draw(
        st.fixed_dictionaries(
            {
                "cell": st.sampled_from(["lstm", "gru", "rnn", "peephole"]),
                "bidirectional": st.booleans(),
                "pooling": st.sampled_from(["last", "mean", "max", "attention"]),
                "early_stopping": st.booleans(),
                "class_weight": st.sampled_from([None, "balanced", {0: 2.0}]),
            }
        )
    )
    _fit_predict(RNNClassifier(**TINY, **params), X, y, data.draw(ANY_X))
