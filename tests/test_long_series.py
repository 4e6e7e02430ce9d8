"""Default RNNClassifier on a long, small univariate set (issue 15).

Active once the training core exposes the convolutional front-end
(``conv_channels``); until then it is skipped.
"""

import numpy as np
import pytest

from seqlearn import RNNClassifier

sktime_datasets = pytest.importorskip("sktime.datasets")


@pytest.mark.slow
def test_gunpoint_default_beats_one_nn_dtw():
    if "conv_channels" not in RNNClassifier().get_params():
        pytest.skip("the conv front-end is not wired into RNNClassifier yet")
    data = []
    for split in ("train", "test"):
        X, y = sktime_datasets.load_gunpoint(split=split, return_type="numpy3D")
        data.append((X.transpose(0, 2, 1).astype(np.float32), np.asarray(y)))
    (X, y), (X_test, y_test) = data
    clf = RNNClassifier(random_state=0, n_threads=1).fit(X, y)
    # chance is 0.5; 1-NN DTW scores 0.907 and today's defaults 0.52
    assert clf.score(X_test, y_test) >= 0.85
