import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.model_selection import GridSearchCV, KFold

from seqlearn.datasets import load_dutch_ner
from seqlearn.metrics import (
    edit_error_rate,
    entity_classification_report,
    entity_f1_score,
    entity_f1_scorer,
    entity_precision_recall_fscore_support,
    entity_precision_score,
    entity_recall_score,
    make_entity_scorer,
    sequence_accuracy,
    token_accuracy,
    token_accuracy_scorer,
)

seqeval_metrics = pytest.importorskip("seqeval.metrics")
seqeval_scheme = pytest.importorskip("seqeval.scheme")

AVERAGES = [None, "micro", "macro", "weighted"]
STRICT_SCHEMES = ["IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _seqeval(y_true, y_pred, scheme=None, suffix=False, average="micro"):
    """Precision, recall and F1 from seqeval itself."""
    kwargs = {"average": average, "suffix": suffix}
    if scheme is not None:
        kwargs.update(mode="strict", scheme=getattr(seqeval_scheme, scheme))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (
            seqeval_metrics.precision_score(y_true, y_pred, **kwargs),
            seqeval_metrics.recall_score(y_true, y_pred, **kwargs),
            seqeval_metrics.f1_score(y_true, y_pred, **kwargs),
        )


def _ours(y_true, y_pred, scheme=None, suffix=False, average="micro"):
    kwargs = {"average": average, "suffix": suffix, "scheme": scheme}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (
            entity_precision_score(y_true, y_pred, **kwargs),
            entity_recall_score(y_true, y_pred, **kwargs),
            entity_f1_score(y_true, y_pred, **kwargs),
        )


def _assert_same(y_true, y_pred, **kwargs):
    expected = _seqeval(y_true, y_pred, **kwargs)
    got = _ours(y_true, y_pred, **kwargs)
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-12, err_msg=str(kwargs))


# Lenient mode takes any string; these include malformed and odd tags.
LENIENT_LABELS = [
    "O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG",
    "E-PER", "S-LOC", "E-LOC", "S-PER", "B", "I", "E", "S", "B-PER-X",
    "I-PER-X", "I-X-PER", "B--PER", "X-PER", "PER", ".", "U-LOC", "L-LOC",
]  # fmt: skip
SUFFIX_LABELS = [
    "O", "O", "O", "PER-B", "PER-I", "LOC-B", "LOC-I", "PER-E", "LOC-S",
    "B", "I", "X-PER-B", "X-PER-I", "PER", "PER-X", "-B", "LOC--I",
]  # fmt: skip
TYPES = ["PER", "LOC", "ORG", "", "-", "PER-", "A-B"]


def _random_sequences(rng, labels, n_max=8, len_max=12):
    n = rng.integers(1, n_max + 1)  # seqeval rejects an empty list
    return [
        [str(x) for x in rng.choice(labels, size=rng.integers(0, len_max + 1))]
        for _ in range(n)
    ]


def _perturb(rng, y, labels, p=0.3):
    """Copy y and replace some labels at random, so predictions overlap."""
    out = []
    for seq in y:
        seq = list(seq)
        for i in range(len(seq)):
            if rng.random() < p:
                seq[i] = str(rng.choice(labels))
        out.append(seq)
    return out


def _strict_labels(scheme):
    prefixes = {
        "IOB1": "IOB",
        "IOB2": "IOB",
        "IOE1": "IOE",
        "IOE2": "IOE",
        "IOBES": "IOBES",
        "BILOU": "BILOU",
    }[scheme]
    labels = ["O", "O", "O", "O"]
    for p in prefixes.replace("O", ""):
        labels += [f"{p}-{t}" if t else p for t in TYPES]
    return labels


# ---------------------------------------------------------------------------
# token accuracy
# ---------------------------------------------------------------------------


def test_token_accuracy_ragged_and_rectangular():
    y_true = [np.array([1, 2, 3]), np.array([4])]
    y_pred = [[1, 2, 0], [4]]
    assert token_accuracy(y_true, y_pred) == 0.75
    y2 = np.array([["a", "b"], ["c", "d"]])
    assert token_accuracy(y2, y2) == 1.0
    assert token_accuracy(y2, np.array([["a", "x"], ["c", "x"]])) == 0.5
    # mixed types compare elementwise instead of failing
    assert token_accuracy([["1", "2"]], [[1, 2]]) == 0.0


def test_token_accuracy_weights_every_step():
    # long sequences weigh more than short ones: 3 of 4 steps right
    assert token_accuracy([[0, 0, 0], [1]], [[0, 0, 0], [2]]) == 0.75


@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        ([[1, 2]], [[1, 2], [3]], "numbers of sequences"),
        ([[1, 2], [3]], [[1, 2], [3, 4]], "sequence 1 has 1 true labels but 2"),
        ([[]], [[]], "at least one"),
        (["ab", "cd"], ["ab", "cd"], "element 0"),
        ([1, 2, 3], [1, 2, 3], "element 0"),
        ("abc", "abc", "string"),
    ],
)
def test_token_accuracy_errors(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        token_accuracy(y_true, y_pred)


def test_entity_scores_check_lengths():
    with pytest.raises(ValueError, match="different lengths"):
        entity_f1_score([["O", "B-PER"]], [["O"]])
    with pytest.raises(ValueError, match="numbers of sequences"):
        entity_f1_score([["O"]], [["O"], ["O"]])


# ---------------------------------------------------------------------------
# entity scores against seqeval
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("average", AVERAGES)
def test_lenient_matches_seqeval_random(average):
    rng = np.random.default_rng(0)
    for _ in range(100):
        y_true = _random_sequences(rng, LENIENT_LABELS)
        y_pred = _perturb(rng, y_true, LENIENT_LABELS)
        _assert_same(y_true, y_pred, average=average)


@pytest.mark.parametrize("average", AVERAGES)
def test_lenient_suffix_matches_seqeval_random(average):
    rng = np.random.default_rng(1)
    for _ in range(100):
        y_true = _random_sequences(rng, SUFFIX_LABELS)
        y_pred = _perturb(rng, y_true, SUFFIX_LABELS)
        _assert_same(y_true, y_pred, average=average, suffix=True)


@pytest.mark.parametrize("scheme", STRICT_SCHEMES)
@pytest.mark.parametrize("average", AVERAGES)
def test_strict_matches_seqeval_random(scheme, average):
    rng = np.random.default_rng(2)
    labels = _strict_labels(scheme)
    for _ in range(60):
        y_true = _random_sequences(rng, labels)
        y_pred = _perturb(rng, y_true, labels)
        _assert_same(y_true, y_pred, scheme=scheme, average=average)


@pytest.mark.parametrize(
    "y_true, y_pred",
    [
        ([["O", "I-PER"]], [["O", "B-PER"]]),  # I- after O
        ([["I-LOC", "I-PER"]], [["B-LOC", "B-PER"]]),  # type change inside
        ([["B-PER"]], [["I-PER"]]),  # single token entities
        ([["O", "B-X"]], [["B-X", "O"]]),  # entities at the very ends
        (
            [["B-PER", "I-PER"], ["I-PER", "O"]],
            [["B-PER", "I-PER", "I-PER"][:2], ["B-PER", "O"]],
        ),  # noqa: E501
        ([["B-PER"], ["I-PER"]], [["B-PER"], ["B-PER"]]),  # no chunk across sequences
        ([[]], [[]]),
        ([["O", "O"]], [["O", "O"]]),
        ([["B-PER", "I-LOC", "I-LOC"]], [["B-PER", "B-LOC", "I-LOC"]]),
    ],
)
def test_edge_cases_match_seqeval(y_true, y_pred):
    for average in AVERAGES:
        _assert_same(y_true, y_pred, average=average)
        _assert_same(y_true, y_pred, average=average, scheme="IOB2")
        _assert_same(y_true, y_pred, average=average, scheme="IOB1")


def test_lenient_and_strict_differ_on_invalid_chunks():
    y_true = [["I-PER", "I-PER", "O"]]
    y_pred = [["B-PER", "I-PER", "O"]]
    assert entity_f1_score(y_true, y_pred) == 1.0
    assert entity_f1_score(y_true, y_pred, scheme="IOB2", zero_division=0) == 0.0
    # scheme names are case-insensitive
    assert entity_f1_score(y_true, y_pred, scheme="iob2", zero_division=0) == 0.0


def test_strict_rejects_labels_outside_scheme():
    with pytest.raises(ValueError, match="Invalid label 'E-PER' for scheme IOB2"):
        entity_f1_score([["E-PER"]], [["O"]], scheme="IOB2")
    with pytest.raises(ValueError, match="scheme must be None or one of"):
        entity_f1_score([["O"]], [["O"]], scheme="XYZ")
    with pytest.raises(ValueError, match="average must be one of"):
        entity_f1_score([["O"]], [["O"]], average="samples")


@pytest.fixture(scope="module")
def dutch_tags():
    """Tags of the full data where available, else of the shipped sample."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return load_dutch_ner(max_length=None).tags


@pytest.mark.parametrize("scheme", [None, "IOB2", "IOB1"])
def test_matches_seqeval_on_dutch_ner(scheme, dutch_tags):
    # the real tags hold invalid chunks (I- after O); perturbing adds more
    y_true = dutch_tags
    rng = np.random.default_rng(3)
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
    y_pred = _perturb(rng, y_true, labels, p=0.05)
    kwargs = {} if scheme is None else {"scheme": getattr(seqeval_scheme, scheme)}
    expected_prfs = (
        seqeval_metrics.v1.precision_recall_fscore_support
        if scheme
        else seqeval_metrics.sequence_labeling.precision_recall_fscore_support
    )
    for average in (None, "micro"):
        expected = expected_prfs(y_true, y_pred, average=average, **kwargs)
        got = entity_precision_recall_fscore_support(
            y_true, y_pred, scheme=scheme, average=average
        )
        for e, g in zip(expected, got, strict=True):
            np.testing.assert_allclose(g, e, rtol=0, atol=1e-12)
    assert entity_f1_score(y_true, y_true, scheme=scheme) == 1.0


def test_accepts_arrays_and_2d_input():
    y_true = np.array([["B-PER", "I-PER", "O"], ["O", "B-LOC", "O"]])
    y_pred = np.array([["B-PER", "I-PER", "O"], ["O", "O", "O"]])
    as_lists = y_true.tolist(), y_pred.tolist()
    expected = entity_f1_score(*as_lists)
    assert entity_f1_score(y_true, y_pred) == expected
    assert entity_f1_score(list(y_true), list(y_pred)) == expected
    assert expected == pytest.approx(2 / 3)


def test_zero_division():
    y_true, y_pred = [["B-PER", "O"]], [["O", "O"]]
    with pytest.warns(UndefinedMetricWarning):
        assert entity_precision_score(y_true, y_pred) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert entity_precision_score(y_true, y_pred, zero_division=1.0) == 1.0
        assert entity_recall_score(y_true, y_pred, zero_division=0.0) == 0.0


def test_precision_recall_fscore_support_per_type():
    y_true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    y_pred = [["B-PER", "I-PER", "O", "B-PER"], ["B-ORG", "O"]]
    p, r, f, s = entity_precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    # types sorted by name: LOC, ORG, PER
    np.testing.assert_allclose(p, [0.0, 1.0, 0.5])
    np.testing.assert_allclose(r, [0.0, 1.0, 1.0])
    np.testing.assert_allclose(f, [0.0, 1.0, 2 / 3])
    np.testing.assert_array_equal(s, [1, 1, 1])


# ---------------------------------------------------------------------------
# classification report
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", [None, "IOB2", "IOBES"])
@pytest.mark.parametrize("digits", [2, 4])
def test_report_matches_seqeval(scheme, digits):
    rng = np.random.default_rng(4)
    labels = LENIENT_LABELS if scheme is None else _strict_labels(scheme)
    kwargs = {}
    if scheme is not None:
        kwargs = {"mode": "strict", "scheme": getattr(seqeval_scheme, scheme)}
    n_checked = 0
    for _ in range(40):
        y_true = _random_sequences(rng, labels, n_max=6)
        y_pred = _perturb(rng, y_true, labels)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours_dict = entity_classification_report(
                y_true, y_pred, scheme=scheme, output_dict=True
            )
            try:
                expected = seqeval_metrics.classification_report(
                    y_true, y_pred, digits=digits, **kwargs
                )
            except ValueError:  # seqeval fails on inputs without any entity
                continue
            expected_dict = seqeval_metrics.classification_report(
                y_true, y_pred, output_dict=True, **kwargs
            )
            ours = entity_classification_report(
                y_true, y_pred, scheme=scheme, digits=digits
            )
        assert ours == expected
        assert list(ours_dict) == list(expected_dict)
        for row, values in expected_dict.items():
            for key, value in values.items():
                np.testing.assert_allclose(ours_dict[row][key], value)
        n_checked += 1
    assert n_checked > 10


def test_report_on_dutch_ner(dutch_tags):
    y_true = dutch_tags[::4]
    report = entity_classification_report(y_true, y_true)
    assert report == seqeval_metrics.classification_report(y_true, y_true)
    assert "PER" in report and "LOC" in report and "ORG" in report


def test_report_without_entities():
    report = entity_classification_report(
        [["O", "O"]], [["O", "O"]], output_dict=True, zero_division=0
    )
    assert set(report) == {"micro avg", "macro avg", "weighted avg"}
    assert report["micro avg"]["f1-score"] == 0.0


# ---------------------------------------------------------------------------
# scorers
# ---------------------------------------------------------------------------


class _MemoTagger(BaseEstimator):
    """Predicts the tags seen for each token in training, else ``default``.

    ``predict`` returns a list for ragged input and a 2-D array for
    rectangular input, as seqlearn's SequenceTagger does.
    """

    def __init__(self, default="O"):
        self.default = default

    def fit(self, X, y):
        self.memory_ = {}
        for tokens, tags in zip(X, y, strict=True):
            self.memory_.update(zip(tokens, tags, strict=True))
        return self

    def predict(self, X):
        pred = [
            np.array([self.memory_.get(t, self.default) for t in tokens])
            for tokens in X
        ]
        if isinstance(X, np.ndarray) and X.ndim == 2:
            return np.stack(pred)
        return pred


@pytest.mark.parametrize("scorer", [token_accuracy_scorer, entity_f1_scorer])
def test_scorers_in_grid_search_ragged(scorer):
    data = load_dutch_ner("sample")
    X, y = data.tokens, data.tags
    search = GridSearchCV(
        _MemoTagger(),
        {"default": ["O", "B-LOC"]},
        scoring=scorer,
        cv=KFold(3),
    )
    search.fit(X, y)
    # the scorer applied to one fold equals the metric on that fold's predictions
    train, test = next(KFold(3).split(X))
    est = _MemoTagger().fit([X[i] for i in train], [y[i] for i in train])
    y_test = [y[i] for i in test]
    y_hat = est.predict([X[i] for i in test])
    metric = token_accuracy if scorer is token_accuracy_scorer else entity_f1_score
    expected = metric(y_test, y_hat)
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(expected)
    assert 0.0 < search.best_score_ <= 1.0


def test_scorers_rectangular_input():
    X = np.array([["Jan", "in", "Gent"], ["Piet", "uit", "Gent"]] * 3)
    y = np.array([["B-PER", "O", "B-LOC"], ["B-PER", "O", "B-LOC"]] * 3)
    est = _MemoTagger().fit(X, y)
    assert isinstance(est.predict(X), np.ndarray)
    assert token_accuracy_scorer(est, X, y) == 1.0
    assert entity_f1_scorer(est, X, y) == 1.0
    assert make_entity_scorer(scheme="IOB2", average="macro")(est, X, y) == 1.0
    est.memory_["Gent"] = "O"
    assert entity_f1_scorer(est, X, y) == pytest.approx(2 / 3)
    assert token_accuracy_scorer(est, X, list(y)) == pytest.approx(2 / 3)


def test_scorers_pickle():
    for scorer in (
        token_accuracy_scorer,
        entity_f1_scorer,
        make_entity_scorer("IOBES", "weighted"),
    ):
        clone = pickle.loads(pickle.dumps(scorer))
        assert repr(clone) == repr(scorer)


def test_entity_scorer_no_prediction_scores_zero_silently():
    X = [["a", "b"]] * 4
    y = [["B-PER", "O"]] * 4
    est = _MemoTagger().fit(X, [["O", "O"]] * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert entity_f1_scorer(est, X, y) == 0.0


@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
def test_entity_scorer_of_a_fold_without_entities_is_zero(average):
    # the macro and weighted averages over no entity type were NaN, which a
    # search cannot rank
    X = [["a", "b"]] * 4
    est = _MemoTagger().fit(X, [["O", "O"]] * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert make_entity_scorer(average=average)(est, X, [["O", "O"]] * 4) == 0.0


def test_make_entity_scorer_validates():
    with pytest.raises(ValueError, match="average"):
        make_entity_scorer(average=None)
    with pytest.raises(ValueError, match="scheme"):
        make_entity_scorer(scheme="nope")


# ---------------------------------------------------------------------------
# sequence-to-sequence outputs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "y_true, y_pred",
    [
        (["abc"], [["a", "b", "c"]]),
        ([["a", "b", "c"]], ["abc"]),
        ([("K", "AE", "T")], [np.array(["K", "AE", "T"])]),
        ([[1, 2]], [np.array([1, 2])]),
    ],
)
def test_sequence_scores_compare_token_sequences(y_true, y_pred):
    # a string is the sequence of its characters, in both scores
    assert sequence_accuracy(y_true, y_pred) == 1.0
    assert edit_error_rate(y_true, y_pred) == 0.0


@pytest.mark.parametrize(
    "y_true, y_pred, error, match",
    [
        (None, None, TypeError, "y_true must be a list of outputs.*NoneType"),
        (["a"], 3, TypeError, "y_pred must be a list of outputs.*int"),
        ([1, 2], [1, 2], TypeError, r"y_true\[0\] is 1 \(int\)"),
        (["ab"], [None], TypeError, r"y_pred\[0\] is None"),
        ("ab", ["ab"], ValueError, "single string"),
        (["ab"], ["ab", "c"], ValueError, "different numbers"),
    ],
)
def test_sequence_scores_reject_what_is_not_outputs(y_true, y_pred, error, match):
    for score in (sequence_accuracy, edit_error_rate):
        with pytest.raises(error, match=match):
            score(y_true, y_pred)


def test_token_accuracy_accepts_dataframes():
    # SequenceTagger.fit takes a DataFrame of labels: so do the metrics
    pd = pytest.importorskip("pandas")
    y_true = [["O", "B-PER", "I-PER"], ["O", "O", "O"]]
    y_pred = [["O", "B-PER", "O"], ["O", "O", "O"]]
    expected = token_accuracy(y_true, y_pred)
    assert token_accuracy(pd.DataFrame(y_true), y_pred) == expected
    assert token_accuracy(pd.DataFrame(y_true), pd.DataFrame(y_pred)) == expected
    assert entity_f1_score(pd.DataFrame(y_true), y_pred) == entity_f1_score(
        y_true, y_pred
    )


def test_macro_average_of_no_entities_leaves_warning_filters_alone(monkeypatch):
    # catch_warnings is not thread-safe: scoring from threads could leave its
    # filter installed for good
    calls, catch_warnings = [], warnings.catch_warnings

    def unsafe(*args, **kwargs):
        calls.append(args)
        return catch_warnings(*args, **kwargs)

    monkeypatch.setattr(warnings, "catch_warnings", unsafe)
    p, r, f, n = entity_precision_recall_fscore_support(
        [["O", "O"]], [["O", "O"]], average="macro", zero_division=0
    )
    assert np.isnan([p, r, f]).all() and n == 0 and not calls


def test_report_digits_and_feature_names_are_checked():
    # "Format specifier missing precision" and a prefix "c" from "ch" before
    from seqlearn.metrics import entity_classification_report
    from seqlearn.preprocessing import OneHotSequenceEncoder

    with pytest.raises(ValueError, match="digits must be an int >= 0"):
        entity_classification_report([["B-PER"]], [["B-PER"]], digits=-1)
    encoder = OneHotSequenceEncoder().fit(["ab"])
    with pytest.raises(TypeError, match=r"list of one name, e.g. \['ch'\]"):
        encoder.get_feature_names_out("ch")
    assert list(encoder.get_feature_names_out(["ch"])) == ["ch_a", "ch_b"]


def test_corpus_bleu_and_chrf_are_sacrebleus():
    sacrebleu = pytest.importorskip("sacrebleu")
    from seqlearn.metrics import chrf, corpus_bleu

    gold = ["the cat sat on the mat .", "we saw the big end ."]
    pred = ["the cat sat on a mat .", "we saw the end ."]
    assert corpus_bleu(gold, pred) == pytest.approx(
        sacrebleu.corpus_bleu(pred, [gold]).score
    )
    assert chrf(gold, pred) == pytest.approx(sacrebleu.corpus_chrf(pred, [gold]).score)
    # token lists are tokenised already: "end." is one token, not "end" + "."
    tokens_gold = [["we", "saw", "the", "big", "end", "."]]
    tokens_pred = [["we", "saw", "the", "big", "end."]]
    assert corpus_bleu(tokens_gold, tokens_pred) == pytest.approx(
        sacrebleu.corpus_bleu(
            ["we saw the big end."], [["we saw the big end ."]], tokenize="none"
        ).score
    )
    assert corpus_bleu(tokens_gold, tokens_pred) < 100
    assert corpus_bleu(tokens_gold, tokens_pred, tokenize="13a") == pytest.approx(100)
