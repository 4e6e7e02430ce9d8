import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline

from seqlearn import SequenceRegressor
from seqlearn.preprocessing import SequenceScaler, make_windows


def sunspot_windows(window=20, n_test=40):
    import statsmodels.api as sm

    series = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy()
    X, y = make_windows(series, window=window)
    return X[:-n_test], y[:-n_test], X[-n_test:], y[-n_test:]


def test_tuned_pipeline_beats_last_value_forecast_on_sunspots():
    window = 20
    X_train, y_train, X_test, y_test = sunspot_windows(window)
    pipe = make_pipeline(
        SequenceScaler(), SequenceRegressor(max_epochs=40, lr=0.01, random_state=0)
    )
    # gap = window: no training window's target lies inside a test window
    search = GridSearchCV(
        pipe,
        {"sequenceregressor__hidden_size": [16, 32]},
        cv=TimeSeriesSplit(n_splits=3, gap=window),
        scoring="neg_mean_absolute_error",
    ).fit(X_train, y_train)
    mae = np.abs(search.predict(X_test) - y_test).mean()
    last_value = np.abs(X_test[:, -1, 0] - y_test).mean()
    assert mae < 0.8 * last_value, (mae, last_value)


def test_multi_output_targets_keep_their_shape_and_scale():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5, 2))
    y = np.c_[1000 + 50 * X[:, -1, 0], -3 * X[:, 0, 1]]
    reg = SequenceRegressor(hidden_size=16, max_epochs=60, random_state=0).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (80, 2)
    # targets are standardised inside fit and mapped back at predict
    np.testing.assert_allclose(reg.y_mean_, y.mean(axis=0))
    assert np.abs(pred - y).mean(axis=0)[0] < 0.5 * y[:, 0].std()
    assert SequenceRegressor(max_epochs=1).fit(X, y[:, :1]).predict(X).shape == (80, 1)


@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
def test_padding_invariance(pooling):
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(t, 2)) for t in rng.integers(2, 10, size=20)]
    y = np.array([x.sum() for x in X])
    reg = SequenceRegressor(
        pooling=pooling, bidirectional=True, hidden_size=8, max_epochs=2, random_state=0
    ).fit(X, y)
    alone = reg.predict([X[0]])
    among = reg.predict([rng.normal(size=(25, 2)), X[0]])[1]
    np.testing.assert_allclose(alone[0], among, atol=1e-6)


def _last_step_task(offset=0.0):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 10, 1)).astype(np.float32)
    return X, X[:, -1, 0].astype(np.float64) * 3 + offset


def test_a_large_target_offset_keeps_its_digits():
    X, y = _last_step_task(offset=1e9)  # float32 holds 1e9 to the nearest 64
    params = dict(max_epochs=20, conv_channels=None, random_state=0)
    shifted = SequenceRegressor(**params).fit(X[:150], y[:150])
    plain = SequenceRegressor(**params).fit(X[:150], y[:150] - 1e9)
    assert shifted.y_mean_[0] == pytest.approx(plain.y_mean_[0] + 1e9)
    np.testing.assert_allclose(
        shifted.predict(X[150:]) - 1e9, plain.predict(X[150:]), atol=1e-3
    )
    assert shifted.score(X[150:], y[150:]) > 0.99


def test_a_zero_weight_has_no_say_in_the_target_scale():
    X, y = _last_step_task()
    corrupt, weight = y.copy(), np.ones(len(y))
    corrupt[5], weight[5] = 1e7, 0.0
    reg = SequenceRegressor(max_epochs=20, conv_channels=None, random_state=0)
    reg.fit(X[:150], corrupt[:150], sample_weight=weight[:150])
    np.testing.assert_allclose(reg.y_mean_, [np.delete(y[:150], 5).mean()])
    assert reg.score(X[150:], y[150:]) > 0.99


def test_three_d_targets_are_named():
    X, _ = _last_step_task()
    with pytest.raises(ValueError, match=r"y.reshape\(len\(y\), -1\)"):
        SequenceRegressor(max_epochs=1).fit(X, np.zeros((200, 3, 2)))


def test_bad_sample_weights_are_refused_before_any_arithmetic():
    # negative weights reached np.sqrt (a RuntimeWarning) before the error
    import warnings

    X = np.random.default_rng(0).normal(size=(6, 5, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="non-negative"):
            SequenceRegressor(max_epochs=1).fit(
                X, np.arange(6.0), sample_weight=[-1, 1, 1, 1, 1, 1]
            )
