"""Behaviour every estimator shares: the sklearn contract, errors, determinism."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback, GradientNormClipping

from seqlearn import RNNClassifier, SequenceRegressor, SequenceTagger
from seqlearn.base import SequenceLoss

SMALL = {"hidden_size": 8, "max_epochs": 3, "random_state": 0}


def ragged(n=24, features=2, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(t, features)) for t in rng.integers(2, 9, size=n)]


def targets(kind, X):
    if kind == "classifier":
        return np.array(["a" if x[:, 0].mean() > 0 else "b" for x in X])
    if kind == "regressor":
        return np.array([x[:, 0].sum() for x in X])
    return [np.where(x[:, 0] > 0, "pos", "neg") for x in X]


ESTIMATORS = {
    "classifier": RNNClassifier,
    "regressor": SequenceRegressor,
    "tagger": SequenceTagger,
}


@pytest.fixture(params=list(ESTIMATORS))
def case(request):
    kind = request.param
    X = ragged()
    return kind, ESTIMATORS[kind](**SMALL), X, targets(kind, X)


def predictions(kind, est, X):
    out = est.predict_proba(X) if kind != "regressor" else est.predict(X)
    return np.concatenate(out) if isinstance(out, list) else out


def test_fit_returns_self_and_sets_fitted_attributes(case):
    kind, est, X, y = case
    assert est.fit(X, y) is est
    assert est.n_features_in_ == 2
    assert est.input_kind_ == "sequence"
    assert len(est.history_) == SMALL["max_epochs"]
    assert "train_loss" in est.history_[-1]
    assert not hasattr(clone(est), "net_")


def test_same_random_state_same_predictions(case):
    kind, est, X, y = case
    first = predictions(kind, clone(est).fit(X, y), X)
    second = predictions(kind, clone(est).fit(X, y), X)
    np.testing.assert_array_equal(first, second)
    other = predictions(kind, clone(est).set_params(random_state=1).fit(X, y), X)
    assert not np.allclose(first, other)


def test_fit_does_not_touch_global_torch_rng(case):
    kind, est, X, y = case
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    est.fit(X, y)
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_pickle_and_joblib_round_trips(case):
    kind, est, X, y = case
    est.fit(X, y)
    expected = predictions(kind, est, X)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(predictions(kind, restored, X), expected)
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(predictions(kind, joblib.load(buffer), X), expected)


def test_not_fitted_error(case):
    kind, est, X, y = case
    with pytest.raises(NotFittedError):
        est.predict(X)


BAD_X = [
    (
        lambda X: [np.where(np.arange(len(x))[:, None] == 1, np.nan, x) for x in X],
        "NaN",
    ),
    (lambda X: [np.full_like(x, np.inf) for x in X], "infinity"),
    (lambda X: [x[:0] if i == 3 else x for i, x in enumerate(X)], "empty sequence"),
    (lambda X: np.zeros(len(X)), "1-D"),
    (lambda X: np.zeros((len(X), 2, 2, 2)), "4-D"),
    (lambda X: [np.array([["a", "b"]] * len(x)) for x in X], "strings"),
]


@pytest.mark.parametrize(("make_bad", "match"), BAD_X)
def test_bad_x_at_fit_names_the_problem(case, make_bad, match):
    kind, est, X, y = case
    with pytest.raises(ValueError, match=match):
        est.fit(make_bad(X), y)
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]


def test_zero_samples_and_length_mismatch(case):
    kind, est, X, y = case
    with pytest.raises(ValueError, match="0 samples"):
        est.fit([], y[:0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(X[:-1], y)


def test_wrong_feature_count_at_predict(case):
    kind, est, X, y = case
    est.fit(X, y)
    with pytest.raises(ValueError, match="expecting 2 features per step"):
        est.predict([np.ones((4, 3))])
    with pytest.raises(ValueError, match="NaN"):
        est.predict([np.full((4, 2), np.nan)])


def test_failed_fit_keeps_previous_state(case):
    kind, est, X, y = case
    est.fit(X, y)
    net = est.net_

    class Boom(Callback):
        def on_epoch_end(self, net, **kwargs):
            raise RuntimeError("boom")

    est.set_params(callbacks=[("boom", Boom())])
    with pytest.raises(RuntimeError, match="boom"):
        est.fit(X, y)
    assert est.net_ is net
    fresh = clone(est)
    with pytest.raises(RuntimeError, match="boom"):
        fresh.fit(X, y)
    assert not hasattr(fresh, "net_") and not hasattr(fresh, "n_features_in_")


def test_user_callbacks_are_not_mutated(case):
    kind, est, X, y = case

    class Count(Callback):
        def __init__(self):
            self.epochs = 0

        def on_epoch_end(self, net, **kwargs):
            self.epochs += 1

    cb = Count()
    est.set_params(callbacks=[("count", cb)]).fit(X, y)
    assert cb.epochs == 0
    assert dict(est.net_.callbacks_)["count"].epochs == SMALL["max_epochs"]


def test_verbose(case, capsys):
    kind, est, X, y = case
    est.fit(X, y)
    assert capsys.readouterr() == ("", "")
    # 1: one progress bar (tqdm, on stderr) with the loss, no table
    est.set_params(verbose=1).fit(X, y)
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{SMALL['max_epochs']}/{SMALL['max_epochs']}" in err
    assert "train_loss" in err
    # 2: skorch's epoch table, without colour codes when stdout is no terminal
    est.set_params(verbose=2).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and out.count("\n") >= SMALL["max_epochs"]
    assert "\x1b[" not in out


def test_early_stopping_records_validation(case):
    kind, est, X, y = case
    est.set_params(early_stopping=True, max_epochs=30, patience=2, lr=1e-12)
    est.fit(X, y)
    assert "valid_loss" in est.history_[-1]
    assert len(est.history_) < 30  # a tiny learning rate stalls: it stopped
    if kind != "regressor":
        assert 0 <= est.history_[-1, "valid_acc"] <= 1


def test_invalid_hyperparameter_is_rejected_at_fit(case):
    kind, est, X, y = case
    est.set_params(cell="transformer")
    with pytest.raises(ValueError, match="cell"):
        est.fit(X, y)


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd", "rmsprop"])
def test_optimizers(name):
    X = ragged()
    y = targets("classifier", X)
    clf = RNNClassifier(**SMALL, optimizer=name).fit(X, y)
    assert type(clf.net_.optimizer_).__name__.lower() == name
    # a named optimizer takes the multi-tensor update (bit-identical on CPU)
    assert clf.net_.optimizer_.defaults["foreach"] is True


def test_optimizer_class_is_used_as_given():
    X = ragged()
    y = targets("classifier", X)
    clf = RNNClassifier(**SMALL, optimizer=torch.optim.Adam).fit(X, y)
    assert clf.net_.optimizer_.defaults["foreach"] is None


def test_gradient_clip_matches_skorchs_clipping_bit_for_bit():
    # the core's own clipping callback collects the parameters once per fit;
    # the result must be skorch's GradientNormClipping's exactly
    X = ragged()
    y = targets("regressor", X)
    params = {**SMALL, "max_epochs": 4, "random_state": 0}
    ours = SequenceRegressor(**params, gradient_clip=0.05).fit(X, y)
    skorch_clip = GradientNormClipping(0.05)
    theirs = SequenceRegressor(
        **params, gradient_clip=None, callbacks=[skorch_clip]
    ).fit(X, y)
    unclipped = SequenceRegressor(**params, gradient_clip=None).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert not np.array_equal(ours.predict(X), unclipped.predict(X))


def test_token_ids_and_embedding_table():
    rng = np.random.default_rng(0)
    X = [rng.integers(1, 20, size=n) for n in rng.integers(3, 10, size=30)]
    y = np.array([int(x[0] > 10) for x in X])
    clf = RNNClassifier(embedding_dim=4, **SMALL).fit(X, y)
    assert clf.input_kind_ == "tokens"
    assert clf.num_embeddings_ == max(int(x.max()) for x in X) + 1
    with pytest.raises(ValueError, match="token id 99"):
        clf.predict([[1, 99]])
    with pytest.raises(ValueError, match="negative token ids"):
        clf.predict([[1, -1]])
    with pytest.raises(ValueError, match="negative token ids"):
        RNNClassifier(embedding_dim=4).fit([[1, -2], [3]], [0, 1])


def test_tabular_input_checks_width_at_predict():
    X = np.random.default_rng(0).normal(size=(20, 5))
    y = (X.sum(axis=1) > 0).astype(int)
    clf = RNNClassifier(**SMALL).fit(X, y)
    assert clf.n_features_in_ == 5 and clf.input_kind_ == "tabular"
    with pytest.raises(ValueError, match="X has 4 features"):
        clf.predict(X[:, :4])
    # a list of equal-length rows behaves like the array
    np.testing.assert_array_equal(
        clf.predict_proba([list(r) for r in X]), clf.predict_proba(X)
    )


@pytest.mark.parametrize(
    ("kind", "y_pred_shape", "y"),
    [
        ("cross_entropy", (4, 3), torch.tensor([0, 2, 1, 1])),
        ("cross_entropy", (2, 3, 3), torch.tensor([[0, 1, -100], [2, 2, 1]])),
        ("mse", (4, 2), torch.arange(8.0).reshape(4, 2)),
    ],
)
def test_sequence_loss_fast_path_equals_weighted_path(kind, y_pred_shape, y):
    torch.manual_seed(0)
    y_pred = torch.randn(y_pred_shape)
    loss = SequenceLoss(kind)
    plain = loss(y_pred, y)
    ones = loss(y_pred, {"y": y, "sample_weight": torch.ones(len(y))})
    torch.testing.assert_close(plain, ones)
    doubled = loss(y_pred, {"y": y, "sample_weight": 2 * torch.ones(len(y))})
    torch.testing.assert_close(doubled, 2 * plain)
    if kind == "cross_entropy":
        # padded steps (-100) never count
        real = y[y != -100]
        expected = torch.nn.functional.cross_entropy(
            y_pred.reshape(-1, 3)[(y != -100).reshape(-1)], real
        )
        torch.testing.assert_close(plain, expected)


def test_bf16_mixed_precision_runs_the_forward_pass_in_bfloat16(case):
    kind, est, X, y = case
    est.set_params(precision="bf16").fit(X, y)
    module = est.net_.module_
    assert all(p.dtype == torch.float32 for p in module.parameters())
    seen = []
    module.head.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    out = predictions(kind, est, X)
    assert seen and set(seen) == {torch.bfloat16}
    assert out.dtype == np.float64 and np.all(np.isfinite(out))
    with pytest.raises(ValueError, match="precision"):
        clone(est).set_params(precision="fp8").fit(X, y)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "peephole"])
def test_bf16_training_learns(cell):
    X = ragged(n=80)
    y = targets("classifier", X)
    clf = RNNClassifier(
        cell=cell, precision="bf16", hidden_size=16, max_epochs=15, random_state=0
    ).fit(X, y)
    assert clf.score(X, y) > 0.8


def test_forecaster_passes_precision_through():
    from seqlearn import RNNForecaster

    series = np.sin(np.arange(120) / 4.0)
    fc = RNNForecaster(
        window=12,
        horizon=3,
        strategy="recursive",
        max_epochs=2,
        precision="bf16",
        random_state=0,
    ).fit(series)
    assert fc.regressor_.precision == "bf16"
    assert np.all(np.isfinite(fc.predict()))


def test_predict_after_set_params_reads_the_fitted_input_kind():
    # predict used to read embedding_dim and crash in the token-id checks
    rng = np.random.default_rng(0)
    X = rng.integers(1, 6, size=(20, 6))
    y = X[:, 0] > 2
    clf = RNNClassifier(embedding_dim=4, **SMALL).fit(X, y)
    pred = clf.predict(X)
    clf.set_params(embedding_dim=None)
    np.testing.assert_array_equal(clf.predict(X), pred)


def test_refit_on_sequences_forgets_the_feature_names():
    import pandas as pd

    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(20, 6)), columns=list("abcdef"))
    y = np.arange(20) % 2
    clf = RNNClassifier(**SMALL).fit(table, y)
    assert list(clf.feature_names_in_) == list("abcdef")
    clf.fit(table.to_numpy()[:, :, None], y)
    assert not hasattr(clf, "feature_names_in_") and clf.n_features_in_ == 1
    clf.fit(table, y).set_params(embedding_dim=4)
    clf.fit(rng.integers(1, 6, size=(20, 6)), y)
    assert not hasattr(clf, "feature_names_in_") and clf.n_features_in_ == 1


@pytest.mark.parametrize("cls", [RNNClassifier, SequenceRegressor])
def test_sparse_y_is_a_clear_error(cls):
    from scipy import sparse

    X = ragged(n=10)
    y = sparse.csr_matrix(np.arange(10.0)[:, None] % 2)
    with pytest.raises(TypeError, match="sparse matrix was passed as y.*toarray"):
        cls(**SMALL).fit(X, y)


def test_text_estimators_tag_string_input():
    from sklearn.utils import get_tags

    assert get_tags(RNNClassifier()).input_tags.string
    assert get_tags(SequenceTagger()).input_tags.string
    assert not get_tags(SequenceRegressor()).input_tags.string


def test_text_only_parameters_on_numbers_warn_that_they_do_nothing():
    X = ragged()
    y = targets("classifier", X)
    with pytest.warns(UserWarning, match=r"word_dropout=0.1 applies to text input"):
        RNNClassifier(**SMALL, word_dropout=0.1).fit(X, y)
    with pytest.warns(UserWarning, match=r"lowercase=False apply .* token ids"):
        tokens = [np.arange(1, 4 + i % 3) for i in range(len(y))]
        RNNClassifier(**SMALL, embedding_dim=4, word_dropout=0.2, lowercase=False).fit(
            tokens, y
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the defaults: silence
        RNNClassifier(**SMALL).fit(X, y)
        SequenceTagger(**SMALL).fit(X, [np.arange(len(x)) % 2 for x in X])


def test_gradient_clip_also_clips_a_step_taken_by_hand():
    # after fit the callback holds no parameters (a pickled net would copy
    # them); a training step outside fit must still be clipped
    X = ragged()
    y = targets("regressor", X)
    est = SequenceRegressor(**SMALL, gradient_clip=1e-6).fit(X, y)
    net = est.net_
    before = [p.detach().clone() for p in net.module_.parameters()]
    batch = next(
        iter(
            net.get_iterator(
                net.get_dataset(
                    est._make_dataset(
                        est._validate_X(X, reset=False),
                        np.zeros((len(X), 1), np.float32),
                        None,
                    )
                ),
                training=True,
            )
        )
    )
    net.train_step(batch)
    moved = max(
        float((p.detach() - b).abs().max())
        for p, b in zip(net.module_.parameters(), before, strict=True)
    )
    # Adam's first step moves each weight by about lr whatever the gradient's
    # size, so compare the gradients instead: clipped to a norm of 1e-6
    norm = torch.linalg.vector_norm(
        torch.stack([p.grad.norm() for p in net.module_.parameters()])
    )
    assert float(norm) <= 1.01e-6 and moved > 0
