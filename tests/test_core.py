"""The training core: one parameter table, the module hook, Ctrl-C, divergence,
validation at the start of fit, the global RNG, summary()."""

import dataclasses
import inspect
import re
import threading

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback

import seqlearn
from seqlearn import (
    CharRNN,
    RNNClassifier,
    RNNForecaster,
    SequenceRegressor,
    SequenceTagger,
)
from seqlearn.base import SHARED_PARAMS, BaseSequenceEstimator, LossDivergedError
from seqlearn.callbacks import StopTraining

SMALL = {"hidden_size": 8, "max_epochs": 3, "random_state": 0}
CORE_ESTIMATORS = [RNNClassifier, SequenceRegressor, SequenceTagger, CharRNN]


def ragged(n=24, features=2, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(t, features)) for t in rng.integers(2, 9, size=n)]


X = ragged()
Y = {
    RNNClassifier: np.array(["a" if x[:, 0].mean() > 0 else "b" for x in X]),
    SequenceRegressor: np.array([x[:, 0].sum() for x in X]),
    SequenceTagger: [np.where(x[:, 0] > 0, "pos", "neg") for x in X],
}
TEXT = "the cat sat on the mat. " * 20


def fit(est):
    if isinstance(est, CharRNN):
        return est.fit(TEXT)
    return est.fit(X, Y[type(est)])


def outputs(est):
    if isinstance(est, CharRNN):
        return np.array([est.score(TEXT)])
    out = est.predict(X)
    return np.concatenate(out) if isinstance(out, list) else out


# ---------------------------------------------------------------- one table
@pytest.mark.parametrize(
    "cls", [*CORE_ESTIMATORS, seqlearn.SequenceTranslator, seqlearn.RNNForecaster]
)
def test_parameters_come_from_the_shared_table(cls):
    shared = {n: f for group in SHARED_PARAMS.values() for n, f in group.items()}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    signature = inspect.signature(cls.__init__).parameters
    assert list(signature)[1:] == list(fields)  # keyword-only, in field order
    assert all(p.kind is p.KEYWORD_ONLY for n, p in signature.items() if n != "self")
    groups = [g for g in cls._param_groups if g != "own"]
    for name, field in fields.items():
        assert set(field.metadata) >= {"type", "constraints", "doc"}, name
        assert cls._parameter_constraints[name] == field.metadata["constraints"]
        if any(name in SHARED_PARAMS[g] for g in groups):
            # one constraint and one doc text per shared name
            assert dict(field.metadata) == dict(shared[name].metadata)
    # the docstring documents every parameter, in signature order
    documented = re.findall(r"^    (\w+) : ", cls.__doc__, flags=re.MULTILINE)
    assert documented[: len(fields)] == list(fields)


def test_shared_parameter_docs_are_one_text_unless_overridden():
    # e.g. dropout: one text in RNNClassifier, SequenceRegressor, SequenceTagger
    text = SHARED_PARAMS["recurrent"]["dropout"].metadata["doc"]
    for cls in (RNNClassifier, SequenceRegressor, SequenceTagger):
        assert " ".join(text.split()[:6]) in " ".join(cls.__doc__.split())
    # CharRNN's dropout means something else and says so
    assert "before the output layer" in CharRNN._param_docs["dropout"]


def test_init_only_stores_and_defaults_can_differ():
    est = CharRNN()
    assert est.hidden_size == 128 and RNNClassifier().hidden_size == 64
    with pytest.raises(TypeError):
        RNNClassifier(hiden_size=3)  # a typo is an error, as in any estimator
    with pytest.raises(TypeError):
        RNNClassifier(8)  # keyword-only


def test_hidden_size_reaches_the_torch_module():
    clf = fit(RNNClassifier(**{**SMALL, "hidden_size": 5}))
    assert clf.net_.module_.encoder.rnns[0].hidden_size == 5
    lm = fit(CharRNN(**{**SMALL, "hidden_size": 6}, seq_len=10, batch_size=4))
    assert lm.net_.module_.rnn.hidden_size == 6


@pytest.mark.parametrize("cls", CORE_ESTIMATORS)
def test_clone_of_a_fitted_estimator_refits(cls):
    est = fit(cls(**SMALL))
    again = fit(clone(est))
    np.testing.assert_array_equal(outputs(again), outputs(est))


# ---------------------------------------------------------------- faults
class _Raise(Callback):
    def __init__(self, exc, at_epoch=2):
        self.exc = exc
        self.at_epoch = at_epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.at_epoch:
            raise self.exc


@pytest.mark.parametrize("cls", CORE_ESTIMATORS)
@pytest.mark.parametrize("exc", [KeyboardInterrupt, RuntimeError("boom")])
def test_problem2_ctrl_c_propagates_and_keeps_the_previous_model(cls, exc):
    est = fit(cls(**SMALL))
    before = outputs(est)
    net = est.net_
    est.set_params(callbacks=[("raise", _Raise(exc))], random_state=1)
    with pytest.raises(type(exc) if isinstance(exc, Exception) else exc):
        fit(est)
    assert est.net_ is net  # the previous model, untouched
    np.testing.assert_array_equal(outputs(est), before)


def test_problem2_early_stopping_still_stops_quietly():
    est = RNNClassifier(**{**SMALL, "max_epochs": 40}, early_stopping=True, lr=1e-7)
    est.set_params(patience=2)
    fit(est)  # skorch stops by raising KeyboardInterrupt inside: not an error
    assert len(est.history_) < 40


class _PoisonWeights(Callback):
    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == 2:
            with torch.no_grad():
                next(net.module_.parameters()).fill_(float("nan"))


@pytest.mark.parametrize("cls", CORE_ESTIMATORS)
def test_problem3_divergence_is_an_error_and_keeps_the_previous_model(cls):
    est = fit(cls(**SMALL))
    before = outputs(est)
    est.set_params(callbacks=[("poison", _PoisonWeights())])
    with pytest.raises(LossDivergedError, match="diverged.*Lower lr"):
        fit(est)
    np.testing.assert_array_equal(outputs(est), before)
    assert isinstance(LossDivergedError("x"), ValueError)


def test_problem3_sgd_with_a_huge_learning_rate():
    # the reproduction: SGD, lr=1e6, no clipping
    est = SequenceRegressor(
        **{**SMALL, "max_epochs": 10}, optimizer="sgd", lr=1e6, gradient_clip=None
    )
    with pytest.raises(LossDivergedError, match="gradient_clip"):
        fit(est)
    assert not hasattr(est, "net_")


@pytest.mark.parametrize(
    "params, match",
    [
        ({"device": "cuda"}, "CUDA"),
        ({"device": "tpu:0"}, "device"),
        ({"callbacks": [1, 2]}, r"callbacks\[0\]"),
        ({"optimizer": int}, "not a torch.optim.Optimizer"),
        ({"optimizer": torch.optim.LBFGS}, "closure"),
    ],
)
def test_problem6_parameters_checked_before_fitting(params, match):
    if "cuda" in str(params.get("device")) and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    est = RNNClassifier(**SMALL, **params)
    with pytest.raises(ValueError, match=match):
        fit(est)
    assert not hasattr(est, "net_") and not hasattr(est, "classes_")


def test_problem6_constraints_raise_invalid_parameter_error():
    for est in (RNNClassifier(hidden_size=0), CharRNN(seq_len=0)):
        with pytest.raises(InvalidParameterError):
            fit(est)


# ---------------------------------------------------------------- RNG, threads
def test_problem7_predict_touches_no_random_generator():
    est = fit(RNNClassifier(**SMALL))
    torch.manual_seed(5)
    state = torch.random.get_rng_state()
    est.predict(X)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_problem7_fits_in_threads_are_reproducible():
    expected = outputs(fit(SequenceRegressor(**SMALL)))
    results = [None] * 4

    def work(i):
        results[i] = outputs(fit(SequenceRegressor(**SMALL)))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got in results:
        np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------- summary
@pytest.mark.parametrize("cls", CORE_ESTIMATORS)
def test_summary_lists_layers_shapes_and_parameter_counts(cls):
    est = fit(cls(**SMALL))
    text = est.summary()
    total = sum(p.numel() for p in est.net_.module_.parameters())
    assert f"Total params: {total:,}" in text
    assert "LSTM" in text and "Linear" in text
    assert re.search(r"\(2, \d+, \d+\)", text)  # output shapes of a 2 x 8 batch
    assert _listed_params(text) == total


def _listed_params(text):
    """Sum of the summary's per-layer parameter counts."""
    rows = text.splitlines()[3:-3]  # between the two rules
    return sum(int(row.split()[-1].replace(",", "")) for row in rows)


def test_summary_lists_parameters_a_network_holds_itself():
    # the forecaster's ensemble keeps its heads as parameters of the top module
    y = pd.Series(np.sin(np.arange(80) / 3))
    net = RNNForecaster(horizon=3, max_steps=2, random_state=0).fit(y).model_.network_
    text = net.summary()
    total = sum(p.numel() for p in net.net_.module_.parameters())
    assert _listed_params(text) == total
    last = text.splitlines()[-4]
    assert "(own parameters) (EnsembleRecurrent)" in last and "(2, 5, 3)" in last


def test_public_api_is_importable_from_one_place():
    for name in seqlearn.__all__:
        assert hasattr(seqlearn, name)
    assert issubclass(RNNClassifier, BaseSequenceEstimator)


class _StopAfter(Callback):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            raise StopTraining


def test_a_callback_stops_training_and_keeps_the_model():
    est = fit(
        RNNClassifier(**{**SMALL, "max_epochs": 10}, callbacks=[("s", _StopAfter())])
    )
    assert len(est.history_) == 2 and hasattr(est, "net_")


@pytest.mark.parametrize("cls", CORE_ESTIMATORS)
def test_a_finite_but_exploding_loss_is_divergence(cls):
    # lr=1e4 blew the loss up a billionfold and fit returned garbage
    est = cls(**{**SMALL, "max_epochs": 5}, lr=1e4)
    with pytest.raises(LossDivergedError, match=r"1000 times.*Lower lr \(now 10000\)"):
        fit(est)
    assert not hasattr(est, "net_")


# ---------------------------------------------------------------- subclasses
def test_plain_annotations_in_a_subclass_are_not_parameters():
    # class-level annotations crashed the class definition (KeyError)
    class Custom(RNNClassifier):
        extra: int = 3
        classes_: np.ndarray
        hidden_size: int = 16  # a new default for an inherited parameter

    est = Custom()
    assert est.extra == 3 and "extra" not in est.get_params()
    assert est.hidden_size == 16 and Custom(hidden_size=5).hidden_size == 5
    assert "classes_" in Custom.__annotations__

    # the same with the groups declared again: the default, not a Field
    class Grouped(RNNClassifier):
        _param_groups = RNNClassifier._param_groups
        hidden_size: int = 16

    assert Grouped().hidden_size == 16 and Grouped().get_params()["hidden_size"] == 16

    with pytest.raises(TypeError, match=r"declare .* with seqlearn.base.param"):

        class Field(RNNClassifier):
            extra: int = dataclasses.field(default=3)


# ---------------------------------------------------------------- callbacks
@pytest.mark.parametrize(
    "scoring, check",
    [
        ("accuracy", lambda s: 0 <= s <= 1),
        ("f1_macro", lambda s: 0 <= s <= 1),
        ("neg_log_loss", lambda s: s < 0),
    ],
)
def test_skorch_scorers_see_class_indices_and_probabilities(scoring, check):
    from skorch.callbacks import EpochScoring

    scorer = EpochScoring(scoring, on_train=True, name="score")
    clf = RNNClassifier(**SMALL, callbacks=[("score", scorer)])
    clf.fit(X, Y[RNNClassifier])
    assert check(clf.history_[-1, "score"])


def test_binary_skorch_scorers_read_the_positive_class_probability():
    from sklearn.metrics import average_precision_score, get_scorer, roc_auc_score
    from skorch.callbacks import EpochScoring

    rng = np.random.default_rng(0)
    Xb = rng.normal(size=(40, 6, 2))
    yb = np.where(Xb[:, :, 0].mean(1) > 0, "up", "down")
    scorers = [
        (name, EpochScoring(name, on_train=False, name=name))
        for name in ("roc_auc", "average_precision")
    ]
    clf = RNNClassifier(**SMALL, early_stopping=True, callbacks=scorers)
    clf.fit(Xb, yb)
    for name, _ in scorers:
        assert 0 <= clf.history_[-1, name] <= 1
    # sklearn's scorers read P(class 1) ("up") from the net, as for any classifier
    net = clf.net_
    assert net.__sklearn_tags__().estimator_type == "classifier"
    assert list(net.classes_) == [0, 1]
    y_enc = (yb == "up").astype(np.int64)
    dataset = clf._make_dataset(clf._validate_X(Xb, reset=False), y_enc, None)
    proba = clf.predict_proba(Xb)[:, 1]
    for name, metric in [
        ("roc_auc", roc_auc_score),
        ("average_precision", average_precision_score),
    ]:
        expected = metric(y_enc, proba)
        assert get_scorer(name)(net, dataset, y_enc) == pytest.approx(expected)
    bad = EpochScoring("roc_auc", on_train=True, use_caching=False)
    with pytest.raises(ValueError, match=r"callbacks\[0\].*use_caching=False"):
        RNNClassifier(**SMALL, callbacks=[("auc", bad)]).fit(Xb, yb)


@pytest.mark.parametrize("cls", [RNNClassifier, SequenceRegressor])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_skorch_scorers_work_with_sample_weight(cls, early_stopping):
    from skorch.callbacks import BatchScoring, EpochScoring
    from skorch.utils import to_numpy

    scoring = "accuracy" if cls is RNNClassifier else "r2"
    callbacks = [
        ("epoch", EpochScoring(scoring, on_train=True, name="epoch")),
        ("batch", BatchScoring(scoring, on_train=True, name="batch")),
    ]
    if early_stopping:
        callbacks.append(("valid", EpochScoring(scoring, name="valid")))
    est = cls(**SMALL, early_stopping=early_stopping, callbacks=callbacks)
    y = Y[cls]
    # weights of one train the same network: the (unweighted) scores agree
    weighted = clone(est).fit(X, y, sample_weight=np.ones(len(y)))
    plain = clone(est).fit(X, y)
    for name, _ in callbacks:
        assert np.isfinite(weighted.history_[-1, name])
        assert weighted.history_[-1, name] == pytest.approx(plain.history_[-1, name])
    # the estimator's own callbacks are left as they were
    assert all(cb.target_extractor is to_numpy for _, cb in est.callbacks)


@pytest.mark.parametrize("cls", [RNNClassifier, SequenceRegressor])
def test_validation_callbacks_need_early_stopping(cls):
    from skorch.callbacks import EarlyStopping, EpochScoring

    for callback in (
        EarlyStopping(),
        EarlyStopping,
        EarlyStopping(monitor="valid_r2"),
        EpochScoring("r2"),
    ):
        est = cls(**SMALL, callbacks=[("cb", callback)])
        with pytest.raises(ValueError, match=r"callbacks\[0\].*early_stopping=True"):
            fit(est)
    est.set_params(early_stopping=True, callbacks=[("es", EarlyStopping())])
    fit(est)
    fit(
        est.set_params(
            early_stopping=False, callbacks=[("es", EarlyStopping("train_loss"))]
        )
    )
