"""seqlearn.save / seqlearn.load: round trips in a fresh process, bad files."""

import json
import os
import pickle
import subprocess
import sys
import warnings
import zipfile

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
from seqlearn.preprocessing import (
    OneHotSequenceEncoder,
    SequenceScaler,
    VocabularyEncoder,
    WindowTransformer,
)

TINY = {"hidden_size": 4, "max_epochs": 1, "random_state": 0}


def _ragged(seed=0, n=24):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(t, 2)) for t in rng.integers(2, 7, size=n)]


def _tokens(seed=0, n=24):
    rng = np.random.default_rng(seed)
    return [rng.integers(1, 12, size=t) for t in rng.integers(2, 7, size=n)]


def _docs():
    words = ["Anna", "lives", "in", "Ghent", "and", "Jan", "in", "Leuven", "."]
    tags = ["B-PER", "O", "O", "B-LOC", "O", "B-PER", "O", "B-LOC", "O"]
    X = [words[i : i + 5] for i in range(5)] * 3
    y = [tags[i : i + 5] for i in range(5)] * 3
    return X, y


def _series():
    t = np.arange(90)
    index = pd.date_range("2021-01-01", periods=90, freq="D")
    return pd.Series(np.sin(t / 4) + t / 50, index=index, name="level")


def _flat(parts):
    """One comparable array from a prediction (array, list of arrays, frame)."""
    if isinstance(parts, pd.Series | pd.DataFrame):
        return parts.to_numpy()
    if isinstance(parts, str):
        return np.array([parts])
    if isinstance(parts, list) and all(isinstance(p, str) for p in parts):
        return np.array(parts)  # translations
    if isinstance(parts, list):
        return np.concatenate([np.asarray(p).reshape(len(p), -1) for p in parts])
    return np.asarray(parts)


# name -> (data: ((fit args), X to predict), estimator, outputs); the data are
# seeded, so the fresh process rebuilds the same inputs without refitting
def _clf_numeric():
    X = pd.DataFrame(np.random.default_rng(1).normal(size=(30, 5)))
    X.columns = [f"t{i}" for i in range(5)]
    return (X, (X.sum(axis=1) > 0).astype(int).to_numpy()), X


def _clf_ragged():
    X = _ragged()
    return (X, np.array(["up" if x[:, 0].sum() > 0 else "down" for x in X])), X


def _clf_tokens():
    X = _tokens()
    return (X, np.array(["odd" if x.sum() % 2 else "even" for x in X])), X


def _regressor():
    X = _ragged(2)
    return (X, np.column_stack([[x.sum() for x in X], [len(x) for x in X]])), X


def _tagger():
    return _docs(), _docs()[0]


def _forecaster():
    return (_series(),), None


def _forecaster_frame():
    y = _series().to_frame()
    y.index = pd.period_range("2000-01", periods=len(y), freq="M")
    y["other"] = np.cos(np.arange(len(y)) / 5)
    return (y,), None


def _text():
    return ("the cat sat on the mat. " * 12,), None


def _translation():
    X = ["ab", "abc", "ba", "cab", "bca"] * 4
    return (X, [x[::-1] for x in X]), ["cba", "acb"]


def _text_classification():
    texts = ["a good film", "a bad film", "good, very good", "bad and dull"] * 5
    return (texts, [1, 0, 1, 0] * 5), ["a good one", "dull"]


def _vocabulary():
    docs = ["a cat sat", "a dog ran", "the cat ran"]
    return (docs,), docs + ["a bird"]


def _onehot():
    X = ["abcab", "ca", "bb"]
    return (X,), X + ["xa"]


def _scaler():
    return (_ragged(3),), _ragged(4)


def _windows():
    X = np.arange(24.0).reshape(2, 12)
    return (X,), X + 1


CASES = {
    "classifier_numeric": (
        _clf_numeric,
        lambda: RNNClassifier(**TINY),
        lambda m, X: m.predict_proba(X),
    ),
    "classifier_ragged_string_labels": (
        _clf_ragged,
        lambda: RNNClassifier(**TINY, bidirectional=True, pooling="attention"),
        lambda m, X: m.predict(X),
    ),
    "classifier_token_ids": (
        _clf_tokens,
        lambda: RNNClassifier(**TINY, embedding_dim=3, class_weight="balanced"),
        lambda m, X: m.predict_proba(X),
    ),
    "regressor": (
        _regressor,
        lambda: SequenceRegressor(**TINY, cell="gru"),
        lambda m, X: m.predict(X),
    ),
    "tagger_words_crf_chars": (
        _tagger,
        lambda: SequenceTagger(
            **TINY, crf=True, constraints="iob2", char_hidden_size=3
        ),
        lambda m, X: m.predict(X),
    ),
    "tagger_marginals": (
        _tagger,
        lambda: SequenceTagger(**TINY, crf=True, char_hidden_size=3),
        lambda m, X: m.predict_proba(X),
    ),
    "forecaster_intervals": (
        _forecaster,
        lambda: RNNForecaster(
            window=6, horizon=3, strategy="multioutput", calibration_size=12, **TINY
        ),
        lambda m, X: m.predict_interval(0.8),
    ),
    "forecaster_seq2seq_frame": (
        _forecaster_frame,
        lambda: RNNForecaster(
            window=5, horizon=2, strategy="seq2seq", multivariate=True, **TINY
        ),
        lambda m, X: m.predict(),
    ),
    "charrnn_generate": (
        _text,
        lambda: CharRNN(hidden_size=8, max_epochs=1, seq_len=8, random_state=0),
        lambda m, X: m.generate(30, "the", random_state=3),
    ),
    "charrnn_score": (
        _text,
        lambda: CharRNN(hidden_size=8, max_epochs=1, seq_len=8, random_state=0),
        lambda m, X: m.score("a cat on a mat"),
    ),
    "translator": (
        _translation,
        lambda: SequenceTranslator(
            hidden_size=8, embedding_dim=4, max_epochs=2, random_state=0
        ),
        lambda m, X: m.predict(X),
    ),
    "classifier_text": (
        _text_classification,
        lambda: RNNClassifier(**TINY, char_hidden_size=3),
        lambda m, X: m.predict_proba(X),
    ),
    "vocabulary": (
        _vocabulary,
        lambda: VocabularyEncoder(eos_token="<eos>"),
        lambda m, X: m.transform(X),
    ),
    "onehot": (
        _onehot,
        lambda: OneHotSequenceEncoder(handle_unknown="ignore"),
        lambda m, X: m.transform(X),
    ),
    "scaler": (
        _scaler,
        lambda: SequenceScaler(method="minmax", feature_range=(-1, 2)),
        lambda m, X: m.transform(X),
    ),
    "windows": (
        _windows,
        lambda: WindowTransformer(window=4, step=2),
        lambda m, X: m.transform(X),
    ),
}


def _fitted(name):
    data, make, _ = CASES[name]
    return make().fit(*data()[0])


def _outputs(name, model):
    data, _, outputs = CASES[name]
    return _flat(outputs(model, data()[1]))


def predict_saved(folder):
    """Entry point of the fresh process: load every model, write its outputs."""
    for name in CASES:
        model = seqlearn.load(os.path.join(folder, f"{name}.seqlearn"))
        np.save(os.path.join(folder, f"{name}.npy"), _outputs(name, model))


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """Fit and save every case here; predict from the files in a new process."""
    folder = tmp_path_factory.mktemp("models")
    expected = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for name in CASES:
            model = _fitted(name)
            expected[name] = _outputs(name, model)
            seqlearn.save(model, folder / f"{name}.seqlearn")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import test_persistence as t; t.predict_saved(sys.argv[2])"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    here = os.path.dirname(__file__)
    subprocess.run(
        [sys.executable, "-c", code, here, str(folder)],
        check=True,
        env=env,
        timeout=300,
    )
    loaded = {
        name: np.load(folder / f"{name}.npy", allow_pickle=False) for name in CASES
    }
    return expected, loaded


@pytest.mark.parametrize("name", list(CASES))
def test_round_trip_in_fresh_process(round_trip, name):
    expected, loaded = round_trip
    assert expected[name].dtype.kind == loaded[name].dtype.kind
    np.testing.assert_array_equal(loaded[name], expected[name])


def test_loaded_estimator_keeps_params_and_state(tmp_path):
    model = _fitted("tagger_words_crf_chars")
    seqlearn.save(model, tmp_path / "m.seqlearn")
    loaded = seqlearn.load(tmp_path / "m.seqlearn")
    assert type(loaded) is SequenceTagger
    assert loaded.get_params() == model.get_params()
    assert loaded.classes_.tolist() == model.classes_.tolist()
    old, new = model.word_features_, loaded.word_features_
    assert new.word_vocabulary_.tokens_ == old.word_vocabulary_.tokens_
    assert new.char_vocabulary_.token_counts_ == old.char_vocabulary_.token_counts_
    assert len(loaded.history_) == len(model.history_) == 1
    assert loaded.history_[-1, "train_loss"] == model.history_[-1, "train_loss"]
    # a loaded estimator can be refitted like any other
    loaded.fit(*_docs())


def test_forecaster_index_round_trips(tmp_path):
    model = _fitted("forecaster_seq2seq_frame")
    seqlearn.save(model, tmp_path / "f.seqlearn")
    loaded = seqlearn.load(tmp_path / "f.seqlearn")
    assert loaded.index_.equals(model.index_)
    assert loaded.predict(horizon=2).index.equals(model.predict(horizon=2).index)
    fc = _fitted("forecaster_intervals")
    seqlearn.save(fc, tmp_path / "d.seqlearn")
    assert seqlearn.load(tmp_path / "d.seqlearn").index_.freq == fc.index_.freq


def test_unfitted_estimator_round_trips(tmp_path):
    est = RNNClassifier(hidden_size=7, optimizer=torch.optim.AdamW, device="cpu")
    seqlearn.save(est, tmp_path / "u.seqlearn")
    loaded = seqlearn.load(tmp_path / "u.seqlearn")
    assert loaded.get_params() == est.get_params()
    assert not hasattr(loaded, "net_")


def test_load_runs_no_pickle(tmp_path, monkeypatch):
    model, X = _fitted("classifier_token_ids"), _tokens()
    seqlearn.save(model, tmp_path / "m.seqlearn")

    def forbidden(*args, **kwargs):
        raise AssertionError("pickle/torch.load used while loading")

    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    loaded = seqlearn.load(tmp_path / "m.seqlearn")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_load_leaves_global_rng_alone(tmp_path):
    model = _fitted("classifier_ragged_string_labels")
    seqlearn.save(model, tmp_path / "m.seqlearn")
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    seqlearn.load(tmp_path / "m.seqlearn")
    assert torch.equal(torch.rand(3), expected)


def test_cuda_model_loads_on_cpu(tmp_path):
    model, X = _fitted("classifier_ragged_string_labels"), _ragged()
    expected = model.predict_proba(X)
    model.device = "cuda"  # what a model trained on a GPU carries
    seqlearn.save(model, tmp_path / "m.seqlearn")
    if torch.cuda.is_available():
        loaded = seqlearn.load(tmp_path / "m.seqlearn")
        assert loaded.net_.device == "cuda"
    else:
        with pytest.warns(UserWarning, match="CUDA is not available"):
            loaded = seqlearn.load(tmp_path / "m.seqlearn")
        assert loaded.device == "cpu"
    np.testing.assert_allclose(loaded.predict_proba(X), expected, rtol=1e-5)


def test_weights_are_stored_on_cpu(tmp_path):
    from safetensors import safe_open

    model = _fitted("classifier_ragged_string_labels")
    seqlearn.save(model, tmp_path / "m.seqlearn")
    with zipfile.ZipFile(tmp_path / "m.seqlearn") as archive:
        assert sorted(archive.namelist()) == ["config.json", "tensors.safetensors"]
        (tmp_path / "t").write_bytes(archive.read("tensors.safetensors"))
        config = json.loads(archive.read("config.json"))
    assert config["class"] == "RNNClassifier"
    assert config["format_version"] == seqlearn.persistence.FORMAT_VERSION
    with safe_open(tmp_path / "t", framework="pt", device="cpu") as f:
        assert any(key.endswith("module_.head.weight") for key in f.keys())


# ---------------------------------------------------------------- bad files
def _rewrite(src, dst, edit):
    with zipfile.ZipFile(src) as archive:
        config = json.loads(archive.read("config.json"))
        tensors = archive.read("tensors.safetensors")
    edit(config)
    with zipfile.ZipFile(dst, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("tensors.safetensors", tensors)


@pytest.fixture
def saved(tmp_path):
    model = _fitted("classifier_ragged_string_labels")
    path = tmp_path / "m.seqlearn"
    seqlearn.save(model, path)
    return path


def test_an_edited_invalid_parameter_is_refused(saved, tmp_path):
    # a file edited to hidden_size="x" loaded, showed it, and predicted
    def edit(config):
        config["estimator"]["params"]["hidden_size"] = "x"

    _rewrite(saved, tmp_path / "edited", edit)
    with pytest.raises(ValueError, match="parameters are invalid.*hidden_size"):
        seqlearn.load(tmp_path / "edited")


def test_truncated_file_is_a_value_error(saved, tmp_path):
    data = saved.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 30):
        (tmp_path / "cut").write_bytes(data[:cut])
        with pytest.raises(ValueError, match="Not a seqlearn model file"):
            seqlearn.load(tmp_path / "cut")


def test_corrupt_tensors_are_a_value_error(saved, tmp_path):
    with zipfile.ZipFile(saved) as archive:
        config = archive.read("config.json")
    with zipfile.ZipFile(tmp_path / "bad", "w") as archive:
        archive.writestr("config.json", config)
        archive.writestr(
            "tensors.safetensors", b"\x08\x00\x00\x00\x00\x00\x00\x00{junk}"
        )
    with pytest.raises(ValueError, match="Not a seqlearn model file"):
        seqlearn.load(tmp_path / "bad")


def test_foreign_files_are_a_value_error(tmp_path):
    model = _fitted("classifier_ragged_string_labels")
    (tmp_path / "pickle").write_bytes(pickle.dumps(model))
    (tmp_path / "text").write_text("hello")
    with zipfile.ZipFile(tmp_path / "zip", "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("tensors.safetensors", b"")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "not a model")
    torch.save(model.net_.module_.state_dict(), tmp_path / "torch")
    for name in ("pickle", "text", "zip", "other.zip", "torch"):
        with pytest.raises(ValueError, match="Not a seqlearn model file"):
            seqlearn.load(tmp_path / name)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda c: c.update(format_version=99), "newer seqlearn"),
        (lambda c: c.update({"class": "Pipeline"}), "not a seqlearn estimator"),
        (lambda c: c["estimator"].update({"class": "posix:system"}), "not a seqlearn"),
        (lambda c: c["estimator"]["params"].update(evil=1), "do not fit"),
        (lambda c: c["estimator"]["state"].update(x={"__type__": "pickle"}), "unknown"),
    ],
)
def test_edited_config_is_rejected(saved, tmp_path, edit, match):
    _rewrite(saved, tmp_path / "e", edit)
    with pytest.raises(ValueError, match=match):
        seqlearn.load(tmp_path / "e")


def test_compressed_members_are_rejected(saved, tmp_path):
    # a compressed member could be a zip bomb; save never compresses
    with zipfile.ZipFile(saved) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(tmp_path / "z", "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="compressed"):
        seqlearn.load(tmp_path / "z")


def test_weights_of_another_shape_are_rejected(saved, tmp_path):
    def edit(config):  # the hidden_size the network was fitted with
        module_args = dict(config["estimator"]["state"]["_module_args"]["items"])
        for item in module_args["params"]["items"]:
            if item[0] == "hidden_size":
                item[1] = 5

    _rewrite(saved, tmp_path / "e", edit)
    with pytest.raises(ValueError, match="do not fit"):
        seqlearn.load(tmp_path / "e")


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        seqlearn.load(tmp_path / "nope.seqlearn")


# ---------------------------------------------------------------- save side
def test_save_rejects_other_objects(tmp_path):
    from sklearn.linear_model import LogisticRegression

    for obj in (LogisticRegression(), {"a": 1}, [1, 2]):
        with pytest.raises(TypeError, match="seqlearn.save"):
            seqlearn.save(obj, tmp_path / "x")


def test_save_rejects_code_parameters(tmp_path):
    enc = VocabularyEncoder(tokenizer=str.split).fit(["a b", "c"])
    with pytest.raises(TypeError, match="tokenizer"):
        seqlearn.save(enc, tmp_path / "x")


def test_training_only_objects_are_dropped_with_a_warning(tmp_path):
    from skorch.callbacks import LRScheduler

    X = _ragged()
    y = [x[:, 0].sum() > 0 for x in X]
    est = RNNClassifier(
        **{**TINY, "random_state": np.random.RandomState(0)},
        callbacks=[("lr", LRScheduler())],
    ).fit(X, y)
    with pytest.warns(UserWarning) as record:
        seqlearn.save(est, tmp_path / "m")
    assert sorted(str(w.message).split("=")[0] for w in record) == [
        "RNNClassifier.callbacks",
        "RNNClassifier.random_state",
    ]
    assert all(w.filename == __file__ for w in record)
    loaded = seqlearn.load(tmp_path / "m")
    assert loaded.callbacks is None and loaded.random_state is None
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_loaded_forecaster_has_its_history(tmp_path):
    for name in ("forecaster_seq2seq_frame", "forecaster_intervals"):
        model = _fitted(name)
        seqlearn.save(model, tmp_path / "f.seqlearn")
        loaded = seqlearn.load(tmp_path / "f.seqlearn")
        assert len(model.history_) > 0
        assert loaded.history_[:, "train_loss"] == model.history_[:, "train_loss"]
    with pytest.raises(AttributeError, match="not fitted"):
        _ = RNNForecaster().history_


def test_history_keeps_its_numbers_when_a_callback_records_an_array(tmp_path):
    from skorch.callbacks import Callback

    class Vector(Callback):
        def on_epoch_end(self, net, **kwargs):
            net.history.record("vector", np.array([1.0, 2.0]))

    X = np.random.default_rng(0).normal(size=(10, 5))
    model = RNNClassifier(hidden_size=3, max_epochs=3, random_state=0)
    model.set_params(callbacks=[("vector", Vector())]).fit(X, [0, 1] * 5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seqlearn.save(model, tmp_path / "m.seqlearn")
    notes = [str(w.message) for w in caught]
    assert any("history_ keys ['vector'] hold values" in n for n in notes), notes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = seqlearn.load(tmp_path / "m.seqlearn")
    assert loaded.history_[:, "train_loss"] == model.history_[:, "train_loss"]
    assert "vector" not in loaded.history_[-1]


def test_a_pipeline_is_refused_with_a_hint(tmp_path):
    from sklearn.pipeline import make_pipeline

    with pytest.raises(TypeError, match="Pipeline.*steps of a pipeline one by one"):
        seqlearn.save(make_pipeline(RNNClassifier()), tmp_path / "p.seqlearn")
    assert not (tmp_path / "p.seqlearn").exists()


def test_save_and_load_refuse_a_text_mode_file(tmp_path):
    path = tmp_path / "m.seqlearn"
    scaler = SequenceScaler().fit([np.arange(4.0)])
    with open(path, "w") as f, pytest.raises(TypeError, match="binary file object"):
        seqlearn.save(scaler, f)
    assert path.read_bytes() == b""  # nothing was written
    seqlearn.save(scaler, path)
    with open(path) as f, pytest.raises(TypeError, match=r"open\(path, 'rb'\)"):
        seqlearn.load(f)
    with open(path, "rb") as f:
        np.testing.assert_array_equal(seqlearn.load(f).mean_, scaler.mean_)


def test_load_refuses_bytes_and_none_with_the_fix(tmp_path):
    # bytes were read as a path: "Not a seqlearn model file b'PK...'"
    path = tmp_path / "m.seqlearn"
    seqlearn.save(SequenceScaler().fit([np.arange(4.0)]), path)
    with pytest.raises(TypeError, match=r"got bytes \(wrap bytes in io.BytesIO\)"):
        seqlearn.load(path.read_bytes())
    with pytest.raises(TypeError, match="got NoneType"):
        seqlearn.load(None)


@pytest.mark.parametrize("dtype", [bool, int, float])
def test_a_python_type_as_dtype_is_saved(tmp_path, dtype):
    # OneHotSequenceEncoder's docstring suggests dtype=bool; save refused it
    from seqlearn.preprocessing import OneHotSequenceEncoder

    encoder = OneHotSequenceEncoder(dtype=dtype).fit(["ab"])
    seqlearn.save(encoder, tmp_path / "e.seqlearn")
    loaded = seqlearn.load(tmp_path / "e.seqlearn")
    assert loaded.dtype is dtype
    np.testing.assert_array_equal(
        loaded.transform(["ba"])[0], encoder.transform(["ba"])[0]
    )


def test_a_data_parallel_estimator_is_refused_with_a_hint(tmp_path):
    from seqlearn.parallel import DataParallelMixin

    class DataParallelClassifier(DataParallelMixin, RNNClassifier):
        pass

    with pytest.raises(TypeError, match="DataParallelMixin.*pickle it"):
        seqlearn.save(DataParallelClassifier(), tmp_path / "p.seqlearn")
    assert not (tmp_path / "p.seqlearn").exists()


@pytest.mark.parametrize(
    "change", [{"pooling": "mean"}, {"hidden_size": 8}, {"conv_channels": (3,)}]
)
def test_load_rebuilds_the_network_as_fitted_after_set_params(tmp_path, change):
    # the network was rebuilt from the current parameters: other predictions,
    # or a file that would not load
    X, y = _ragged(), np.arange(24) % 2
    model = RNNClassifier(**TINY, conv_channels=None).fit(X, y)
    proba = model.predict_proba(X)
    model.set_params(**change)
    with pytest.raises(ValueError):  # a failed fit keeps the fitted model
        model.fit(X, y[:3])
    seqlearn.save(model, tmp_path / "m.seqlearn")
    loaded = seqlearn.load(tmp_path / "m.seqlearn")
    np.testing.assert_allclose(loaded.predict_proba(X), proba, rtol=1e-6)
    assert loaded.get_params() == model.get_params()  # the parameters as set
