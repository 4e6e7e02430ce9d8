import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

import seqlearn
from seqlearn import RNNForecaster
from seqlearn.forecasting import (
    NaiveForecaster,
    backtest,
    backtest_metrics,
    future_index,
)
from seqlearn.forecasting._transforms import _undifference
from seqlearn.nn import Seq2SeqModel

STRATEGIES = ["multioutput", "recursive", "seq2seq"]
FAST = dict(hidden_size=8, max_epochs=2, random_state=0)
# the default strategy ("residual") counts optimizer steps, not epochs
FAST_DEFAULT = dict(n_models=2, max_steps=40, random_state=0)


@pytest.fixture(scope="module")
def airline():
    sktime = pytest.importorskip("sktime.datasets")
    return sktime.load_airline()


@pytest.fixture(scope="module")
def co2():
    sm = pytest.importorskip("statsmodels.api")
    return sm.datasets.co2.load_pandas().data["co2"]


@pytest.fixture(scope="module")
def msft():
    pm = pytest.importorskip("pmdarima")
    data = pm.datasets.load_msft()
    return pd.Series(
        data["Close"].to_numpy(), index=pd.DatetimeIndex(data["Date"]), name="MSFT"
    ).iloc[-300:]


# ------------------------------------------------------------ index and shape
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_airline_period_index(airline, strategy):
    fc = RNNForecaster(window=24, horizon=12, strategy=strategy, **FAST)
    pred = fc.fit(airline).predict()
    # the future periods keep the index's name ("Period")
    expected = pd.period_range("1961-01", periods=12, freq="M", name=airline.index.name)
    assert isinstance(pred, pd.Series)
    pd.testing.assert_index_equal(pred.index, expected)
    assert pred.name == airline.name
    assert np.isfinite(pred).all()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_co2_weekly_nan_is_an_error_unless_filled(co2, strategy):
    y = co2.iloc[:400]
    assert y.isna().any()
    fc = RNNForecaster(window=20, horizon=5, strategy=strategy, **FAST)
    with pytest.raises(ValueError, match="NaN.*fill="):
        fc.fit(y)
    pred = fc.set_params(fill="interpolate").fit(y).predict()
    assert len(pred) == 5 and np.isfinite(pred).all()
    assert pred.index.freqstr == "W-SAT"
    assert pred.index[0] == y.index[-1] + pd.Timedelta(weeks=1)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_stock_business_days_continue_as_business_days(msft, strategy):
    assert pd.infer_freq(msft.index) is None  # holidays: no regular frequency
    fc = RNNForecaster(window=20, horizon=5, strategy=strategy, **FAST)
    pred = fc.fit(msft).predict()
    expected = pd.bdate_range(msft.index[-1], periods=6)[1:]
    pd.testing.assert_index_equal(pred.index, expected, check_names=False)
    assert (pred.index.dayofweek < 5).all()


def test_future_index_range_and_integer():
    assert list(future_index(pd.RangeIndex(10), 3)) == [10, 11, 12]
    assert list(future_index(pd.Index([2000, 2005, 2010]), 2)) == [2015, 2020]


def test_future_index_keeps_the_name():
    months = pd.period_range("2000-01", periods=3, freq="M", name="month")
    assert future_index(months, 2).name == "month"
    days = pd.date_range("2000-01-03", periods=3, freq="D", name="day")
    assert future_index(days, 2).name == "day"
    assert future_index(days[[0, 2]], 2).name == "day"  # no frequency


def _first_trading_days():
    # the first weekday of each month, one of them a day late (a holiday)
    starts = pd.date_range("2020-01-01", periods=24, freq="MS")
    days = [pd.offsets.BMonthBegin().rollforward(d) for d in starts]
    days[5] += pd.offsets.BDay()
    return pd.DatetimeIndex(days)


def _weekly_closes():
    # Friday closes, two of them (one the last) on the Thursday before a holiday
    fridays = pd.date_range("2020-01-03", periods=30, freq="W-FRI")
    return pd.DatetimeIndex(
        [
            d - pd.Timedelta(days=1) if i in (10, 29) else d
            for i, d in enumerate(fridays)
        ]
    )


@pytest.mark.parametrize(
    "index, expected",
    [
        (_first_trading_days(), ["2022-01-03", "2022-02-01", "2022-03-01"]),
        (_weekly_closes(), ["2020-07-31", "2020-08-07", "2020-08-14"]),
        # the 15th of each month, one month missing: no 31-day drift
        (
            pd.date_range("2020-01-01", periods=24, freq="MS").delete(3)
            + pd.Timedelta(days=14),
            ["2022-01-15", "2022-02-15", "2022-03-15"],
        ),
        (
            pd.date_range("2020-01-31", periods=8, freq="ME").delete(3),
            ["2020-09-30", "2020-10-31", "2020-11-30"],
        ),
        (
            pd.date_range("2020-01-01", periods=8, freq="MS").delete(3),
            ["2020-09-01", "2020-10-01", "2020-11-01"],
        ),
        # last business days: 2020-10-30 is a Friday, the 31st a Saturday
        (
            pd.date_range("2020-01-31", periods=8, freq="BME").delete(3),
            ["2020-09-30", "2020-10-30", "2020-11-30"],
        ),
    ],
    ids=[
        "first-trading-day",
        "weekly-holiday",
        "15th",
        "month-end",
        "month-start",
        "business-month-end",
    ],
)
def test_future_index_of_irregular_dates_keeps_their_spacing(index, expected):
    # pandas names no frequency for these; all weekdays used to mean "B"
    assert pd.infer_freq(index) is None
    pd.testing.assert_index_equal(
        future_index(index, 3),
        pd.DatetimeIndex(expected),
        check_exact=True,
        exact=False,
    )


def test_season_from_an_index_without_a_named_frequency():
    t = np.arange(120)
    values = 10 + t / 20 + np.sin(2 * np.pi * t / 12)
    months = pd.date_range("2000-01-01", periods=120, freq="MS")
    # as after read_csv or set_index: the dates, no freq attribute
    unset = pd.Series(values, index=pd.DatetimeIndex(months.tolist()))
    assert unset.index.freq is None
    fc = RNNForecaster(horizon=6, **FAST_DEFAULT)
    assert fc.fit(unset).season_length_ == 12
    # business month ends are months, not business days
    ends = pd.date_range("2000-01-31", periods=120, freq="BME")
    assert fc.fit(pd.Series(values, index=ends)).season_length_ == 12
    quarters = pd.date_range("2000-01-01", periods=120, freq="BQS")
    quarterly = pd.Series(10 + t / 20 + np.sin(2 * np.pi * t / 4), index=quarters)
    assert fc.fit(quarterly).season_length_ == 4


def test_array_and_dataframe_targets():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(80, 2)).cumsum(axis=0)
    fc = RNNForecaster(window=10, horizon=4, hidden_size=8, **FAST_DEFAULT)
    pred = fc.fit(values[:, 0]).predict()
    assert isinstance(pred, pd.Series)
    assert list(pred.index) == [80, 81, 82, 83]
    frame = pd.DataFrame(values, columns=["a", "b"])
    for strategy in STRATEGIES:
        fc.set_params(
            strategy=strategy,
            multivariate=True,
            max_epochs=2,
            n_models=5,
            max_steps=300,
        )
        pred = fc.fit(frame).predict()
        assert list(pred.columns) == ["a", "b"] and pred.shape == (4, 2)
        # joint forecasting is explicit: without it a window strategy refuses
        with pytest.raises(ValueError, match="multivariate=True"):
            clone(fc).set_params(multivariate=False).fit(frame)
    with pytest.raises(ValueError, match="strategy='residual' does not"):
        clone(fc).set_params(strategy="residual", max_epochs=60, max_steps=20).fit(
            frame
        )


def test_recursive_predicts_beyond_horizon_others_refuse(airline):
    fc = RNNForecaster(window=12, horizon=3, strategy="recursive", **FAST)
    assert len(fc.fit(airline).predict(horizon=7)) == 7
    fc.set_params(strategy="multioutput").fit(airline)
    assert len(fc.predict(horizon=2)) == 2
    with pytest.raises(ValueError, match="exceeds the fitted horizon"):
        fc.predict(horizon=7)


# ------------------------------------------------------------ covariates
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_known_future_covariates(airline, strategy):
    month = airline.index.month.to_numpy()
    X = np.stack([np.sin(2 * np.pi * month / 12), np.cos(2 * np.pi * month / 12)], 1)
    fc = RNNForecaster(window=12, horizon=6, strategy=strategy, **FAST)
    fc.fit(airline.iloc[:-6], X[:-6])
    assert fc.n_exog_ == 2
    with pytest.raises(ValueError, match="future rows"):
        fc.predict()
    pred = fc.predict(X=X[-6:])
    assert len(pred) == 6 and np.isfinite(pred).all()
    # the covariates reach the network
    assert not np.allclose(pred, fc.predict(X=X[-6:] + 3))


@pytest.mark.parametrize(
    "strategy, horizon", [("multioutput", 3), ("seq2seq", 3), ("recursive", 1)]
)
def test_covariates_with_a_difference_stay_aligned(strategy, horizon):
    # predict reads the covariates of the window's rows, as a backtest does
    # (the difference's extra target row used to shift them a row ahead)
    rng = np.random.default_rng(0)
    y = 50 + rng.normal(size=63).cumsum()
    X = rng.normal(size=(63, 1))
    fc = RNNForecaster(
        window=8, horizon=horizon, strategy=strategy, difference=1, **FAST
    ).fit(y[:60], X[:60])
    pred = fc.predict(X=X[60 : 60 + horizon]).to_numpy()
    expected = fc._forecast(y[:, None], [60], horizon, X)[0, :, 0]
    np.testing.assert_allclose(pred, expected)


# ------------------------------------------------------------ transforms
@pytest.mark.parametrize("lag", [1, 3, 12])
def test_undifference_inverts_lagged_difference(lag):
    rng = np.random.default_rng(lag)
    v = rng.normal(size=(2, 40, 3))
    h = 10
    dz = v[:, -h:] - v[:, -h - lag : -lag]
    out = _undifference(dz, v[:, -h - lag : -h], lag)
    np.testing.assert_allclose(out, v[:, -h:])


def test_log_and_difference_recover_an_exact_pattern():
    # log of a geometric trend with a period-4 pattern: its lag-4 difference is
    # constant, so after training the forecast continues it almost exactly
    t = np.arange(120)
    y = np.exp(0.01 * t + 0.3 * np.sin(2 * np.pi * t / 4))
    fc = RNNForecaster(
        window=8,
        horizon=4,
        log=True,
        difference=4,
        strategy="recursive",
        scaling="none",
        hidden_size=8,
        max_epochs=30,
        random_state=0,
    )
    pred = fc.fit(y[:-4]).predict()
    np.testing.assert_allclose(pred.to_numpy(), y[-4:], rtol=2e-2)


def test_log_rejects_non_positive():
    with pytest.raises(ValueError, match="positive"):
        RNNForecaster(window=3, horizon=1, log=True, **FAST_DEFAULT).fit(
            np.arange(20.0)
        )


# ------------------------------------------------------------ errors
def test_input_errors():
    fc = RNNForecaster(window=10, horizon=5, strategy="multioutput", **FAST)
    with pytest.raises(ValueError, match="at least 16 rows"):
        fc.fit(np.arange(12.0))
    with pytest.raises(ValueError, match="infinity"):
        fc.fit(np.r_[np.arange(30.0), np.inf])
    with pytest.raises(ValueError, match="numbers"):
        fc.fit(np.array(["a"] * 30))
    with pytest.raises(ValueError, match="strategy"):
        RNNForecaster(strategy="direct").fit(np.arange(50.0))
    with pytest.raises(ValueError, match="X has 3 rows"):
        fc.fit(np.arange(30.0), np.zeros((3, 1)))
    fc.fit(np.arange(30.0))
    with pytest.raises(ValueError, match="fitted without X"):
        fc.predict(X=np.zeros((5, 1)))
    with pytest.raises(ValueError, match="calibration_size"):
        fc.predict_interval()


def test_type_and_value_errors_name_the_parameter():
    fc = RNNForecaster(horizon=3, window=8, **FAST_DEFAULT)
    with pytest.raises(TypeError, match="datetime or timedelta"):
        fc.fit(pd.Series(pd.date_range("2020", periods=40)))
    with pytest.raises(TypeError, match="datetime or timedelta"):
        fc.fit(pd.Series(pd.to_timedelta(np.arange(40), "D")))
    with pytest.raises(ValueError, match="y is all NaN"):
        clone(fc).set_params(fill="ffill").fit(pd.Series([np.nan] * 40))
    with pytest.raises(TypeError, match="callbacks must be skorch Callbacks"):
        clone(fc).set_params(callbacks=["x"]).fit(np.arange(40.0))
    window = RNNForecaster(horizon=3, window=8, strategy="multioutput", **FAST)
    for name in ("difference", "calibration_size", "horizon", "max_epochs"):
        with pytest.raises(ValueError, match=f"{name} must be a number, not a bool"):
            clone(window).set_params(**{name: True}).fit(np.arange(40.0))
    fc.fit(np.arange(40.0))
    for coverage in ("0.9", None):
        with pytest.raises(TypeError, match="coverage must be a float"):
            fc.predict_interval(coverage)
    # a long frame's messages show plain numbers, not np.int64(37)
    long = pd.DataFrame(
        {"id": ["a"] * 40 + ["b"] * 38, "v": np.arange(78.0)},
        index=list(range(40)) + list(range(38)),
    )
    with pytest.raises(ValueError, match="'b' ends at 37, before the latest time 39"):
        clone(fc).set_params(id_column="id").fit(long)


# ------------------------------------------------------------ estimator contract
def test_reproducible_fresh_weights_clone_pickle(airline):
    fc = RNNForecaster(window=12, horizon=3, strategy="recursive", **FAST)
    a = fc.fit(airline).predict()
    first_weights = [
        p.detach().clone() for p in fc.regressor_.net_.module_.parameters()
    ]
    b = fc.fit(airline).predict()  # a second fit starts from fresh weights
    pd.testing.assert_series_equal(a, b)
    c = clone(fc).fit(airline).predict()
    pd.testing.assert_series_equal(a, c)
    again = fc.regressor_.net_.module_.parameters()
    assert all(torch.equal(p, q) for p, q in zip(first_weights, again, strict=True))
    restored = pickle.loads(pickle.dumps(fc))
    pd.testing.assert_series_equal(restored.predict(), a)
    assert clone(fc).get_params() == fc.get_params()
    assert "hidden_size" in fc.get_params() and "random_state" in fc.get_params()


def test_regressor_params_pass_through(airline):
    fc = RNNForecaster(
        window=12,
        horizon=3,
        strategy="recursive",
        cell="gru",
        hidden_size=5,
        num_layers=2,
        max_epochs=3,
        lr=0.02,
        random_state=0,
    ).fit(airline)
    reg = fc.regressor_
    assert (reg.cell, reg.hidden_size, reg.num_layers, reg.lr) == ("gru", 5, 2, 0.02)
    assert len(fc.history_) == 3
    assert isinstance(reg.net_.module_.encoder.rnns[0], torch.nn.GRU)


def test_quiet_by_default(airline, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    RNNForecaster(window=12, horizon=3, **FAST_DEFAULT).fit(airline).predict()
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    assert list(tmp_path.iterdir()) == []


def test_residual_strategy_takes_verbose_and_n_threads(airline, capsys):
    threads = []  # torch's thread count inside fit, seen by a step callable
    before = torch.get_num_threads()
    fc = RNNForecaster(
        horizon=3,
        max_steps=4,
        verbose=1,
        n_threads=2,
        callbacks=[lambda step, loss: threads.append(torch.get_num_threads())],
        random_state=0,
    ).fit(airline)
    assert "4/4" in capsys.readouterr().err  # one progress bar, every step
    assert threads == [2] * 4
    assert torch.get_num_threads() == before
    assert fc.model_.network_.get_params()["n_threads"] == 2


def test_residual_verbose_table_keeps_its_columns(capsys):
    y = np.sin(np.arange(60.0) / 3)
    RNNForecaster(horizon=3, n_models=1, max_steps=12, verbose=2).fit(y)
    rows = [
        line.split()
        for line in capsys.readouterr().out.splitlines()
        if line.strip()[:1].isdigit()
    ]
    assert len(rows) == 12
    assert {len(row) for row in rows} == {3}  # epoch, train_loss, dur


class _Shake(torch.optim.SGD):
    """SGD that also moves every weight, zero gradient or not."""

    def step(self, closure=None):
        super().step(closure)
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    p.add_(0.01)


def test_residual_strategy_takes_any_optimizer(airline):
    fc = RNNForecaster(horizon=3, max_steps=5, optimizer=_Shake, random_state=0)
    net = fc.fit(airline).model_.network_
    assert net.optimizer is _Shake
    assert isinstance(net.net_.optimizer_, _Shake)
    # the members stay independent even so: the cross-model blocks stay zero
    module = net.net_.module_
    assert torch.count_nonzero(module.rnn.weight_hh_l0 * (1 - module.hh_mask)) == 0
    assert torch.count_nonzero(module.rnn.weight_hh_l0 * module.hh_mask) > 0


def test_residual_strategy_takes_weight_decay_and_gradient_clip(airline):
    fast = dict(horizon=3, max_steps=20, random_state=0)
    default = RNNForecaster(**fast).fit(airline).model_.network_
    fc = RNNForecaster(**fast, weight_decay=0.5, gradient_clip=None).fit(airline)
    net = fc.model_.network_
    assert (net.weight_decay, net.gradient_clip) == (0.5, None)
    rnn, rnn0 = net.net_.module_.rnn, default.net_.module_.rnn
    assert not torch.equal(rnn.weight_ih_l0, rnn0.weight_ih_l0)
    # the members stay independent: the cross-model recurrent blocks stay zero
    mask = net.net_.module_.hh_mask
    assert torch.count_nonzero(rnn.weight_hh_l0 * (1 - mask)) == 0


def test_gridsearch_with_time_series_split(airline):
    search = GridSearchCV(
        RNNForecaster(window=12, horizon=6, max_steps=20, random_state=0),
        {"n_models": [1, 2]},
        cv=TimeSeriesSplit(n_splits=2, test_size=6),
    ).fit(airline)
    assert search.best_params_["n_models"] in (1, 2)
    assert np.all(search.cv_results_["mean_test_score"] < 0)  # negative MAE
    fc = search.best_estimator_.fit(airline.iloc[:-6])
    mae = np.mean(np.abs(airline.iloc[-6:].to_numpy() - fc.predict().to_numpy()))
    assert fc.score(airline.iloc[-6:]) == pytest.approx(-mae)


def test_set_params_after_fit_takes_effect_at_the_next_fit(airline):
    fc = RNNForecaster(horizon=3, **FAST_DEFAULT).fit(airline)
    pred, band = fc.predict(), fc.predict_interval(0.8)
    fc.set_params(horizon=6, log=True)
    assert fc.horizon_ == 3
    pd.testing.assert_series_equal(fc.predict(), pred)
    pd.testing.assert_frame_equal(fc.predict_interval(0.8), band)
    assert len(fc.fit(airline).predict()) == 6 and fc.horizon_ == 6
    # a window strategy keeps the rows and model space it was fitted with
    window = RNNForecaster(window=12, horizon=3, strategy="recursive", **FAST)
    pred = window.fit(airline).predict()
    window.set_params(difference=1, scaling="standard")
    pd.testing.assert_series_equal(window.predict(), pred)
    # an array is read as the next rows (a dated y must continue the series)
    assert window.score(airline.iloc[-3:].to_numpy()) == pytest.approx(
        -np.mean(np.abs(airline.iloc[-3:].to_numpy() - pred.to_numpy()))
    )


# ------------------------------------------------------------ backtest
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("refit", [True, False])
def test_backtest_has_no_leakage(airline, strategy, refit):
    fc = RNNForecaster(
        window=12, horizon=6, strategy=strategy, scaling="standard", **FAST
    )
    origin = 120
    changed = airline.copy()
    changed.iloc[origin:] = changed.iloc[origin:] * 3 + 500
    a = fc.backtest(airline, initial_window=origin, step=6, refit=refit)
    b = fc.backtest(changed, initial_window=origin, step=6, refit=refit)
    first = a["fold"] == 0
    np.testing.assert_array_equal(a.loc[first, "y_pred"], b.loc[first, "y_pred"])
    assert not np.allclose(a.loc[~first, "y_pred"], b.loc[~first, "y_pred"])


def test_backtest_nan_filled_per_fold_without_lookahead(co2):
    y = co2.iloc[:300].copy()
    fc = RNNForecaster(
        window=10, horizon=4, fill="interpolate", hidden_size=8, **FAST_DEFAULT
    )
    a = fc.backtest(y, initial_window=280, step=4)
    y.iloc[283:] = 400.0  # later values would leak through an interpolation
    b = fc.backtest(y, initial_window=280, step=4)
    first = a["fold"] == 0
    np.testing.assert_array_equal(a.loc[first, "y_pred"], b.loc[first, "y_pred"])


def test_backtest_frame_and_metrics(airline):
    fc = RNNForecaster(window=12, horizon=12, **FAST_DEFAULT)
    f = fc.backtest(airline, initial_window=120, step=12, seasonal_period=12)
    assert len(f) == 24 and list(f["fold"].unique()) == [0, 1]
    assert f["origin"].iloc[0] == pd.Period("1959-01", "M")
    assert list(f["step"].iloc[:3]) == [1, 2, 3]
    np.testing.assert_array_equal(f["y_true"], airline.iloc[120:].to_numpy())
    # MASE scale of fold 0: in-sample seasonal naive MAE of its training rows
    train = airline.iloc[:120].to_numpy()
    scale = np.mean(np.abs(train[12:] - train[:-12]))
    fold0 = f[f["fold"] == 0]
    np.testing.assert_allclose(fold0["scaled_error"], fold0["error"] / scale)
    m = backtest_metrics(f)
    assert list(m.index) == [0, 1, "all"]
    assert m.loc["all", "mae"] == pytest.approx(f["error"].abs().mean())
    assert m.loc["all", "rmse"] == pytest.approx(np.sqrt((f["error"] ** 2).mean()))
    assert m.loc["all", "mase"] == pytest.approx(f["scaled_error"].abs().mean())
    sliding = fc.backtest(
        airline, initial_window=60, step=12, window_type="sliding", refit=False
    )
    assert sliding["fold"].nunique() == 7


def test_backtest_records_the_intervals_and_their_coverage(airline):
    from sklearn.utils import check_random_state

    fc = RNNForecaster(horizon=12, **FAST_DEFAULT)
    f = fc.backtest(airline, initial_window=108, coverage=0.8)
    # the same points as without intervals, and fold 0's interval is the one
    # its model (fitted on the first 108 months, the fold's seed) gives
    plain = fc.backtest(airline, initial_window=108)
    pd.testing.assert_frame_equal(f[plain.columns], plain)
    seed = int(check_random_state(0).randint(2**31 - 1))
    model = clone(fc).set_params(random_state=seed).fit(airline.iloc[:108])
    band = model.predict_interval(coverage=0.8)
    fold0 = f[f["fold"] == 0]
    np.testing.assert_allclose(fold0["lower"], band["lower"])
    np.testing.assert_allclose(fold0["upper"], band["upper"])
    assert (f["lower"] <= f["y_pred"]).all() and (f["y_pred"] <= f["upper"]).all()
    # backtest_metrics: the share of truths inside, per group and pooled
    inside = (f["lower"] <= f["y_true"]) & (f["y_true"] <= f["upper"])
    m = backtest_metrics(f, by="step")
    assert list(m.columns) == ["mae", "rmse", "mape", "mase", "coverage", "n"]
    assert m.loc["all", "coverage"] == pytest.approx(inside.mean())
    assert m.loc[1, "coverage"] == pytest.approx(inside[f["step"] == 1].mean())
    assert "coverage" not in backtest_metrics(plain).columns
    # fitted once, forecasting later origins from newer rows: intervals too
    once = fc.backtest(airline, initial_window=108, refit=False, coverage=0.95)
    assert once[["lower", "upper"]].notna().all().all()
    # errors: a bad coverage, a forecaster without intervals, another strategy
    with pytest.raises(ValueError, match=r"coverage must be in \(0, 1\)"):
        fc.backtest(airline, initial_window=108, coverage=1.5)
    with pytest.raises(TypeError, match="coverage must be a float"):
        backtest(fc, airline, initial_window=108, coverage="80%")

    class PointOnly:
        horizon = 12

        def fit(self, y):
            self.last_ = float(np.asarray(y)[-1])
            return self

        def predict(self, horizon):
            return np.full(horizon, self.last_)

    with pytest.raises(TypeError, match="PointOnly has none"):
        backtest(PointOnly(), airline, initial_window=108, coverage=0.8)
    window = RNNForecaster(horizon=12, window=12, strategy="multioutput", **FAST)
    with pytest.raises(ValueError, match="needs strategy='residual'"):
        window.backtest(airline, initial_window=108, coverage=0.8)


def test_backtest_origin_errors(airline):
    fc = RNNForecaster(window=12, horizon=12, **FAST_DEFAULT)
    with pytest.raises(ValueError, match="No origin"):
        fc.backtest(airline, initial_window=140)


@pytest.mark.parametrize("m", [0, -1, 2.5, True, 60])
def test_backtest_seasonal_period_is_validated(m):
    y = np.sin(np.arange(80) / 3) + 5
    residual = RNNForecaster(horizon=3, **FAST_DEFAULT)
    window = RNNForecaster(horizon=3, window=8, strategy="multioutput", **FAST)
    match = "seasonal_period must be a positive int smaller than initial_window=60"
    for run in (
        lambda: backtest(residual, y, initial_window=60, seasonal_period=m),
        lambda: residual.backtest(y, initial_window=60, seasonal_period=m),
        lambda: window.backtest(y, initial_window=60, seasonal_period=m),
    ):
        with pytest.raises(ValueError, match=match):
            run()


def test_backtest_argument_errors_are_the_same_for_every_strategy():
    y = np.sin(np.arange(80) / 3) + 5
    for strategy in ("residual", "multioutput"):
        fast = FAST_DEFAULT if strategy == "residual" else FAST
        fc = RNNForecaster(horizon=3, window=8, strategy=strategy, **fast)
        with pytest.raises(ValueError, match="initial_window must be a positive int"):
            fc.backtest(y, initial_window=60.0)
    # a column that starts later is the one too short: say which
    ragged = pd.DataFrame(
        {"a": np.arange(80.0), "late": np.r_[[np.nan] * 55, np.arange(25.0)]}
    )
    fc = RNNForecaster(horizon=3, window=8, **FAST_DEFAULT)
    with pytest.raises(ValueError, match=r"Series 'late' of y has 5 rows \(from 55\)"):
        fc.backtest(ragged, initial_window=60)


def test_backtest_metrics_keep_an_unnamed_series():
    f = pd.DataFrame(
        {
            "target": [None, None, "b"],
            "y_true": [2.0, 4.0, 5.0],
            "error": [1.0, -1.0, 2.0],
            "scaled_error": [0.5, -0.5, 1.0],
        }
    )
    m = backtest_metrics(f, by="target")
    assert len(m) == 3 and list(m["n"]) == [1, 2, 3]  # "b", None, "all"


# ------------------------------------------------------------ intervals
def test_conformal_intervals(airline):
    fc = RNNForecaster(
        window=12, horizon=6, strategy="multioutput", calibration_size=20, **FAST
    )
    fc.fit(airline)
    assert fc.conformity_scores_.shape == (20, 6, 1)
    band = fc.predict_interval(coverage=0.8)
    assert list(band.columns) == ["forecast", "lower", "upper"]
    pd.testing.assert_series_equal(band["forecast"], fc.predict(), check_names=False)
    # the k-th smallest of the n = 20 scores, k = ceil(21 * 0.8) = 17
    width = np.sort(fc.conformity_scores_[:, :, 0], axis=0)[16]
    np.testing.assert_allclose(band["upper"] - band["forecast"], width)
    np.testing.assert_allclose(band["forecast"] - band["lower"], width)
    wider = fc.predict_interval(coverage=0.95)
    assert (wider["upper"] >= band["upper"]).all()
    with pytest.warns(UserWarning, match="too few"):
        assert np.isinf(fc.predict_interval(coverage=0.99)["upper"]).all()
    # a float is a fraction of the training windows (144 - 12 - 6 + 1)
    fc.set_params(calibration_size=0.2).fit(airline)
    assert fc.conformity_scores_.shape[0] == int(np.ceil(0.2 * 127))


def test_conformal_coverage_on_noise():
    # i.i.d. noise around a level: held-out coverage should be near nominal
    rng = np.random.default_rng(0)
    y = 10 + rng.normal(size=400)
    fc = RNNForecaster(
        window=10,
        horizon=1,
        strategy="recursive",
        scaling="standard",
        calibration_size=100,
        hidden_size=4,
        max_epochs=5,
        random_state=0,
    ).fit(y[:300])
    # one-step intervals from every later origin, with the fitted networks
    width = np.quantile(fc.conformity_scores_[:, 0, 0], 0.9, method="higher")
    ends = np.arange(300, 400)
    pred = fc._forecast(y[:, None], ends, 1)[:, 0, 0]
    covered = np.abs(y[ends] - pred) <= width
    assert 0.8 <= covered.mean() <= 0.98


@pytest.mark.parametrize("symbols", [["AAPL"], ["AAPL", "IBM", "MSFT"]])
def test_window_strategy_intervals_on_a_long_frame(symbols):
    vega = pytest.importorskip("vega_datasets")
    long = vega.data.stocks().set_index("date")
    long = long[long["symbol"].isin(symbols)]
    fc = RNNForecaster(
        strategy="multioutput",
        multivariate=len(symbols) > 1,
        id_column="symbol",
        window=12,
        horizon=3,
        calibration_size=10,
        **FAST,
    ).fit(long)
    band = fc.predict_interval(0.5)
    pred = fc.predict()
    assert list(band.columns) == ["symbol", "forecast", "lower", "upper"]
    assert len(band) == 3 * len(symbols)
    pd.testing.assert_frame_equal(band[["symbol"]], pred[["symbol"]])
    np.testing.assert_allclose(band["forecast"], pred["price"])
    assert (band["lower"] <= band["forecast"]).all()
    assert (band["forecast"] <= band["upper"]).all()


# ------------------------------------------------------------ seq2seq module
def test_seq2seq_module_shapes_and_gradients():
    model = Seq2SeqModel("gru", 2, 6, n_outputs=8, horizon=4, num_layers=2)
    x = torch.randn(3, 7, 2)
    out = model(x, torch.full((3,), 7))
    assert out.shape == (3, 8)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    with pytest.raises(ValueError, match="multiple of horizon"):
        Seq2SeqModel("lstm", 1, 4, n_outputs=5, horizon=2)


# ------------------------------------------------------------ default (residual)


@pytest.mark.parametrize(
    "index",
    [
        pd.period_range("2000-01", periods=40, freq="M")[::-1],
        pd.PeriodIndex(
            ["2000-01"] * 2
            + list(pd.period_range("2000-02", periods=38, freq="M").astype(str)),
            freq="M",
        ),
    ],
    ids=["reversed", "duplicated"],
)
def test_unsorted_or_duplicated_index_is_an_error(index):
    y = pd.Series(np.arange(40.0), index=index)
    with pytest.raises(ValueError, match="sorted|duplicated"):
        RNNForecaster(horizon=3, **FAST_DEFAULT).fit(y)


def test_bad_input_messages():
    fc = RNNForecaster(horizon=5, window=10, **FAST_DEFAULT)
    with pytest.raises(ValueError, match=r"horizon=5 and window=10"):
        fc.fit(np.arange(12.0))
    with pytest.raises(ValueError, match="complex"):
        fc.fit(np.arange(30.0) + 1j)
    with pytest.raises(ValueError, match="step must be a positive int"):
        fc.backtest(np.arange(60.0), initial_window=40, step=0)
    with pytest.raises(ValueError, match="step must be a positive int"):
        backtest(fc, np.arange(60.0), initial_window=40, step=0)
    with pytest.raises(TypeError, match="fit and predict"):
        backtest("naive", np.arange(60.0), initial_window=40)
    with pytest.raises(ValueError, match="y is empty"):
        fc.fit(np.array([]))
    # values whose squares overflow: an error, not NaN forecasts
    with pytest.raises(ValueError, match=r"up to 2.9e\+300.*rescale y"):
        fc.fit(np.arange(30.0) * 1e299)
    # a (series, time) MultiIndex is not one series: say how to pass several
    two = pd.Series(
        np.arange(60.0), pd.MultiIndex.from_product([["a", "b"], range(30)])
    )
    with pytest.raises(ValueError, match="MultiIndex.*id_column"):
        fc.fit(two)
    assert not hasattr(fc, "model_")


def test_short_series_adapts_its_window():
    sktime = pytest.importorskip("sktime.datasets")
    shampoo = sktime.load_shampoo_sales()  # 36 months
    fc = RNNForecaster(horizon=6, **FAST_DEFAULT).fit(shampoo.iloc[:18])
    assert fc.window_ <= 6 and len(fc.predict()) == 6


def test_newer_history_is_matched_to_the_fitted_series_by_name():
    t = np.arange(40.0)
    wide = pd.DataFrame({"a": np.sin(t / 3), "b": 100 + t})
    fc = RNNForecaster(horizon=3, **FAST_DEFAULT).fit(wide)
    pd.testing.assert_frame_equal(fc.predict(y=wide[["b", "a"]]), fc.predict())
    with pytest.raises(ValueError, match=r"missing: \['a'\], unexpected: \['c'\]"):
        fc.predict(y=wide.rename(columns={"a": "c"}))
    # fitted without names (an array): columns are taken by position
    unnamed = RNNForecaster(horizon=3, **FAST_DEFAULT).fit(wide.to_numpy())
    pd.testing.assert_frame_equal(
        unnamed.predict(y=pd.DataFrame(wide.to_numpy())), unnamed.predict()
    )


class _RaiseAt:
    """Training callback that raises at one optimizer step."""

    def __init__(self, step, exc=None):
        self.step = step
        self.exc = exc

    def __call__(self, step, loss):
        if step == self.step:
            raise self.exc or RuntimeError("stop")


def test_ctrl_c_in_a_refit_propagates_and_keeps_the_forecasts(airline):
    # skorch treats KeyboardInterrupt as "stop training": the forecaster
    # must pass it on, not finish the fit with a half-trained network
    fc = RNNForecaster(horizon=6, **FAST_DEFAULT).fit(airline.iloc[:100])
    before = fc.predict()
    fc.set_params(callbacks=[_RaiseAt(5, KeyboardInterrupt())])
    with pytest.raises(KeyboardInterrupt):
        fc.fit(airline * 10)
    pd.testing.assert_series_equal(fc.predict(), before)


def test_failed_refit_leaves_forecasts_unchanged(airline):
    fc = RNNForecaster(horizon=6, **FAST_DEFAULT).fit(airline.iloc[:100])
    before = fc.predict()
    band = fc.predict_interval(coverage=0.8)
    fc.set_params(callbacks=[_RaiseAt(5)])
    with pytest.raises(RuntimeError, match="stop"):
        fc.fit(airline * 10)
    pd.testing.assert_series_equal(fc.predict(), before)
    pd.testing.assert_frame_equal(fc.predict_interval(coverage=0.8), band)
    assert fc.index_[-1] == airline.index[99]


def test_predict_from_newer_history_without_refitting(airline):
    fc = RNNForecaster(horizon=6, **FAST_DEFAULT).fit(airline.iloc[:100])
    newer = airline.iloc[:130]
    pred = fc.predict(y=newer)
    pd.testing.assert_index_equal(
        pred.index,
        pd.period_range(newer.index[-1] + 1, periods=6, freq="M", name="Period"),
    )
    # the same forecast as a model whose training series ended there
    assert not np.allclose(pred, fc.predict())
    assert np.allclose(fc.predict(y=airline.iloc[:100]), fc.predict())
    assert len(fc.predict(3, y=newer)) == 3
    with pytest.raises(ValueError, match="rows"):
        fc.predict(y=airline.iloc[:3])
    # history of another frequency is an error, not a forecast in its periods
    quarterly = pd.Series(
        np.arange(60.0), pd.period_range("1990Q1", periods=60, freq="Q")
    )
    with pytest.raises(ValueError, match="another frequency.*periods 4 and 12"):
        fc.predict(y=quarterly)
    # the same months on a DatetimeIndex (month starts, no freq set) are fine
    starts = pd.DatetimeIndex(list(newer.index.to_timestamp()))
    pd.testing.assert_series_equal(
        fc.predict(y=pd.Series(newer.to_numpy(), starts)).reset_index(drop=True),
        pred.reset_index(drop=True),
    )


def test_global_model_over_columns():
    vega = pytest.importorskip("vega_datasets")
    stocks = vega.data.stocks().pivot(index="date", columns="symbol", values="price")
    # GOOG starts in 2004 (NaN before): five series of two lengths, one model
    assert stocks["GOOG"].isna().sum() > 40
    prices = stocks.iloc[:-12]
    fc = RNNForecaster(horizon=12, **FAST_DEFAULT).fit(prices)
    pred = fc.predict()
    assert list(pred.columns) == list(prices.columns) and pred.shape == (12, 5)
    assert np.isfinite(pred.to_numpy()).all()
    # one model: each column is forecast as it would be alone by that model
    alone = fc.predict(y=prices)
    pd.testing.assert_frame_equal(pred, alone)
    band = fc.predict_interval(coverage=0.8)
    assert band.columns.nlevels == 2
    assert (band.xs("upper", axis=1, level=1) >= pred).all().all()


def test_long_frame_with_an_id_column_is_one_global_model(tmp_path):
    vega = pytest.importorskip("vega_datasets")
    # the long format as it ships: one row per (symbol, date), GOOG shorter
    long = vega.data.stocks().set_index("date")
    cut = long.index.max() - pd.DateOffset(months=12)
    train = long[long.index <= cut]
    fc = RNNForecaster(horizon=12, id_column="symbol", **FAST_DEFAULT).fit(train)
    wide = train.reset_index().pivot(index="date", columns="symbol", values="price")
    ref = RNNForecaster(horizon=12, **FAST_DEFAULT).fit(wide)
    pred = fc.predict()
    # long in, long out: the id column and the value column, 12 rows a symbol
    assert list(pred.columns) == ["symbol", "price"] and len(pred) == 5 * 12
    assert sorted(pred["symbol"].unique()) == sorted(long["symbol"].unique())
    # the same model and numbers as the wide frame's
    expected = ref.predict()
    for symbol, rows in pred.groupby("symbol"):
        np.testing.assert_allclose(rows["price"], expected[symbol])
        assert rows.index.equals(expected.index)
    band = fc.predict_interval(coverage=0.8)
    assert list(band.columns) == ["symbol", "forecast", "lower", "upper"]
    assert (band["lower"] <= band["forecast"]).all()
    assert (band["forecast"] <= band["upper"]).all()
    # newer history in the same format; scoring and backtests read it too
    np.testing.assert_allclose(fc.predict(y=train)["price"], pred["price"])
    test = long[long.index > cut]
    assert fc.score(test) == pytest.approx(
        ref.score(
            test[["symbol", "price"]]
            .reset_index()
            .pivot(index="date", columns="symbol", values="price")
        )
    )
    folds = fc.backtest(long, initial_window=len(wide) - 12)
    assert sorted(folds["target"].unique()) == sorted(long["symbol"].unique())
    seqlearn.save(fc, tmp_path / "long.seqlearn")
    pd.testing.assert_frame_equal(
        seqlearn.load(tmp_path / "long.seqlearn").predict(), pred
    )
    # errors name the problem
    with pytest.raises(ValueError, match="several rows for series"):
        fc.fit(pd.concat([train, train.iloc[:1]]))
    with pytest.raises(ValueError, match="one column of values"):
        fc.fit(train.assign(volume=1.0))
    with pytest.raises(ValueError, match="long frame"):
        fc.fit(wide)
    ends_early = train[
        ~((train["symbol"] == "IBM") & (train.index > cut - pd.DateOffset(months=3)))
    ]
    with pytest.raises(ValueError, match="'IBM' ends at"):
        fc.fit(ends_early)
    with pytest.raises(ValueError, match="multivariate=True"):
        clone(fc).set_params(strategy="recursive", n_models=5, max_steps=300).fit(train)


def test_conformal_coverage_on_a_series_with_known_noise():
    # a sine plus i.i.d. noise: pooled one-step-to-h coverage near nominal
    rng = np.random.default_rng(0)
    t = np.arange(400)
    y = 10 + np.sin(2 * np.pi * t / 12) + rng.normal(scale=0.3, size=400)
    inside, total = 0, 0
    for end in range(280, 400 - 6, 12):
        fc = RNNForecaster(horizon=6, season_length=12, **FAST_DEFAULT).fit(y[:end])
        band = fc.predict_interval(coverage=0.8)
        truth = y[end : end + 6]
        inside += int(((band["lower"] <= truth) & (truth <= band["upper"])).sum())
        total += 6
    assert 0.65 <= inside / total <= 0.95


@pytest.mark.parametrize(
    "name", ["austres", pytest.param("co2", marks=pytest.mark.slow)]
)
def test_default_beats_seasonal_naive_on_public_series(name):
    if name == "austres":
        pm = pytest.importorskip("pmdarima")
        y, m, h = pm.datasets.load_austres(), 4, 8
    else:
        sm = pytest.importorskip("statsmodels.api")
        co2 = sm.datasets.co2.load_pandas().data["co2"].resample("MS").mean()
        y, m, h = co2.interpolate().to_numpy(), 12, 12
    ratios = []
    for end in (len(y) - 3 * h, len(y) - 2 * h, len(y) - h):
        pred = (
            RNNForecaster(horizon=h, season_length=m, random_state=0)
            .fit(y[:end])
            .predict()
        )
        truth = y[end : end + h]
        snaive = np.tile(y[end - m : end], -(-h // m))[:h]
        ratios.append(np.abs(truth - pred).mean() / np.abs(truth - snaive).mean())
    assert np.mean(ratios) < 0.8


def test_seq2seq_inner_regressor_is_a_clonable_estimator(airline):
    fc = RNNForecaster(window=12, horizon=3, strategy="seq2seq", **FAST).fit(airline)
    params = fc.regressor_.get_params()
    assert params["horizon"] == 3 and "hidden_size" in params
    twin = clone(fc.regressor_)
    assert twin.get_params() == params


def test_residual_base_prefers_the_last_value_on_random_walks():
    # a random walk's best forecast is its last value: a more complex base
    # must validate better by a margin (without it, 12 of 20 walks pick one)
    from seqlearn.forecasting._residual import ResidualModel

    names = []
    for seed in range(20):
        y = 100 + np.cumsum(np.random.default_rng(seed).normal(size=120))
        model = ResidualModel(window=12, horizon=12, season=1, variant=("no_net",))
        names.append(model.fit([y]).base_)
    assert names.count("naive") >= 16


def test_residual_calibrates_on_rolling_origins_over_the_whole_series():
    # the conformal scores come from origins across the series (not only the
    # latest validation windows) and give per-step widths growing with h
    y = 100 + np.cumsum(np.random.default_rng(0).normal(size=300))
    fc = RNNForecaster(horizon=6, **FAST_DEFAULT).fit(y)
    n_windows = 300 - fc.window_ - 6 + 1
    assert len(fc.model_.scores_) > n_windows // 2
    width = fc.model_.half_width(0.8)
    assert width[-1] > 1.5 * width[0]
    band = fc.predict_interval(coverage=0.8)
    assert band["upper"].iloc[-1] - band["lower"].iloc[-1] > 1.5 * (
        band["upper"].iloc[0] - band["lower"].iloc[0]
    )


def test_fit_memory_on_a_million_points_is_bounded(peak_memory):
    # issue 14 item 7: fitting on 1,000,000 points with window 100 peaked at
    # 456x the series; the residual strategy now learns from the latest
    # MAX_WINDOWS windows, so the data side stays a few times the series
    rng = np.random.default_rng(0)
    y = pd.Series(np.cumsum(rng.normal(size=1_000_000)))
    fc = RNNForecaster(horizon=12, window=100, max_steps=5, random_state=0)
    # torch's one-off start-up (imports, caches: ~8x this series when run
    # alone) is not the fit's data: warm it up first, whatever ran before
    clone(fc).fit(y[:400])
    peak = peak_memory(lambda: fc.fit(y))
    assert peak <= 10 * y.nbytes, peak / y.nbytes
    assert np.isfinite(fc.predict()).all()


def test_a_diverging_forecast_is_a_clear_error():
    # issue 14 item 6: an unstable network's recursive forecast used to fail
    # with "X contains infinity" about a finite series
    from seqlearn.base import LossDivergedError

    y = np.sin(np.arange(200) / 4.0) + np.arange(200) / 50
    # a loss that explodes in training is stopped by fit itself now
    with pytest.raises(LossDivergedError, match="train loss diverged"):
        RNNForecaster(
            horizon=6, strategy="recursive", lr=1e12, max_epochs=5, random_state=0
        ).fit(y)
    # a network that trained but feeds back ever larger outputs: its last
    # layer scaled up, every recursive step multiplies the forecast
    fc = RNNForecaster(
        horizon=60, window=8, strategy="recursive", max_epochs=2, random_state=0
    ).fit(y)
    with torch.no_grad():
        for p in fc.regressor_.net_.module_.parameters():
            p.mul_(1e4)
    # the clear error only, without numpy's overflow warning before it
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(LossDivergedError, match="forecast diverged.*Lower lr"):
            fc.predict()


@pytest.mark.parametrize("strategy", ["residual", "multioutput"])
def test_a_callback_with_state_set_in_init(strategy):
    # sklearn's clone cannot rebuild it from get_params; fit must not need to
    from skorch.callbacks import Callback

    class Record(Callback):
        def __init__(self):
            self.losses = []

        def on_epoch_end(self, net, **kwargs):
            self.losses.append(net.history[-1, "train_loss"])

    y = np.sin(np.arange(40.0) / 3)
    residual = {"max_steps": 3, "n_models": 1}
    fast = residual if strategy == "residual" else {"max_epochs": 2}
    fc = RNNForecaster(horizon=2, window=6, strategy=strategy, **fast)
    fc.set_params(callbacks=[("record", Record())]).fit(y)
    assert len(fc.history_) > 0
    # clone, backtests and searches clone it too (sklearn's clone used to
    # fail on the callback: "unexpected keyword argument 'losses'")
    assert clone(fc).callbacks == fc.callbacks
    folds = fc.backtest(y, initial_window=30)
    assert len(folds) > 0


def test_parameters_the_residual_strategy_ignores_warn():
    y = np.sin(np.arange(60.0) / 3)
    with pytest.warns(UserWarning, match="does not use difference=12, max_epochs=5"):
        RNNForecaster(horizon=2, difference=12, max_epochs=5, **FAST_DEFAULT).fit(y)
    with pytest.warns(UserWarning, match="'multioutput' does not use n_models=2"):
        RNNForecaster(horizon=2, strategy="multioutput", n_models=2, **FAST).fit(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RNNForecaster(horizon=2, **FAST_DEFAULT).fit(y)
        RNNForecaster(horizon=2, strategy="multioutput", **FAST).fit(y)


def test_score_matches_series_by_name():
    rng = np.random.default_rng(0)
    y = pd.DataFrame(rng.normal(size=(50, 3)).cumsum(axis=0), columns=list("abc"))
    fc = RNNForecaster(horizon=3, **FAST_DEFAULT).fit(y.iloc[:-3])
    test = y.iloc[-3:]
    assert fc.score(test[["c", "a", "b"]]) == pytest.approx(fc.score(test))
    with pytest.raises(ValueError, match="has 1 series"):
        fc.score(test["a"])
    with pytest.raises(ValueError, match=r"missing: \['c'\]"):
        fc.score(test[["a", "b"]])


def _covariate_task(n=340, seed=0):
    """y_t = x_t + 1.5 x_(t-1): only a model that reads X forecasts it."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    y = x.copy()
    y[1:] += 1.5 * x[:-1]
    index = pd.date_range("2000-01-01", periods=n, freq="D")
    return pd.Series(y, index), pd.DataFrame({"x": x}, index)


def test_newer_history_with_covariates_reads_their_rows():
    y, X = _covariate_task()
    T, k = 300, 7
    fc = RNNForecaster(strategy="recursive", window=12, horizon=3, **FAST)
    fc.fit(y[:T], X[:T])
    # the covariates of y's last window, then the future rows
    newer = fc.predict(y=y[: T + k], X=X[T + k - 12 : T + k + 3])
    assert newer.index[0] == y.index[T + k]
    # the same forecast as a model whose training tail is that window
    expected = fc._forecast(
        y.to_numpy()[: T + k, None], [T + k], 3, X.to_numpy()[: T + k + 3]
    )[0]
    np.testing.assert_allclose(newer.to_numpy(), expected[:, 0], rtol=1e-6)
    with pytest.raises(ValueError, match="covariates of y's last 12 rows"):
        fc.predict(y=y[: T + k], X=X[T + k : T + k + 3])
    # the right number of rows, dated one step late: the dates are checked too
    with pytest.raises(ValueError, match="X's first 12 rows must be the covariates"):
        fc.predict(y=y[: T + k], X=X[T + k - 11 : T + k + 4])


def test_dated_covariates_are_checked_against_the_periods():
    y, X = _covariate_task()
    fc = RNNForecaster(strategy="recursive", window=12, horizon=3, **FAST)
    fc.fit(y[:300], X[:300])
    for wrong in (X[:303], X[303:306], X[300:303][::-1]):
        with pytest.raises(ValueError, match="but the forecast starts at"):
            fc.predict(X=wrong)
    by_position = fc.predict(X=X[300:303].to_numpy())
    pd.testing.assert_series_equal(fc.predict(X=X[300:303]), by_position)
    with pytest.raises(ValueError, match="X's index differs from y's"):
        clone(fc).fit(y[:300], X[:300].sample(frac=1, random_state=0))


def test_backtest_method_and_function_give_the_same_folds(airline):
    fc = RNNForecaster(
        strategy="multioutput", window=24, horizon=12, difference=12, **FAST
    )
    method = fc.backtest(airline, initial_window=108, step=12)
    function = backtest(fc, airline, initial_window=108, step=12)
    np.testing.assert_array_equal(method["y_pred"], function["y_pred"])


def test_log_intervals_are_factors_and_stay_positive(airline):
    fc = RNNForecaster(
        strategy="multioutput", window=24, horizon=6, log=True, calibration_size=20
    )
    band = fc.set_params(**FAST).fit(airline).predict_interval(coverage=0.95)
    assert (band["lower"] > 0).all()
    # a band of factors exp(+-w) around the forecast: wider above than below
    above = band["upper"] - band["forecast"]
    below = band["forecast"] - band["lower"]
    assert (above > below).all()
    np.testing.assert_allclose(
        band["upper"] * band["lower"], band["forecast"] ** 2, rtol=1e-9
    )


def test_future_index_of_evenly_spaced_floats():
    years = pd.Index([1990.0, 1991.0, 1992.0], name="year")
    ahead = future_index(years, 2)
    assert ahead.tolist() == [1993.0, 1994.0] and ahead.name == "year"
    uneven = future_index(pd.Index([0.0, 1.0, 3.5]), 2)
    assert uneven.tolist() == [3, 4]  # no step to follow: row numbers


def test_future_index_of_elapsed_times():
    # a TimedeltaIndex continued as row numbers; now with its median gap
    run = pd.to_timedelta([0, 10, 20, 30, 45], unit="s").rename("elapsed")
    ahead = future_index(run, 2)
    assert ahead.tolist() == pd.to_timedelta([55, 65], unit="s").tolist()
    assert ahead.name == "elapsed"


def test_an_outlier_in_the_last_window_does_not_scale_the_forecast(airline):
    # a 100x typo 8 rows before the end inflated the window's standard
    # deviation ~1e2 times, and the network's correction with it (forecasts
    # up to 26,604 for a series of about 400); the spread is now capped at
    # the largest std/MAD ratio of the training windows
    y = airline.astype(float)[:-12]
    y.iloc[-8] = 40_000.0
    fc = RNNForecaster(horizon=12, n_models=2, max_steps=60, random_state=0).fit(y)
    pred = fc.predict()
    assert pred.max() < 2 * 622 and pred.min() > 0.5 * 104
    x = y.to_numpy()[-fc.window_ :][None]
    model = fc.model_
    assert x.std() > 5 * model.spread_cap_ * np.median(np.abs(x - np.median(x)))


# ------------------------------------------------------------ edge cases
TINY = dict(n_models=1, max_steps=5, hidden_size=4, random_state=0)


def test_residual_intervals_on_too_few_errors_are_infinite():
    # 5 rows: 2 windows, trained and scored on the same ones; the bands were
    # +-0.03 for any coverage
    s = pd.Series([9.1, 12.4, 7.8, 11.0, 8.6])
    fc = RNNForecaster(horizon=2, **TINY).fit(s)
    assert fc.model_.in_sample_
    for coverage in (0.9, 0.99):
        with pytest.warns(UserWarning, match="too few for coverage.*infinite"):
            band = fc.predict_interval(coverage)
        assert np.isinf(band[["lower", "upper"]]).all(axis=None)
        assert np.isfinite(band["forecast"]).all()
    with pytest.warns(UserWarning, match="in-sample errors"):
        band = fc.predict_interval(0.5)
    assert np.isfinite(band).all(axis=None)


def test_residual_intervals_past_the_largest_pooled_error_are_infinite():
    y = np.sin(np.arange(80.0) / 3) + np.arange(80.0) / 20
    fc = RNNForecaster(horizon=3, **TINY).fit(y)
    assert not fc.model_.in_sample_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(fc.predict_interval(0.99)).all(axis=None)
    with pytest.warns(UserWarning, match="infinite"):
        band = fc.predict_interval(1 - 1e-7)
    assert np.isinf(band["upper"]).all()


def test_score_checks_that_a_dated_y_continues_the_training_series(airline):
    fc = RNNForecaster(horizon=12, **TINY).fit(airline[:-24])
    right = fc.score(airline[-24:-12])
    assert right == fc.score(airline[-24:-12].to_numpy())  # by position
    for wrong in (airline[:12], airline[-12:], airline[-23:-11]):
        with pytest.raises(ValueError, match="must continue the training series"):
            fc.score(wrong)


def test_score_takes_the_next_business_day_after_a_holiday():
    # holidays make the dates irregular: the next row may come after one
    days = pd.bdate_range("2024-01-01", periods=42).delete([10, 31])
    y = pd.Series(np.sin(np.arange(40.0)), index=days)
    fc = RNNForecaster(horizon=3, **TINY).fit(y[:30])
    assert future_index(y.index[:30], 1)[0] < y.index[30]
    assert np.isfinite(fc.score(y[30:33]))
    with pytest.raises(ValueError, match="must continue"):
        fc.score(y[25:28])


def test_tiny_values_are_a_clear_error(airline):
    with pytest.raises(ValueError, match="rescale y, e.g. multiply"):
        RNNForecaster(horizon=12, strategy="multioutput", **FAST).fit(airline * 1e-200)
    # zeros are not tiny values
    RNNForecaster(horizon=2, **TINY).fit(np.r_[np.zeros(5), np.ones(10)])


def test_an_explicit_season_that_cannot_be_used_warns(airline):
    y = airline[:-12]  # 132 rows
    for m in (66, 1000):
        with pytest.warns(UserWarning, match=f"season_length={m} is not used.*rows"):
            fc = RNNForecaster(horizon=12, season_length=m, **TINY).fit(y)
        assert fc.season_length_ == 1
    with pytest.warns(UserWarning, match="season_length=12 is not used.*window >= 24"):
        RNNForecaster(horizon=12, season_length=12, window=12, **TINY).fit(y)
    with pytest.warns(UserWarning, match="season_length=50 is not used.*half"):
        RNNForecaster(horizon=12, season_length=50, **TINY).fit(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RNNForecaster(horizon=12, season_length=12, **TINY).fit(y)


def test_a_window_of_one_value_skips_the_drift():
    y = np.sin(np.arange(40.0) / 3) + np.arange(40.0) / 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fc = RNNForecaster(horizon=2, window=1, **TINY).fit(y)
    assert fc.model_.base_ != "drift" and np.isfinite(fc.predict()).all()


def test_too_short_for_any_calibration_says_how_many_rows():
    fc = RNNForecaster(
        horizon=2, window=2, strategy="multioutput", calibration_size=1, **FAST
    )
    with pytest.raises(ValueError, match="5 rows, too short.*at least 7 rows"):
        fc.fit(pd.Series(np.arange(5.0)))
    assert fc.fit(pd.Series(np.arange(7.0))).conformity_scores_.shape == (1, 2, 1)


def _forecasts(y_true, scaled_error):
    y_true = np.asarray(y_true, dtype=float)
    return pd.DataFrame(
        {
            "fold": [0, 0, 1, 1],
            "y_true": y_true,
            "error": np.ones(4),
            "scaled_error": scaled_error,
        }
    )


def test_backtest_metrics_names_a_missing_column():
    f = _forecasts([1, 2, 3, 4], [1.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"no column 'nope' \(by\).*'fold'"):
        backtest_metrics(f, by="nope")
    with pytest.raises(ValueError, match="no column 'nope'"):
        backtest_metrics(f, by=["fold", "nope"])
    with pytest.raises(ValueError, match="no column 'scaled_error'"):
        backtest_metrics(f.drop(columns="scaled_error"))


def test_backtest_metrics_undefined_mape_and_mase_are_nan():
    f = _forecasts([0, 2, 3, 4], [1.0, 1.0, np.nan, np.nan])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = backtest_metrics(f)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2, messages
    assert "true value is 0" in messages[0] and "constant" in messages[1]
    assert np.isnan(m.loc[0, "mape"]) and m.loc[1, "mape"] == pytest.approx(
        29.1667, 1e-3
    )
    assert m.loc[0, "mase"] == 1.0 and np.isnan(m.loc[1, "mase"])
    assert np.isnan(m.loc["all", ["mape", "mase"]].astype(float)).all()


def test_backtest_of_a_constant_series_gives_nan_mase_without_numpy_warnings():
    y = np.r_[np.ones(20), 1.0, 2.0, 3.0]  # one fold, trained on the ones
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        f = backtest(RNNForecaster(horizon=3, **TINY), y, initial_window=20)
    assert np.isnan(f["scaled_error"]).all() and np.isfinite(f["error"]).all()


@pytest.mark.parametrize("strategy", ["residual", "multioutput"])
def test_newer_history_needs_no_nan_before_the_rows_read(strategy):
    y = pd.Series(np.sin(np.arange(60.0) / 3))
    fc = RNNForecaster(horizon=3, window=8, strategy=strategy)
    fc.set_params(**(TINY if strategy == "residual" else FAST)).fit(y)
    early = y.copy()
    early.iloc[10] = np.nan
    pd.testing.assert_series_equal(fc.predict(y=early), fc.predict())
    late = y.copy()
    late.iloc[-3] = np.nan
    with pytest.raises(ValueError, match="NaN in its last 8 rows.*index 57"):
        fc.predict(y=late)


def test_sparse_and_iterator_inputs_are_named():
    sp = pytest.importorskip("scipy.sparse")
    from seqlearn.preprocessing import make_windows

    v = np.sin(np.arange(30.0))
    with pytest.raises(TypeError, match=r"sparse matrix.*y.toarray\(\)"):
        RNNForecaster(horizon=3).fit(sp.csr_matrix(v[:, None]))
    with pytest.raises(TypeError, match="iterator.*list"):
        RNNForecaster(horizon=3).fit(x for x in v)
    with pytest.raises(TypeError, match=r"series.toarray\(\)"):
        make_windows(sp.csr_matrix(np.ones((5, 1))), 2)
    with pytest.raises(TypeError, match=r"X.toarray\(\)"):
        RNNForecaster(horizon=3, window=4, strategy="multioutput", **FAST).fit(
            v, X=sp.csr_matrix(np.ones((30, 1)))
        )
    with pytest.raises(TypeError, match="sparse matrix"):
        backtest(RNNForecaster(horizon=3), sp.csr_matrix(v[:, None]), initial_window=20)


def test_drift_base_takes_half_the_window_trend():
    # as the Theta method: the full local trend overshot after AMZN's 2003
    # run-up (5.1x seasonal naive's error at a selection origin; session 8)
    from seqlearn.forecasting._residual import ResidualModel

    model = ResidualModel(window=5, horizon=3, season=1)
    x = np.array([[-4.0, -3.0, -2.0, -1.0, 0.0]])  # one unit per step
    np.testing.assert_allclose(model._base_predict("drift", None, x), [[0.5, 1, 1.5]])
    model.variant = ("drift_full",)
    np.testing.assert_allclose(model._base_predict("drift", None, x), [[1.0, 2, 3]])


def test_theta_base_is_the_smoothed_level_plus_half_the_drift():
    from seqlearn.forecasting._residual import ResidualModel

    model = ResidualModel(window=5, horizon=3, season=1)
    x = np.array([[-4.0, -3.0, -2.0, -1.0, 0.0], [1.0, -1.0, 2.0, 0.5, 0.0]])
    theta = model._base_predict("theta0.5", None, x)
    expected = model._base_predict("ses0.5", None, x) + model._base_predict(
        "drift", None, x
    )
    np.testing.assert_allclose(theta, expected)
    assert "theta0.5" in model._base_candidates(x)
    model.variant = ("no_theta",)
    assert "theta0.5" not in model._base_candidates(x)


def test_seasonal_theta_base_removes_the_window_season_first():
    from seqlearn.forecasting._residual import ResidualModel

    model = ResidualModel(window=10, horizon=6, season=4)
    t = np.arange(16.0)
    pattern = np.array([1.0, -1.0, -1.0, 1.0])[t.astype(int) % 4]
    # a flat level plus a season: continued exactly (the plain Theta is not)
    x, future = (5.0 + pattern)[None, :10], (5.0 + pattern)[None, 10:]
    np.testing.assert_allclose(model._base_predict("stheta0.5", None, x), future)
    assert np.abs(model._base_predict("theta0.5", None, x) - future).max() > 0.5
    # with a trend, the adjusted window is the line and the profile comes back
    x = (0.3 * t + pattern)[None, :10]
    profile, adjusted = model._season_profile(x)
    np.testing.assert_allclose(adjusted, (0.3 * t + pattern)[None, :10] - pattern[:10])
    np.testing.assert_allclose(profile[0], pattern[6:10])  # the last season
    stheta = model._base_predict("stheta0.2", None, x)
    theta = model._base_predict("theta0.2", None, adjusted)
    np.testing.assert_allclose(stheta, theta + pattern[None, 10:])
    assert "stheta0.5" in model._base_candidates(x)
    model.variant = ("no_stheta",)
    assert "stheta0.5" not in model._base_candidates(x)
    # no season in the data (or too short a window): no seasonal Theta
    for window, season in [(10, 1), (6, 4)]:
        short = ResidualModel(window=window, horizon=6, season=season)
        assert "stheta0.5" not in short._base_candidates(x[:, :window])


def test_an_index_of_date_strings_is_refused_and_date_objects_are_read():
    # read_csv without parse_dates gives strings: read as row numbers they
    # lost the dates and the season (forecast index 60, 61, 62; season 1)
    months = pd.period_range("2015-01", periods=60, freq="M")
    values = 50 + 10 * np.sin(np.arange(60) * np.pi / 6) + np.arange(60) / 10
    strings = pd.Series(values, index=[str(p.start_time.date()) for p in months])
    for fc in (RNNForecaster(horizon=3), NaiveForecaster(horizon=3)):
        with pytest.raises(ValueError, match=r"strings.*pd\.to_datetime"):
            fc.fit(strings)
    # Timestamps or Periods stored as objects are converted, not refused
    for index in (months.to_timestamp().astype(object), months.astype(object)):
        fc = NaiveForecaster(horizon=3).fit(pd.Series(values, index=index))
        assert fc.season_length_ == 12
        assert str(fc.predict().index[0])[:7] == "2020-01"
    fast = {"max_steps": 5, "n_models": 2, "random_state": 0}
    fc = RNNForecaster(horizon=3, **fast).fit(
        pd.Series(values, index=months.to_timestamp().astype(object))
    )
    assert isinstance(fc.predict().index, pd.DatetimeIndex)


def test_a_series_passed_as_the_horizon_names_the_keyword():
    y = pd.Series(
        np.arange(30.0), index=pd.period_range("2015-01", periods=30, freq="M")
    )
    fc = RNNForecaster(horizon=3, max_steps=5, n_models=2, random_state=0).fit(y)
    with pytest.raises(TypeError, match=r"predict\(y=\.\.\.\)"):
        fc.predict(y)
    # an unnamed series' newer history may come as a one-column frame
    np.testing.assert_allclose(fc.predict(y=y.to_frame("v")), fc.predict(y=y))


def test_messages_name_only_what_the_user_set():
    y = pd.Series(np.arange(8.0), index=pd.period_range("2015-01", periods=8, freq="M"))
    with pytest.raises(ValueError, match=r"window of 2 chosen for it \(window=None\)"):
        RNNForecaster(horizon=6).fit(y)
    with pytest.raises(ValueError, match=r"one target step \+ difference"):
        RNNForecaster(horizon=3, strategy="recursive").fit(y)
    long = pd.Series(np.arange(40.0))
    fast = {"max_steps": 5, "n_models": 2, "random_state": 0}
    with pytest.warns(
        UserWarning, match=r"difference=1; it applies to the other strategies\.$"
    ):
        RNNForecaster(horizon=3, difference=1, **fast).fit(long)
    with pytest.warns(UserWarning, match="budget is max_steps"):
        RNNForecaster(horizon=3, max_epochs=7, **fast).fit(long)


def test_values_near_float32s_limit():
    # the window strategies' network runs in float32: scaling="window"
    # normalises each window in float64 first, so 1e38 is fine (it used to
    # be reported as a diverging forecast); scaling="none" cannot hold it
    rng = np.random.default_rng(0)
    y = pd.Series(np.cumsum(rng.normal(size=96)) * 1e38)
    kw = {"horizon": 3, "strategy": "recursive", "max_epochs": 2, "random_state": 0}
    assert np.isfinite(RNNForecaster(**kw).fit(y).predict()).all()
    with pytest.raises(ValueError, match=r"float32.*scaling='window'"):
        RNNForecaster(scaling="none", **kw).fit(y)


def test_missing_dates_are_warned_about_but_trading_day_closures_are_not():
    # rows are read as consecutive steps: a missing week of a daily series
    # shifts its season and dates without a word
    idx = pd.date_range("2020-01-01", periods=100, freq="D").delete(range(40, 47))
    gappy = pd.Series(np.arange(93.0), index=idx)
    with pytest.warns(UserWarning, match=r"1 gap\(s\).*2020-02-09 to 2020-02-17"):
        NaiveForecaster(horizon=5).fit(gappy)
    # trading days: weekends and closures are not missing data
    days = pd.bdate_range("2020-01-01", periods=100).delete([10, 50])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NaiveForecaster(horizon=5, season_length=1).fit(
            pd.Series(np.arange(98.0), index=days)
        )


def test_conformal_quantile_is_the_kth_smallest_score():
    # split conformal: the k-th smallest of n scores, k = ceil((n + 1) c);
    # np.quantile(k / n, method="higher") had returned the (k + 1)-th
    from seqlearn.forecasting._series import conformal_quantile, conformal_rank

    scores = np.arange(1.0, 21.0)[::-1]  # 20 scores, unsorted
    assert conformal_rank(20, 0.8) == 17 and conformal_quantile(scores, 0.8) == 17
    assert conformal_rank(19, 0.95) == 19  # 20 * 0.95, whatever the rounding
    assert conformal_quantile(scores, 0.95) == 20
    assert np.isinf(conformal_quantile(scores, 0.96))
    two = np.stack([scores, 10 * scores], axis=1)
    np.testing.assert_array_equal(conformal_quantile(two, 0.5), [11, 110])


def test_season_of_a_frequency_multiple():
    from seqlearn.forecasting._calendar import _index_season

    cases = {"2MS": 6, "3MS": 4, "2QS": 2, "2W": 26, "2h": 12, "6h": 4}
    cases.update({"MS": 12, "h": 24, "30D": 1, "2B": 1})  # no whole period: none
    for freq, season in cases.items():
        index = pd.date_range("2024-01-01", periods=8, freq=freq)
        assert _index_season(index) == season, freq
        # the same when pandas has to infer the frequency
        assert _index_season(pd.DatetimeIndex(index.values)) == season, freq


def test_a_few_weekdays_without_a_frequency_continue_as_business_days():
    # five weekdays Monday to Friday: pandas infers "D"; the weekend must not
    # be forecast (any index of weekdays only is read as business days)
    index = pd.DatetimeIndex(pd.bdate_range("2024-03-25", periods=5).values)
    nxt = future_index(index, 3)
    assert list(nxt.dayofweek) == [0, 1, 2]
    days = pd.DatetimeIndex(pd.date_range("2024-03-25", periods=7).values)
    assert list(future_index(days, 2).dayofweek) == [0, 1]  # Sunday -> Mon, Tue
