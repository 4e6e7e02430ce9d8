"""Regression tests for issue 16's numbered problems (ordinary use must not crash).

Each test is named after the problem it pins down.  Problems 2, 3, 6 and 7
(Ctrl-C, divergence, late parameter validation, the global RNG) live in the
training core and are tested in tests/test_base.py.
"""

import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from seqlearn import CharRNN, RNNClassifier, SequenceRegressor, SequenceTagger
from seqlearn.data import check_sequences
from seqlearn.preprocessing import (
    OneHotSequenceEncoder,
    VocabularyEncoder,
    WindowTransformer,
    make_windows,
)

TINY = {"hidden_size": 3, "max_epochs": 1, "random_state": 0}


# ------------------------------------------------------------------ problem 1
@pytest.mark.parametrize(
    "est, y",
    [
        (RNNClassifier(**TINY), [0, 1] * 6),
        (SequenceRegressor(**TINY), [0.0, 1.0] * 6),
        (SequenceTagger(**TINY), [[0, 1, 0], [1, 1, 0]] * 6),
    ],
    ids=["classifier", "regressor", "tagger"],
)
def test_problem1_plain_list_predict(est, y):
    X = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]] * 6
    est.fit(X, y)
    assert est.input_kind_ == "tabular"
    assert est.n_features_in_ == 3
    from_list = est.predict(X)
    np.testing.assert_array_equal(np.asarray(from_list), est.predict(np.array(X)))
    assert np.shape(from_list)[0] == 12
    # the list is a table of 3 columns: another width is sklearn's error
    with pytest.raises(ValueError, match="3 features"):
        est.predict([[0.1, 0.2], [0.3, 0.4]])


def test_problem1_list_of_rows_is_a_table():
    from seqlearn.data import _is_2d_table

    assert _is_2d_table([[1, 2], [3, 4]])
    assert _is_2d_table(([1.0, 2.0], (3.0, 4.0)))
    # a list of 1-D arrays is ragged sequences, even at equal lengths
    assert not _is_2d_table((np.ones(3), np.zeros(3)))
    assert not _is_2d_table([[1, 2], [3]])  # ragged
    assert not _is_2d_table([np.ones((2, 1)), np.ones((2, 1))])  # sequences
    assert not _is_2d_table([])
    assert not _is_2d_table(["ab", "cd"])


# ------------------------------------------------------------------ problem 4
@pytest.mark.parametrize("value", [1e39, -3.5e38, 1.7e308])
def test_problem4_values_beyond_float32(value):
    X = np.zeros((4, 5, 2))
    X[1, 2, 1] = value
    with pytest.raises(ValueError, match=r"X\[1\]\[2, 1\] = .*float32 range"):
        check_sequences(X)
    ragged = [np.zeros((3, 2)), np.zeros((4, 2))]
    ragged[1][2, 0] = value
    with pytest.raises(ValueError, match=re.escape(f"X[1][2, 0] = {value!r}")):
        check_sequences(ragged)
    clf = RNNClassifier(**TINY).fit(np.zeros((4, 5, 2)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="float32 range"):
        clf.predict(X)
    with pytest.raises(ValueError, match="float32 range"):
        RNNClassifier(**TINY).fit(X, [0, 1, 0, 1])


def test_problem4_float32_edge_is_accepted():
    big = float(np.finfo(np.float32).max)
    data = check_sequences(np.array([[big, -big, 1.0]]))
    assert np.isfinite(data.values).all()


def test_problem4_regressor_large_y():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 4, 1))
    y = rng.normal(size=20) * 1e20  # its float32 square overflows
    reg = SequenceRegressor(**TINY).fit(X, y)
    assert np.isfinite(reg.y_scale_).all() and reg.y_scale_[0] > 1e19
    assert np.isfinite(reg.predict(X)).all()
    y[3] = 1e39
    with pytest.raises(ValueError, match=r"y\[3\] = 1e\+39"):
        SequenceRegressor(**TINY).fit(X, y)


# ------------------------------------------------------------------ problem 5
def test_problem5_token_id_beyond_num_embeddings():
    X = [[1, 2, 3], [4, 0, 7, 2]]
    clf = RNNClassifier(**TINY, embedding_dim=2, num_embeddings=5)
    # id 7 at raw position [1][2] (after a padding 0), not torch's IndexError
    with pytest.raises(
        ValueError, match=r"X\[1\]\[2\] is token id 7.*num_embeddings=5"
    ):
        clf.fit(X, [0, 1])
    clf = RNNClassifier(**TINY, embedding_dim=2).fit(X, [0, 1])
    assert clf.num_embeddings_ == 8
    with pytest.raises(ValueError, match=r"X\[0\]\[1\] is token id 9"):
        clf.predict([[1, 9]])


def test_problem5_huge_token_id_allocates_nothing():
    X = [[1, 2, 3], [4, 10**12]]
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"X\[1\]\[1\] is token id 1000000000000"):
        RNNClassifier(**TINY, embedding_dim=2).fit(X, [0, 1])
    assert time.perf_counter() - start < 5


# ------------------------------------------------------------------ problem 9
def test_problem9_onehot_inverse_transform_nan_rows():
    enc = OneHotSequenceEncoder().fit(["abc"])
    Xt = enc.transform(["ab", "cab"])
    Xt[1][2, 0] = np.nan
    with pytest.raises(ValueError, match=r"X\[1\]\[2\] contains NaN"):
        enc.inverse_transform(Xt)
    # all-zero rows still decode to None, real rows to their symbol
    Xt[1][2] = 0
    assert enc.inverse_transform(Xt)[1].tolist() == ["c", "a", None]


def test_problem9_make_windows_rejects_complex():
    series = np.arange(10) + 1j * np.arange(10)
    with pytest.raises(ValueError, match="complex"):
        make_windows(series, window=3)
    with pytest.raises(ValueError, match="complex"):
        WindowTransformer(window=3).fit_transform(series[None, :])


@pytest.mark.parametrize("dtype", ["foo", object, str, "U3", None.__class__])
def test_problem9_onehot_dtype_is_validated(dtype):
    with pytest.raises(InvalidParameterError, match="'dtype' parameter"):
        OneHotSequenceEncoder(dtype=dtype).fit(["ab"])


@pytest.mark.parametrize("dtype", [np.float64, "float16", bool, np.int8])
def test_problem9_onehot_numeric_dtypes_still_work(dtype):
    out = OneHotSequenceEncoder(dtype=dtype).fit(["ab"]).transform(["ba"])
    assert out[0].dtype == np.dtype(dtype)


def test_problem9_token_pattern_is_validated():
    enc = VocabularyEncoder(token_pattern="(")
    with pytest.raises(InvalidParameterError, match="'token_pattern'.*'\\('"):
        enc.fit(["a b"])
    # a tokenizer or the char analyzer make the pattern irrelevant
    VocabularyEncoder(token_pattern="(", analyzer="char").fit(["a b"])


def test_problem9_crf_predict_3d_array_no_warning():
    # torch warns about a read-only array once per process: a fresh one
    code = """
import warnings
import numpy as np
from seqlearn import SequenceTagger
X = np.random.default_rng(0).normal(size=(6, 4, 2))
y = np.tile([0, 1, 1, 0], (6, 1))
tagger = SequenceTagger(hidden_size=3, max_epochs=1, crf=True).fit(X, y)
warnings.simplefilter("error")
assert tagger.predict(X).shape == (6, 4)
assert tagger.predict_proba(X).shape == (6, 4, 2)
"""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr[-600:]


@pytest.fixture(scope="module")
def charrnn():
    return CharRNN(hidden_size=8, max_epochs=1, seq_len=8, random_state=0).fit(
        "abcabcabd " * 10
    )


@pytest.mark.parametrize("temperature", [1e-320, 5e-324, 1e-300])
def test_problem9_generate_tiny_temperature(charrnn, temperature):
    text = charrnn.generate(20, prime="ab", temperature=temperature, random_state=0)
    assert len(text) == 22
    # near zero temperature is greedy decoding: the seed does not matter
    again = charrnn.generate(20, prime="ab", temperature=temperature, random_state=9)
    assert text == again


@pytest.mark.parametrize("n_chars", [True, False, 2.0, "3"])
def test_problem9_generate_rejects_non_integer_n_chars(charrnn, n_chars):
    with pytest.raises(ValueError, match="n_chars"):
        charrnn.generate(n_chars)


def test_predict_memory_is_bounded_for_many_short_sequences(peak_memory):
    # issue 16: predicting 200,000 short ragged sequences peaked at 9.3x the
    # input; the padded array is now filled chunk by chunk
    from seqlearn import RNNClassifier

    rng = np.random.default_rng(0)
    X = [rng.normal(size=(t, 3)) for t in rng.integers(3, 12, size=100_000)]
    size = sum(x.nbytes for x in X)
    y = np.arange(2000) % 2
    clf = RNNClassifier(hidden_size=8, max_epochs=1, random_state=0).fit(X[:2000], y)
    peak = peak_memory(lambda: clf.predict_proba(X))
    assert peak <= 3 * size, peak / size
