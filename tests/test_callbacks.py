"""Tests for seqlearn.callbacks: the learning-rate schedule and the budget."""

import math

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from seqlearn import RNNClassifier
from seqlearn.callbacks import WarmupCosineLR, budget_epochs, lr_at_step


def test_lr_at_step_shape():
    total, base = 100, 0.01
    lrs = [lr_at_step(s, total, base, warmup_fraction=0.1) for s in range(total)]
    # linear warm-up over 10 steps up to the peak
    np.testing.assert_allclose(lrs[:10], base * np.arange(1, 11) / 10)
    # then monotone cosine decay to the final ratio
    assert all(a >= b for a, b in zip(lrs[9:], lrs[10:], strict=False))
    assert lrs[-1] == pytest.approx(0.01 * base)
    # the midpoint of the decay is halfway between peak and floor
    mid = lr_at_step(10 + 89 / 2, total, base, 0.1)
    assert mid == pytest.approx(base * (0.01 + 0.99 * 0.5))
    # beyond the schedule: held at the floor
    assert lr_at_step(500, total, base) == pytest.approx(0.01 * base)
    # no warm-up: the first step runs at the peak
    assert lr_at_step(0, total, base, warmup_fraction=0.0) == base


@pytest.mark.parametrize(
    ("total", "warmup_fraction", "expected"),
    [
        # one decay step after the warm-up: it is the last, so the floor
        (2, 0.1, [1.0, 0.01]),
        (3, 0.5, [0.5, 1.0, 0.01]),
        # a one-step schedule without warm-up runs at the peak
        (1, 0.0, [1.0]),
    ],
)
def test_lr_at_step_single_decay_step_reaches_the_floor(
    total, warmup_fraction, expected
):
    lrs = [lr_at_step(s, total, 1.0, warmup_fraction) for s in range(total)]
    assert lrs == pytest.approx(expected)
    # held at the floor beyond the schedule
    assert lr_at_step(total, total, 1.0, warmup_fraction) == pytest.approx(0.01)


@pytest.mark.parametrize("total", [0, -3, 2.5])
def test_lr_at_step_rejects_bad_total_steps(total):
    with pytest.raises(ValueError, match="total_steps must be an integer >= 1"):
        lr_at_step(0, total, 1.0)


def test_warmup_cosine_reaches_the_floor_in_a_two_step_fit():
    X = np.random.default_rng(0).normal(size=(30, 5, 1)).astype(np.float32)
    clf = RNNClassifier(
        hidden_size=2,
        conv_channels=None,
        max_epochs=2,
        batch_size=32,
        lr=0.01,
        min_updates=0,
        lr_schedule="constant",
        random_state=0,
        callbacks=[("lr", WarmupCosineLR()), ("rec", RecordLR())],
    ).fit(X, (X.sum(axis=(1, 2)) > 0).astype(int))
    assert dict(clf.net_.callbacks_)["rec"].lrs_ == pytest.approx([0.01, 0.0001])


@pytest.mark.parametrize(
    ("n", "batch", "epochs", "updates", "frac", "expected"),
    [
        (50, 32, 100, 600, 0.0, 300),
        (36, 32, 100, 600, 0.0, 300),
        (67, 32, 100, 600, 0.0, 200),
        (5000, 32, 100, 600, 0.0, 100),
        (50, 32, 100, 0, 0.0, 100),
        # 10% held out: 45 train sequences, still 2 batches
        (50, 32, 100, 601, 0.1, 301),
        (40, 16, 10, 100, 0.2, 50),
    ],
)
def test_budget_epochs(n, batch, epochs, updates, frac, expected):
    assert budget_epochs(n, batch, epochs, updates, frac) == expected
    batches = math.ceil((n - math.ceil(frac * n)) / batch)
    assert expected * batches >= updates


class RecordLR(Callback):
    def on_batch_end(self, net, training=None, **kwargs):
        if training:
            self.lrs_.append(net.optimizer_.param_groups[0]["lr"])

    def on_train_begin(self, net, **kwargs):
        self.lrs_ = []


@pytest.mark.parametrize("early_stopping", [False, True])
def test_schedule_drives_the_optimizer(early_stopping):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5, 2)).astype(np.float32)
    y = (X[:, :, 0].sum(1) > 0).astype(int)
    clf = RNNClassifier(
        hidden_size=4,
        max_epochs=6,
        batch_size=16,
        lr=0.02,
        early_stopping=early_stopping,
        validation_fraction=0.2,
        patience=100,
        random_state=0,
        callbacks=[("lr", WarmupCosineLR(0.2)), ("rec", RecordLR())],
    ).fit(X, y)
    callbacks = dict(clf.net_.callbacks_)
    lrs, sched = callbacks["rec"].lrs_, callbacks["lr"]
    # 32 or 40 training sequences in batches of 16: 2 or 3 steps per epoch
    per_epoch = 2 if early_stopping else 3
    assert sched.total_steps_ == 6 * per_epoch == len(lrs)
    expected = [lr_at_step(s, len(lrs), 0.02, 0.2) for s in range(len(lrs))]
    np.testing.assert_allclose(lrs, expected)
    assert max(lrs) == pytest.approx(0.02)
    # the estimator's own callback instance is untouched (deep-copied)
    assert not hasattr(clf.callbacks[0][1], "step_")


@pytest.mark.parametrize("kwargs", [{"warmup_fraction": 1.0}, {"final_lr_ratio": -0.1}])
def test_schedule_validation(kwargs):
    X = np.zeros((4, 3, 1), dtype=np.float32)
    clf = RNNClassifier(max_epochs=1, callbacks=[("lr", WarmupCosineLR(**kwargs))])
    with pytest.raises(ValueError):
        clf.fit(X, [0, 1, 0, 1])


def test_warm_early_stopping_ignores_the_warm_up_but_keeps_the_best():
    from skorch.history import History

    from seqlearn.callbacks import WarmEarlyStopping

    class Net:
        module_ = torch.nn.Linear(1, 1)
        verbose = 0

    net, stop = Net(), WarmEarlyStopping(start=5, patience=2, monitor="valid_loss")
    net.history = History()
    stop.initialize().on_train_begin(net)
    scores = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]  # never better than the first
    for epoch, score in enumerate(scores[:5], start=1):
        net.history.new_epoch()
        net.history.record("epoch", epoch)
        net.history.record("valid_loss", score)
        stop.on_epoch_end(net)  # warm-up: no miss, no stop
    assert stop.misses_ == 0 and stop.best_epoch_ == 1
    net.history.new_epoch()
    net.history.record("epoch", 6)
    net.history.record("valid_loss", 6.0)
    stop.on_epoch_end(net)
    assert stop.misses_ == 1
    net.history.new_epoch()
    net.history.record("epoch", 7)
    net.history.record("valid_loss", 7.0)
    with pytest.raises(KeyboardInterrupt):  # skorch's way to stop
        stop.on_epoch_end(net)


def test_patience_follows_the_long_series_budget():
    from seqlearn import RNNClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 70, 1)).astype(np.float32)  # long: 600 updates
    y = np.arange(40) % 2
    clf = RNNClassifier(
        hidden_size=4, conv_channels=None, max_epochs=2, patience=3, lr=1e-9
    )
    clf.set_params(early_stopping=True, random_state=0).fit(X, y)
    stop = dict(clf.net_.callbacks_)["early_stopping"]
    # 36 training sequences, batches of 32: 2 per epoch, so 300 epochs = 150 x 2
    assert stop.patience == 3 * 150
    assert stop.start == 30  # the warm-up: 10 % of the 300 epochs
    assert len(clf.history_) > stop.start  # it did not stop during the warm-up
