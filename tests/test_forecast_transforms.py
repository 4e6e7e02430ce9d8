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


# ---------------------------------------------------------------- input checks
def _seasonal_series():
    t = np.arange(144.0)
    return (100 + 2 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12))


def test_inverse_transform_checks_history_columns():
    y = _seasonal_series()[:, None]
    tt = TargetTransformer(log=True, difference=12).fit(y)
    with pytest.raises(ValueError, match=r"history must have shape \(n_before, 1\)"):
        tt.inverse_transform(np.zeros((3, 1)), history=np.ones((20, 3)))


def test_inverse_transform_checks_history_ndim():
    y = _seasonal_series()[:, None]
    tt = TargetTransformer(log=True, difference=12).fit(y)
    # 1-D history for 2-D X: was an IndexError
    with pytest.raises(ValueError, match=r"history.*got shape \(144,\)"):
        tt.inverse_transform(np.zeros((3, 1)), history=y.ravel())
    # 3-D history for 2-D X: was silently window 0's
    with pytest.raises(ValueError, match=r"history.*got shape \(2, 144, 1\)"):
        tt.inverse_transform(np.zeros((3, 1)), history=np.stack([y, y]))
    # 2-D history for 3-D X, and a 3-D history with another number of windows
    with pytest.raises(ValueError, match=r"history must have shape \(2, n_before"):
        tt.inverse_transform(np.zeros((2, 3, 1)), history=y)
    with pytest.raises(ValueError, match=r"got shape \(3, 144, 1\)"):
        tt.inverse_transform(np.zeros((2, 3, 1)), history=np.stack([y, y, y]))


def test_inverse_transform_checks_x_and_history_length():
    y = _seasonal_series()[:, None]
    tt = TargetTransformer(log=True, difference=12).fit(y)
    with pytest.raises(ValueError, match=r"X must have shape.*got shape \(3, 2\)"):
        tt.inverse_transform(np.zeros((3, 2)), history=y)
    with pytest.raises(ValueError, match=r"X must have shape.*got shape \(3,\)"):
        tt.inverse_transform(np.zeros(3), history=y)
    with pytest.raises(ValueError, match=r"difference=12.*got shape \(11, 1\)"):
        tt.inverse_transform(np.zeros((3, 1)), history=y[:11])
    # the round trip is still exact in both forms
    z = tt.transform(y)
    np.testing.assert_allclose(
        tt.inverse_transform(z[100:], history=y[:100]), y[100:], rtol=1e-12
    )
    windows = np.stack([y[30:60], y[60:90]])
    back = tt.inverse_transform(np.stack([z[60:70], z[90:100]]), history=windows)
    np.testing.assert_allclose(back, np.stack([y[60:70], y[90:100]]), rtol=1e-12)


def test_transform_windows_checks_columns():
    y = _seasonal_series()[:, None]
    tt = TargetTransformer(log=True, difference=12).fit(y)
    with pytest.raises(ValueError, match=r"X must have shape \(\.\.\., n_steps, 1\)"):
        tt.transform_windows(np.ones((20, 2)))
    with pytest.raises(ValueError, match=r"got shape \(20,\)"):
        tt.transform_windows(np.ones(20))
    assert tt.transform_windows(np.stack([y[:20], y[20:40]])).shape == (2, 8, 1)


# ------------------------------------------------ backtest of a bare forecaster
class _Bare:
    """fit(y) and predict(horizon) only: no get_params."""

    def fit(self, y):
        self.last_ = np.asarray(y)[-1]
        return self

    def predict(self, horizon):
        return np.full(horizon, self.last_)


class _Short(_Bare):
    def predict(self, horizon):
        return np.full(horizon - 1, self.last_)


class _OneColumn(_Bare):
    def predict(self, horizon):
        return np.full((horizon, 1), self.last_[0])


def test_backtest_takes_a_bare_forecaster():
    from seqlearn.forecasting import backtest

    y = _seasonal_series()
    bare = _Bare()
    f = backtest(bare, y, initial_window=96, horizon=12)
    assert not hasattr(bare, "last_")  # each fold fits a copy
    assert sorted(f["fold"].unique()) == [0, 1, 2, 3]
    for fold, end in enumerate(range(96, 133, 12)):
        rows = f[f["fold"] == fold]
        np.testing.assert_array_equal(rows["y_pred"], np.full(12, y[end - 1]))
        np.testing.assert_allclose(rows["error"], y[end : end + 12] - y[end - 1])
    # sliding windows use the same last row
    g = backtest(_Bare(), y, initial_window=96, horizon=12, window_type="sliding")
    np.testing.assert_array_equal(g["y_pred"], f["y_pred"])


def test_backtest_names_a_wrong_prediction_shape():
    from seqlearn.forecasting import backtest

    y = _seasonal_series()
    with pytest.raises(
        ValueError, match=r"predict returned shape \(11,\) for horizon=12 and 1 series"
    ):
        backtest(_Short(), y, initial_window=96, horizon=12)
    # one column for two series
    wide = np.column_stack([y, y])
    with pytest.raises(
        ValueError, match=r"shape \(12, 1\) for horizon=12 and 2 series"
    ):
        backtest(_OneColumn(), wide, initial_window=96, horizon=12)
