"""TargetTransformer: the forecaster's log / difference / scaling model space."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from seqlearn.forecasting import RNNForecaster, TargetTransformer


@parametrize_with_checks([TargetTransformer(), TargetTransformer(scaling="none")])
def test_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("difference", [0, 1, 4])
@pytest.mark.parametrize("scaling", ["standard", "none"])
def test_inverse_transform_gives_the_series_back(log, difference, scaling):
    rng = np.random.default_rng(0)
    y = np.exp(np.cumsum(rng.normal(0, 0.1, (40, 2)), axis=0)) + 1
    tt = TargetTransformer(log=log, difference=difference, scaling=scaling).fit(y)
    z = tt.transform(y)
    assert z.shape == y.shape
    assert np.isnan(z[:difference]).all() and np.isfinite(z[difference:]).all()
    back = tt.inverse_transform(z[30:], history=y[:30])
    np.testing.assert_allclose(back, y[30:], rtol=1e-10)
    # windows: one leading axis per window, history per window
    windows = np.stack([y[10:20], y[20:30]])
    zw = tt.transform_windows(windows)
    assert zw.shape == (2, 10 - difference, 2)
    np.testing.assert_allclose(zw[1], z[20 + difference : 30])
    futures = np.stack([z[20:25], z[30:35]])
    back = tt.inverse_transform(futures, history=windows)
    np.testing.assert_allclose(back, np.stack([y[20:25], y[30:35]]), rtol=1e-10)


def test_scaling_uses_the_transformed_training_rows():
    y = np.arange(1.0, 21.0)[:, None] ** 2
    tt = TargetTransformer(difference=1).fit(y)
    d = np.diff(y[:, 0])
    np.testing.assert_allclose(tt.mean_, [d.mean()])
    np.testing.assert_allclose(tt.scale_, [d.std()])
    np.testing.assert_allclose(tt.transform(y)[1:, 0], (d - d.mean()) / d.std())


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="positive"):
        TargetTransformer(log=True).fit(np.array([[1.0], [0.0], [2.0]]))
    tt = TargetTransformer(difference=2).fit(np.arange(10.0)[:, None])
    with pytest.raises(ValueError, match="history"):
        tt.inverse_transform(np.zeros((3, 1)))
    with pytest.raises(ValueError, match="difference=5"):
        TargetTransformer(difference=5).fit(np.arange(5.0)[:, None])


def test_the_forecaster_forecasts_in_the_transformers_space():
    # a window strategy's model space is its transformer's: the network's
    # inputs are transform_windows of the window
    t = np.arange(80.0)
    y = 10 + t + np.sin(t / 2)
    fc = RNNForecaster(
        strategy="multioutput",
        window=12,
        horizon=3,
        difference=1,
        log=True,
        scaling="standard",
        max_epochs=2,
        random_state=0,
    ).fit(y)
    tt = fc.transformer_
    assert (tt.log, tt.difference, tt.scaling) == (True, 1, "standard")
    np.testing.assert_allclose(tt.mean_, [np.diff(np.log(y)).mean()])
