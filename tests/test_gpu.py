"""Every public estimator on a CUDA device: fit, predict, CPU agreement, save/load.

All tests are marked ``gpu`` and skipped without CUDA.  The models are tiny:
the whole module runs in well under a minute on one GPU.
"""

import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
import torch

import seqlearn
from seqlearn import (
    CharRNN,
    RNNClassifier,
    RNNForecaster,
    SequenceRegressor,
    SequenceTagger,
    SequenceTranslator,
)

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.usefixtures("ieee_float32"),
    # cuDNN's warning that an RNN's weights are not one buffer (copied at
    # every call): seen after unpickling onto a GPU before SeqNet re-packed them
    pytest.mark.filterwarnings("error:RNN module weights are not part"),
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
]

#: The device under test.
DEVICE = "cuda"


# ------------------------------------------------------------------ data
def _ragged(seed=0, n=32):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(t, 2)) for t in rng.integers(3, 10, size=n)]


def _classification():
    X = _ragged()
    return (X, np.array([int(x[:, 0].sum() > 0) for x in X])), X


def _regression():
    X = _ragged(1)
    y = np.column_stack([[x[:, 0].mean() for x in X], [x[:, 1].max() for x in X]])
    return (X, y), X


def _tagging():
    words = ["Anna", "lives", "in", "Ghent", "and", "Jan", "in", "Leuven", "."]
    tags = ["B-PER", "O", "O", "B-LOC", "O", "B-PER", "O", "B-LOC", "O"]
    X = [words[i : i + 5] for i in range(5)] * 3
    y = [tags[i : i + 5] for i in range(5)] * 3
    return (X, y), X


def _text():
    return ("the cat sat on the mat. " * 12,), "a cat on a mat"


def _translation():
    X = ["ab", "abc", "ba", "cab", "bca", "cc", "acb", "bb"] * 4
    return (X, [x[::-1] for x in X]), (["cba", "acb", "ab"], ["abc", "bca", "ba"])


def _series():
    t = np.arange(90)
    index = pd.date_range("2021-01-01", periods=90, freq="D")
    return (pd.Series(np.sin(t / 4) + t / 50, index=index, name="level"),), None


def _flat(parts):
    """One float array from an array, a Series or a list of per-sample arrays."""
    if isinstance(parts, pd.Series | pd.DataFrame):
        return parts.to_numpy(dtype=float)
    if isinstance(parts, list):
        return np.concatenate([np.asarray(p, dtype=float).ravel() for p in parts])
    return np.asarray(parts, dtype=float)


class Case(NamedTuple):
    """How to fit and read one estimator in these tests.

    ``predict`` is the estimator's main output, checked for shape and kept
    exactly by a round trip; ``numbers`` is a deterministic float output that
    a CPU fit with the same random_state reproduces up to arithmetic (a
    sampled text or a decoded string may flip on a near tie, a log-likelihood
    cannot); ``module`` is the fitted network.
    """

    data: Callable  # () -> (fit arguments, prediction input)
    make: Callable  # device -> unfitted estimator
    predict: Callable  # (est, X) -> main output
    numbers: Callable  # (est, X) -> float array
    module: Callable  # est -> torch module


TINY = {"hidden_size": 4, "max_epochs": 3, "batch_size": 16, "random_state": 0}


def _net_module(est):
    return est.net_.module_


CASES = {
    "classifier": Case(
        _classification,
        lambda device: RNNClassifier(**TINY, device=device),
        lambda est, X: est.predict(X),
        lambda est, X: est.predict_proba(X),
        _net_module,
    ),
    "regressor": Case(
        _regression,
        lambda device: SequenceRegressor(**TINY, cell="gru", device=device),
        lambda est, X: est.predict(X),
        lambda est, X: est.predict(X),
        _net_module,
    ),
    "tagger_crf_chars": Case(
        _tagging,
        lambda device: SequenceTagger(
            **TINY, crf=True, char_hidden_size=3, device=device
        ),
        lambda est, X: est.predict(X),
        lambda est, X: _flat(est.predict_proba(X)),
        _net_module,
    ),
    "charrnn": Case(
        _text,
        lambda device: CharRNN(
            hidden_size=8, max_epochs=2, seq_len=8, random_state=0, device=device
        ),
        lambda est, X: est.generate(30, "the", random_state=3),
        lambda est, X: np.array([est.score(X)]),
        _net_module,
    ),
    "translator": Case(
        _translation,
        lambda device: SequenceTranslator(
            hidden_size=16,
            embedding_dim=8,
            max_epochs=20,
            batch_size=8,
            lr=0.01,
            random_state=0,
            device=device,
        ),
        lambda est, X: est.predict(X[0]),
        lambda est, X: est.score_samples(*X),
        _net_module,
    ),
    "forecaster_recursive": Case(
        _series,
        lambda device: RNNForecaster(
            window=6, horizon=3, strategy="recursive", **TINY, device=device
        ),
        lambda est, X: est.predict(),
        lambda est, X: _flat(est.predict()),
        lambda est: est.regressor_.net_.module_,
    ),
    "forecaster_seq2seq": Case(
        _series,
        lambda device: RNNForecaster(
            window=6,
            horizon=3,
            strategy="seq2seq",
            calibration_size=12,
            **TINY,
            device=device,
        ),
        lambda est, X: est.predict(),
        lambda est, X: _flat(est.predict_interval(0.8)),
        lambda est: est.regressor_.net_.module_,
    ),
}


def _fit(name, device, **params):
    case = CASES[name]
    return case.make(device).set_params(**params).fit(*case.data()[0])


def _predict(name, est):
    case = CASES[name]
    return case.predict(est, case.data()[1])


def _numbers(name, est):
    case = CASES[name]
    return case.numbers(est, case.data()[1])


def _device_types(name, est):
    return {p.device.type for p in CASES[name].module(est).parameters()}


def _same(a, b, atol):
    """Assert two predictions are equal (strings, labels) or close (floats)."""
    if isinstance(a, str):
        assert a == b
    elif isinstance(a, pd.Series | pd.DataFrame):
        pd.testing.assert_index_equal(a.index, b.index)
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=atol)
    elif isinstance(a, list) and a and isinstance(a[0], str):
        assert a == b
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    elif np.asarray(a).dtype.kind == "f":
        np.testing.assert_allclose(a, b, atol=atol)
    else:
        np.testing.assert_array_equal(a, b)


def _check_shape(name, est, out):
    data = CASES[name].data()
    X = data[1]
    if name in ("classifier", "regressor"):
        y = data[0][1]
        assert np.shape(out) == np.shape(y)
    elif name == "tagger_crf_chars":
        assert [len(t) for t in out] == [len(x) for x in X]
        assert set(np.concatenate(out)) <= set(est.classes_)
    elif name == "charrnn":
        assert isinstance(out, str) and len(out) == 3 + 30 and out.startswith("the")
    elif name == "translator":
        assert isinstance(out, list) and len(out) == len(X[0])
        assert all(isinstance(s, str) for s in out)
    else:
        assert isinstance(out, pd.Series) and len(out) == 3


# ------------------------------------------------------------------ tests
@pytest.mark.parametrize("name", list(CASES))
def test_fit_on_gpu_matches_cpu(name):
    est = _fit(name, DEVICE)
    assert _device_types(name, est) == {torch.device(DEVICE).type}
    assert est.get_params()["device"] == DEVICE
    out = _predict(name, est)
    _check_shape(name, est, out)
    numbers = _numbers(name, est)
    assert numbers.dtype.kind == "f" and np.all(np.isfinite(numbers))
    cpu = _fit(name, "cpu")
    assert _device_types(name, cpu) == {"cpu"}
    # the same model, up to cuDNN's arithmetic
    np.testing.assert_allclose(numbers, _numbers(name, cpu), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("name", list(CASES))
def test_gpu_model_round_trips(name, tmp_path):
    est = _fit(name, DEVICE)
    out, numbers = _predict(name, est), _numbers(name, est)
    path = tmp_path / "model.seqlearn"
    seqlearn.save(est, path)
    loaded = seqlearn.load(path)
    unpickled = pickle.loads(pickle.dumps(est))
    for clone in (loaded, unpickled):
        assert _device_types(name, clone) == {torch.device(DEVICE).type}
        _same(_predict(name, clone), out, atol=1e-6)
        np.testing.assert_allclose(_numbers(name, clone), numbers, atol=1e-6)


def predict_saved(folder):
    """Entry point of the fresh CPU-only process: load every model, save numbers.

    Each model twice: from ``seqlearn.save`` and from a pickle.
    """
    for name in CASES:
        for kind in ("seqlearn", "pkl"):
            path = os.path.join(folder, f"{name}.{kind}")
            if kind == "pkl":
                with open(path, "rb") as f:
                    est = pickle.load(f)
            else:
                est = seqlearn.load(path)
            if kind == "seqlearn" and not name.startswith("forecaster"):
                assert est.device == "cpu", (name, est.device)
            assert _device_types(name, est) == {"cpu"}, (name, kind)
            np.save(os.path.join(folder, f"{name}.{kind}.npy"), _numbers(name, est))


def test_gpu_saved_models_load_without_cuda(tmp_path):
    expected = {}
    for name in CASES:
        est = _fit(name, DEVICE)
        expected[name] = _numbers(name, est)
        seqlearn.save(est, tmp_path / f"{name}.seqlearn")
        (tmp_path / f"{name}.pkl").write_bytes(pickle.dumps(est))
    code = (
        "import sys, warnings; sys.path.insert(0, sys.argv[1]); "
        "warnings.simplefilter('ignore', UserWarning); "
        "import test_gpu as t; t.predict_saved(sys.argv[2])"
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"}
    here = os.path.dirname(__file__)
    subprocess.run(
        [sys.executable, "-c", code, here, str(tmp_path)],
        check=True,
        env=env,
        timeout=300,
    )
    for name in CASES:
        for kind in ("seqlearn", "pkl"):
            loaded = np.load(tmp_path / f"{name}.{kind}.npy")
            np.testing.assert_allclose(loaded, expected[name], rtol=1e-4, atol=1e-4)


def test_auto_device_picks_cuda():
    est = _fit("classifier", "auto")
    assert est.device == "auto"  # the parameter is kept as given
    assert str(est.net_.device).startswith(torch.device(DEVICE).type)
    assert _device_types("classifier", est) == {torch.device(DEVICE).type}
    cuda = _fit("classifier", DEVICE)
    np.testing.assert_allclose(
        _numbers("classifier", est), _numbers("classifier", cuda), atol=1e-6
    )


@pytest.mark.parametrize("name", ["classifier", "tagger_crf_chars", "translator"])
def test_bf16_mixed_precision_on_gpu(name):
    est = _fit(name, DEVICE, precision="bf16")
    module = CASES[name].module(est)
    # mixed precision: the weights stay float32 on the device
    assert {p.dtype for p in module.parameters()} == {torch.float32}
    assert _device_types(name, est) == {torch.device(DEVICE).type}
    assert np.all(np.isfinite(est.history_[:, "train_loss"]))
    _check_shape(name, est, _predict(name, est))
    assert np.all(np.isfinite(_numbers(name, est)))


def test_bf16_forward_pass_runs_in_bfloat16_on_gpu():
    est = _fit("classifier", DEVICE, precision="bf16")
    seen = []
    est.net_.module_.head.register_forward_hook(
        lambda m, i, out: seen.append(out.dtype)
    )
    proba = est.predict_proba(CASES["classifier"].data()[1])
    assert set(seen) == {torch.bfloat16}
    assert proba.dtype == np.float64 and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


def test_residual_forecaster_accepts_cuda():
    # the default "residual" strategy trains on the CPU whatever the device
    # (documented): a CUDA device must not break it
    (y,), _ = _series()
    fc = RNNForecaster(window=6, horizon=3, max_steps=20, random_state=0)
    pred = fc.set_params(device=DEVICE).fit(y).predict()
    assert isinstance(pred, pd.Series) and len(pred) == 3
    assert np.all(np.isfinite(pred.to_numpy()))
