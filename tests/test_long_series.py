"""The defaults on a long, small univariate set, and the training budget (issue 15)."""

import numpy as np
import pytest

from seqlearn import RNNClassifier, SequenceRegressor
from seqlearn.base import LONG_SERIES, LONG_SERIES_UPDATES

sktime_datasets = pytest.importorskip("sktime.datasets")


def test_gunpoint_default_beats_one_nn_dtw():
    # about 6 CPU seconds: 50 training series of 150 steps
    data = []
    for split in ("train", "test"):
        X, y = sktime_datasets.load_gunpoint(split=split, return_type="numpy3D")
        data.append((X.transpose(0, 2, 1).astype(np.float32), np.asarray(y)))
    (X, y), (X_test, y_test) = data
    clf = RNNClassifier(random_state=0, n_threads=1).fit(X, y)
    # chance is 0.5; 1-NN DTW scores 0.907; the defaults before the
    # convolutional front-end and the budget scored 0.52
    assert clf.score(X_test, y_test) >= 0.85
    assert clf.net_.module_.front is not None


@pytest.mark.parametrize(
    "length, text, epochs, schedule",
    [
        (LONG_SERIES, False, int(np.ceil(LONG_SERIES_UPDATES / 2)), True),
        (LONG_SERIES - 1, False, 3, False),  # short series: the plain budget
        (LONG_SERIES, True, 3, False),  # text and token ids: the plain budget
    ],
)
def test_auto_budget_gives_small_sets_of_long_series_more_updates(
    length, text, epochs, schedule
):
    rng = np.random.default_rng(0)
    if text:
        X = [" ".join(["good"] * length), " ".join(["bad"] * length)] * 20
    else:
        X = rng.normal(size=(40, length, 1))
    y = np.arange(40) % 2
    # 40 sequences in batches of 32: 2 optimizer steps per epoch
    clf = RNNClassifier(hidden_size=4, max_epochs=3, random_state=0)
    epochs_run, lrs = [], []

    from skorch.callbacks import Callback

    class Record(Callback):
        def on_batch_begin(self, net, training=False, **kwargs):
            if training:
                lrs.append(net.optimizer_.param_groups[0]["lr"])

    clf.set_params(callbacks=[("record", Record())], conv_channels=(4,))
    if length == LONG_SERIES and not text:
        # keep the test short: the same rule with a smaller minimum
        clf.set_params(min_updates=20)
        epochs = 10
    clf.fit(X, y)
    epochs_run = len(clf.history_)
    assert epochs_run == epochs
    # warm-up then cosine: the rate rises, then falls well below lr
    changing = len(set(lrs)) > 1
    assert changing == schedule
    if schedule:
        assert max(lrs) == pytest.approx(clf.lr, rel=0.2) and lrs[-1] < 0.1 * clf.lr


def test_regressor_front_end_learns_what_a_linear_model_does():
    # sklearn's check_regressors_train (also run in test_common.py)
    from sklearn.datasets import make_regression

    X, y = make_regression(n_samples=200, n_features=10, random_state=0)
    reg = SequenceRegressor(hidden_size=8, max_epochs=30, batch_size=16, random_state=0)
    assert reg.fit(X, y).score(X, y) > 0.5
