"""The forecaster's inner estimators: on the training core, clonable, refittable."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from seqlearn import RNNForecaster
from seqlearn.forecasting._network import _ResidualNet

FAST = dict(hidden_size=8, max_epochs=2, random_state=0)


@pytest.fixture(scope="module")
def series():
    t = np.arange(120)
    values = 50 + 10 * np.sin(2 * np.pi * t / 12) + 0.3 * t
    values += np.random.default_rng(0).normal(scale=0.5, size=len(t))
    index = pd.period_range("2000-01", periods=len(t), freq="M")
    return pd.Series(values, index=index)


def _windows(seed=0, n=60, L=12, h=4):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, L)).cumsum(axis=1)
    y = x[:, -1:] + 0.1 * np.arange(1, h + 1)
    return x, y


@pytest.mark.parametrize("strategy", ["multioutput", "recursive", "seq2seq"])
def test_clone_of_fitted_regressor_refits(series, strategy):
    fc = RNNForecaster(window=12, horizon=3, strategy=strategy, **FAST).fit(series)
    reg = fc.regressor_
    twin = clone(reg)
    assert twin.get_params() == reg.get_params()
    assert not hasattr(twin, "net_")
    n_in = reg._module_args["n_step_features"]
    n_out = reg._module_args["n_outputs"]
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 12, n_in)), rng.normal(size=(30, n_out))
    a = twin.fit(X, y).predict(X)
    b = clone(reg).fit(X, y).predict(X)
    assert a.shape == (30, n_out) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)  # same parameters, same seed: same fit
    # the forecaster's own network was not touched
    assert reg.net_ is not twin.net_


def test_residual_network_is_a_core_estimator_and_clones(series):
    fc = RNNForecaster(horizon=4, n_models=3, max_steps=30, random_state=0)
    fc.fit(series)
    net = fc.model_.network_
    assert isinstance(net, _ResidualNet)
    params = net.get_params()
    assert params["n_models"] == 3 and params["max_epochs"] == 30
    assert params["hidden_size"] == 16 and params["cell"] == "lstm"
    # trained by the core: a skorch history of one optimizer step per epoch
    assert len(fc.history_) == 30 and "valid_mae" in fc.history_[-1]
    pd.testing.assert_series_equal(
        pickle.loads(pickle.dumps(fc)).predict(), fc.predict()
    )
    # the whole residual model clones and refits to the same forecasts
    model = clone(fc.model_).fit([series.to_numpy()])
    past = series.to_numpy()[None, -fc.window_ :]
    np.testing.assert_array_equal(
        model.predict_windows(past)[0], fc.model_.predict_windows(past)[0]
    )
    x, y = _windows(h=4)
    x = x[:, -fc.window_ :]
    twin = clone(net)
    assert twin.get_params() == params and not hasattr(twin, "net_")
    a = twin.fit(x, y).predict(x)
    b = clone(net).fit(x, y).predict(x)
    assert a.shape == (len(x), 4)
    np.testing.assert_array_equal(a, b)


def test_residual_network_keeps_members_independent():
    x, y = _windows()
    net = _ResidualNet(n_models=3, hidden_size=4, max_epochs=20, random_state=0)
    net.fit(x, y)
    module = net.net_.module_
    weight = module.rnn.weight_hh_l0.detach()
    # the cross-model blocks stayed zero through training (gradient mask)
    assert torch.equal(weight * (1 - module.hh_mask), torch.zeros_like(weight))
    assert weight.abs().sum() > 0
    members = net.predict_members(x)
    assert members.shape == (len(x), 3, y.shape[1])
    np.testing.assert_allclose(
        net.predict(x), np.median(members, axis=1), rtol=1e-6, atol=1e-6
    )
    # the members differ (independent initialisations)
    assert not np.allclose(members[:, 0], members[:, 1])


def test_residual_network_early_stopping_keeps_best_weights():
    x, y = _windows(n=80)
    net = _ResidualNet(
        n_models=2,
        hidden_size=4,
        max_epochs=400,
        lr=0.05,
        every=2,
        patience=2,
        early_stopping=True,
        random_state=0,
    ).fit(x[:60], y[:60], validation_data=(x[60:], y[60:]))
    scores = [row["valid_mae"] for row in net.history_ if "valid_mae" in row]
    assert len(net.history_) < 400  # stopped early
    best = min(scores)
    pred = net.predict(x[60:])
    np.testing.assert_allclose(np.abs(pred - y[60:]).mean(), best, rtol=1e-5)


@pytest.mark.parametrize("m", [0, 4])
def test_holt_weights_give_statsmodels_smoothing(m):
    # the "ets" ablation's bases: damped Holt(-Winters) as one matrix product;
    # the states come from statsmodels, started where _holt_weights starts
    holtwinters = pytest.importorskip("statsmodels.tsa.holtwinters")
    from seqlearn.forecasting._residual import _holt_weights

    rng = np.random.default_rng(0)
    L, h, alpha, phi, beta, gamma = 20, 6, 0.5, 0.9, 0.1, 0.2
    x = np.cumsum(rng.normal(size=L)) + 2 * np.sin(np.arange(L) * np.pi / 2)
    if m:
        level = x[:m].mean()
        known = {
            "initial_level": level,
            "initial_trend": (x[m : 2 * m].mean() - level) / m,
            "initial_seasonal": x[:m] - level,
        }
        model = holtwinters.ExponentialSmoothing(
            x[m:],
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=m,
            initialization_method="known",
            **known,
        )
    else:
        model = holtwinters.ExponentialSmoothing(
            x[1:],
            trend="add",
            damped_trend=True,
            initialization_method="known",
            initial_level=x[0],
            initial_trend=x[1] - x[0],
        )
    fit = model.fit(
        smoothing_level=alpha,
        smoothing_trend=beta,
        damping_trend=phi,
        smoothing_seasonal=gamma if m else None,
        optimized=False,
    )
    # the textbook forecast from the last states (Hyndman & Athanasopoulos)
    steps = np.arange(1, h + 1)
    want = fit.level[-1] + np.cumsum(phi**steps) * fit.trend[-1]
    if m:
        want = want + np.asarray(fit.season)[-m:][(steps - 1) % m]
    np.testing.assert_allclose(x @ _holt_weights(L, h, alpha, phi, m), want)


def test_net_window_feeds_the_networks_the_latest_steps_only():
    # the "season_window4" ablation: bases read the whole window, the
    # networks only its last net_window steps
    from seqlearn.forecasting._residual import ResidualModel

    rng = np.random.default_rng(0)
    t = np.arange(200)
    s = 10 + np.sin(2 * np.pi * t / 4) + 0.3 * rng.normal(size=200)
    model = ResidualModel(
        window=16, horizon=4, season=4, n_models=2, max_steps=10, net_window=8
    ).fit([s])
    x = model._normalise(s[None, -16:])[0]
    np.testing.assert_array_equal(model._net(x), model.network_.predict(x[:, -8:]))
    # the networks were fitted on 8 steps: 16 are refused
    with pytest.raises(ValueError, match="16 features"):
        model.network_.predict(x)


def test_core_bases_read_only_the_latest_steps_but_the_season_profile():
    # the "core_bases" ablation: the spread and every base but the seasonally
    # adjusted Theta bases' profile read only the last net_window steps
    from seqlearn.forecasting._residual import ResidualModel

    rng = np.random.default_rng(0)
    past = rng.normal(size=(5, 16)).cumsum(axis=1)
    core = ResidualModel(
        window=16, horizon=4, season=4, net_window=8, variant=("core_bases",)
    )
    short = ResidualModel(window=8, horizon=4, season=4)
    for m in (core, short):
        m.scale_, m.spread_cap_ = 1.0, None
    x, anchor, spread = core._normalise(past)
    xs, anchor_s, spread_s = short._normalise(past[:, -8:])
    np.testing.assert_allclose(spread, spread_s)
    np.testing.assert_allclose(x[:, -8:], xs)
    for name in ("naive", "drift", "ses0.2", "theta0.5", "season", "season_drift"):
        np.testing.assert_allclose(
            core._base_predict(name, None, x), short._base_predict(name, None, xs)
        )
    # the seasonal profile comes from all four seasons, not the last two;
    # Theta runs on the last 8 steps of the adjusted window (h = m = 4: the
    # forecast adds the profile once)
    profile, adjusted = core._season_profile(x)
    assert not np.allclose(profile, short._season_profile(xs)[0])
    want = short._base_predict("theta0.2", None, adjusted[:, -8:]) + profile
    np.testing.assert_allclose(core._base_predict("stheta0.2", None, x), want)


def test_rolling_select_scores_the_bases_over_the_whole_history():
    # the "rolling_select" ablation: a base's score is its MAE on the
    # validation windows and at the rolling origins before them
    from seqlearn.forecasting._residual import ResidualModel

    rng = np.random.default_rng(0)
    s = rng.normal(size=120).cumsum()
    model = ResidualModel(window=8, horizon=3, season=1, variant=("rolling_select",))
    model.scale_, model.spread_cap_ = 1.0, None
    past, fut, age = model._windows([s])
    x, anchor, spread = model._normalise(past)
    t = (fut - anchor) / spread
    train, val = model._split(age)
    blocks = model._blocks(age, val, age.max() + 1, 8)
    assert len(blocks) >= 4
    for block, fit_on in blocks:  # out of sample, in time order
        assert not (block & val).any()
        assert age[fit_on].min() >= age[block].max() + model.horizon
    scores = model._select_base(x, t, train, val, 1.0, age)
    want = np.concatenate(
        [np.abs(t[val]).ravel(), *(np.abs(t[b]).ravel() for b, _ in blocks)]
    ).mean()
    np.testing.assert_allclose(scores["naive"][0], want)  # naive predicts 0
    # without the variant, the validation windows alone
    model.variant = ()
    plain = model._select_base(x, t, train, val, 1.0, age)
    np.testing.assert_allclose(plain["naive"][0], np.abs(t[val]).mean())
