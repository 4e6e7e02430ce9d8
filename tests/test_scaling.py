"""Scaling out: Dask grid search, data-parallel training, GPU paths, pickles."""

import io
import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback
from skorch.exceptions import DeviceWarning

from seqlearn import RNNClassifier, SequenceRegressor, SequenceTagger
from seqlearn.parallel import DataParallelMixin
from seqlearn.preprocessing import SequenceScaler


class RecordPid(Callback):
    """Write the id of the process that trains into the history."""

    def on_epoch_end(self, net, **kwargs):
        net.history.record("pid", os.getpid())


class KeepWeights(Callback):
    """Keep a copy of the trained weights (a callback that holds tensors)."""

    def on_train_end(self, net, **kwargs):
        self.weights_ = {
            k: p.detach().clone() for k, p in net.module_.named_parameters()
        }


def fit_pid(estimator, X, y):
    """Scorer returning the pid recorded during fit."""
    if hasattr(estimator, "steps"):
        estimator = estimator[-1]
    return estimator.history_[-1, "pid"]


def ragged(n=48, seed=0):
    rng = np.random.default_rng(seed)
    X = [rng.normal(size=(t, 2)) for t in rng.integers(3, 10, size=n)]
    y = np.array([int(x[:, 0].sum() > 0) for x in X])
    return X, y


def small_clf(**params):
    base = {"hidden_size": 4, "max_epochs": 3, "batch_size": 16, "random_state": 0}
    return RNNClassifier(**{**base, **params})


# ------------------------------------------------------------------ Dask
def _warm_up():
    X, y = ragged(8)
    small_clf(max_epochs=1).fit(X, y).predict(X)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    # RecordPid and fit_pid live in this test module: ship them by value
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    # the first fit in a fresh process pays torch's lazy start-up: pay it here
    client.run(_warm_up)
    try:
        yield client
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
        client.close()
        cluster.close()


def test_grid_search_on_dask_matches_serial(dask_client):
    X, y = ragged()
    search = GridSearchCV(
        small_clf(callbacks=[("pid", RecordPid())], n_threads=1),
        {"hidden_size": [3, 6], "lr": [0.01, 0.05]},
        scoring={
            "accuracy": "accuracy",
            "neg_log_loss": "neg_log_loss",
            "pid": fit_pid,
        },
        refit="neg_log_loss",
        cv=KFold(3),
    )
    serial = GridSearchCV(**search.get_params(deep=False)).set_params(n_jobs=1)
    serial.fit(X, y)
    with joblib.parallel_config(backend="dask"):
        search.set_params(n_jobs=-1).fit(X, y)

    assert search.best_params_ == serial.best_params_
    for key in ("mean_test_accuracy", "mean_test_neg_log_loss"):
        np.testing.assert_allclose(
            search.cv_results_[key], serial.cv_results_[key], rtol=0, atol=1e-6
        )
    workers = set(dask_client.run(os.getpid).values())
    splits = [k for k in search.cv_results_ if k.startswith("split")]
    pids = {int(p) for k in splits if k.endswith("pid") for p in search.cv_results_[k]}
    assert len(workers) == 2 and os.getpid() not in workers
    assert pids <= workers, (pids, workers)
    assert len(pids) == 2  # both workers trained
    # the serial search trained here
    assert set(serial.cv_results_["split0_test_pid"]) == {os.getpid()}


def test_pipeline_and_other_estimators_on_dask(dask_client):
    X, y = ragged(seed=1)
    y_reg = np.array([x[:, 0].sum() for x in X])
    y_tag = [(x[:, 0] > 0).astype(int) for x in X]
    cases = [
        (make_pipeline(SequenceScaler(), small_clf()), y, "accuracy"),
        (SequenceRegressor(hidden_size=4, max_epochs=3, random_state=0), y_reg, "r2"),
        (SequenceTagger(hidden_size=4, max_epochs=3, random_state=0), y_tag, None),
    ]
    for estimator, target, scoring in cases:
        serial = cross_val_score(estimator, X, target, cv=3, scoring=scoring)
        with joblib.parallel_config(backend="dask"):
            parallel = cross_val_score(
                estimator, X, target, cv=3, scoring=scoring, n_jobs=-1
            )
        np.testing.assert_allclose(parallel, serial, rtol=0, atol=1e-6)


def test_forecaster_search_on_dask(dask_client):
    from sklearn.model_selection import TimeSeriesSplit

    from seqlearn import RNNForecaster

    series = np.sin(np.arange(150) / 4.0) + np.arange(150) / 50.0
    search_kwargs = {
        "param_grid": {"n_models": [1, 2]},
        "cv": TimeSeriesSplit(n_splits=2, test_size=6),
    }
    forecaster = RNNForecaster(
        window=12, horizon=6, hidden_size=4, max_steps=20, random_state=0
    )
    serial = GridSearchCV(forecaster, **search_kwargs).fit(series)
    with joblib.parallel_config(backend="dask"):
        parallel = GridSearchCV(forecaster, n_jobs=-1, **search_kwargs).fit(series)
    assert parallel.best_params_ == serial.best_params_
    np.testing.assert_allclose(
        parallel.cv_results_["mean_test_score"],
        serial.cv_results_["mean_test_score"],
        rtol=0,
        atol=1e-6,
    )


def test_char_rnn_scores_on_dask(dask_client):
    from seqlearn import CharRNN

    docs = ["the cat sat on the mat. ", "a dog ran in the fog. "] * 6
    model = CharRNN(
        hidden_size=8, seq_len=8, batch_size=4, max_epochs=2, random_state=0
    )
    serial = cross_val_score(model, docs, cv=3)
    with joblib.parallel_config(backend="dask"):
        parallel = cross_val_score(model, docs, cv=3, n_jobs=-1)
    np.testing.assert_allclose(parallel, serial, rtol=0, atol=1e-6)


# ------------------------------------------------------------ hygiene
def test_fit_writes_no_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = ragged()
    clf = small_clf(early_stopping=True, verbose=0).fit(X, y)
    clf.predict(X)
    pickle.loads(pickle.dumps(clf))
    assert list(tmp_path.iterdir()) == []


def test_pickle_holds_no_training_data():
    rng = np.random.default_rng(0)
    sizes = []
    for n in (200, 2000):
        X = rng.normal(size=(n, 30, 3)).astype(np.float32)
        y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
        # the same number of batches, so the history has the same length
        clf = small_clf(batch_size=n // 10, early_stopping=True, conv_channels=None)
        clf.fit(X, y)
        sizes.append(len(pickle.dumps(clf)))
    n_params = sum(p.numel() for p in clf.net_.module_.parameters())
    # ten times the data, (almost) the same pickle: no data captured
    assert abs(sizes[1] - sizes[0]) < 1_000, sizes
    # weights, optimizer moments and early stopping's best copy, plus overhead
    assert sizes[1] < 16 * 4 * n_params + 40_000, sizes
    assert sizes[1] < X.nbytes / 20


# --------------------------------------------------------- data-parallel
DDP_SCRIPT = textwrap.dedent(
    """
    import sys

    import numpy as np
    import torch.distributed as dist

    from seqlearn import RNNClassifier
    from seqlearn.parallel import DataParallelMixin


    class DataParallelClassifier(DataParallelMixin, RNNClassifier):
        pass


    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 2)) for n in rng.integers(3, 12, size=64)]
    y = [int(x[:, 0].sum() > 0) for x in X]
    clf = DataParallelClassifier(
        hidden_size=8, max_epochs=3, batch_size=8, random_state=0
    ).fit(X, y)
    state = {k: v.numpy() for k, v in clf.net_.module_.state_dict().items()}
    np.savez(
        f"{sys.argv[1]}/rank{dist.get_rank()}.npz",
        proba=clf.predict_proba(X),
        world_size=dist.get_world_size(),
        batch_sizes=[b["train_batch_size"] for b in clf.history_[-1, "batches"]],
        **state,
    )
    """
)


@pytest.mark.slow
def test_data_parallel_two_processes_match_one(tmp_path):
    pytest.importorskip("accelerate")
    script = tmp_path / "ddp_fit.py"
    script.write_text(DDP_SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone"]
        + ["--nproc_per_node", "2", str(script), str(tmp_path)],
        check=True,
        env=env,
        timeout=300,
        capture_output=True,
    )
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in (0, 1)]
    assert int(ranks[0]["world_size"]) == 2
    # each process trained on half of every batch of 8
    assert set(ranks[0]["batch_sizes"]) == {4}
    weights = [k for k in ranks[0].files if k not in {"proba", "world_size"}]
    weights.remove("batch_sizes")
    for k in weights:
        np.testing.assert_array_equal(ranks[0][k], ranks[1][k])

    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 2)) for n in rng.integers(3, 12, size=64)]
    y = [int(x[:, 0].sum() > 0) for x in X]
    single = RNNClassifier(hidden_size=8, max_epochs=3, batch_size=8, random_state=0)
    single.fit(X, y)
    # 64 sequences in batches of 8: each half-batch mean weighs the same, so
    # the averaged gradient is the whole-batch gradient
    np.testing.assert_allclose(ranks[0]["proba"], single.predict_proba(X), atol=1e-5)
    for k, v in single.net_.module_.state_dict().items():
        np.testing.assert_allclose(ranks[0][k], v.numpy(), atol=1e-5)


class DataParallelClassifier(DataParallelMixin, RNNClassifier):
    """Module level, so that it pickles."""


def test_data_parallel_single_process_is_plain_fit():
    pytest.importorskip("accelerate")
    X, y = ragged()
    clf = DataParallelClassifier(hidden_size=4, max_epochs=2, random_state=0)
    clf.fit(X, y)
    assert type(clf.net_).__name__ == "DataParallelNet"
    plain = small_clf(max_epochs=2, batch_size=32).fit(X, y)
    clone = pickle.loads(pickle.dumps(clf))
    assert clone.net_.accelerator is None
    np.testing.assert_allclose(clone.predict_proba(X), plain.predict_proba(X))


@pytest.mark.parametrize("ragged_lengths", [False, True])
def test_sharded_iterator_length_counts_only_yielded_batches(ragged_lengths):
    from seqlearn.data import BucketBatchIterator, SequenceDataset
    from seqlearn.parallel import ShardedBatchIterator

    torch.manual_seed(0)
    for n in (0, 1, 7, 8, 9, 45):
        lengths = np.arange(n) % 3 + 1 if ragged_lengths else np.full(n, 3)
        data = SequenceDataset(np.zeros((n, 3, 1), np.float32), lengths)
        for batch_size in (1, 2, 3, 4, 8):
            for world_size in (1, 2, 3, 4):
                inner = BucketBatchIterator(data, batch_size, shuffle=True)
                shard = ShardedBatchIterator(inner, 0, world_size)
                assert len(shard) == len(list(shard)), (n, batch_size, world_size)


# ------------------------------------------------------------------ GPU
def test_pickled_net_keeps_every_tensor_behind_the_device_map():
    # skorch maps the tensors it knows of (module_, optimizer_, criterion_)
    # to the loading machine's device; a tensor pickled anywhere else (the
    # ``module`` argument: the same module instance) would be restored on the
    # training device and fail without CUDA (seen on an H200)
    X, y = ragged()
    keep = ("keep", KeepWeights())  # a user's callback holding tensors
    clf = small_clf(early_stopping=True, max_epochs=4, callbacks=[keep]).fit(X, y)
    found = []

    class Finder(pickle.Pickler):
        def reducer_override(self, obj):
            if isinstance(obj, torch.Tensor):
                found.append(obj.shape)
            return NotImplemented

    state = clf.net_.__getstate__()
    assert "callbacks_" not in state and "module" not in state
    state.pop("__cuda_dependent_attributes__")
    Finder(io.BytesIO()).dump(state)
    assert found == []
    clone = pickle.loads(pickle.dumps(clf))
    assert clone.net_.module is clone.net_.module_
    assert dict(clone.net_.callbacks_)["keep"].weights_.keys() == {
        k for k, _ in clf.net_.module_.named_parameters()
    }
    np.testing.assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))


def test_pickle_tagged_cuda_loads_on_cpu():
    # CPU emulation of the load path of a CUDA-trained model: the net says
    # "cuda" (the tensors themselves are on the CPU), and unpickling on a
    # machine without CUDA falls back to the CPU (the real thing: GPU tests)
    if torch.cuda.is_available():
        pytest.skip("emulates a machine without CUDA")
    X, y = ragged()
    clf = small_clf().fit(X, y)
    proba = clf.predict_proba(X)
    clf.net_.device = "cuda"
    with pytest.warns(DeviceWarning, match="cuda"):
        clone = pickle.loads(pickle.dumps(clf))
    assert str(clone.net_.device) == "cpu"
    np.testing.assert_array_equal(clone.predict_proba(X), proba)


def test_data_parallel_bf16_points_at_accelerate():
    pytest.importorskip("accelerate")

    class DataParallelRegressor(DataParallelMixin, SequenceRegressor):
        pass

    X = np.random.default_rng(0).normal(size=(8, 5, 1))
    est = DataParallelRegressor(precision="bf16", max_epochs=1)
    with pytest.raises(ValueError, match="accelerate launch --mixed_precision bf16"):
        est.fit(X, X[:, -1, 0])
