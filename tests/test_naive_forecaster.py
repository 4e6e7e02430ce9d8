"""NaiveForecaster: the seasonal naive baseline in the forecasters' API."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from seqlearn.forecasting import NaiveForecaster, backtest, backtest_metrics


@pytest.fixture(scope="module")
def airline():
    sktime = pytest.importorskip("sktime.datasets")
    return sktime.load_airline()


def _monthly(n=30, columns=None):
    idx = pd.period_range("2020-01", periods=n, freq="M")
    values = np.arange(n, dtype=float) ** 1.5
    if columns is None:
        return pd.Series(values, index=idx, name="sales")
    return pd.DataFrame({c: values * (i + 1) for i, c in enumerate(columns)}, idx)


def test_repeats_the_last_season_read_from_the_index():
    y = _monthly()
    fc = NaiveForecaster(horizon=18)
    assert fc.fit(y) is fc and fc.season_length_ == 12
    pred = fc.predict()
    assert isinstance(pred, pd.Series) and pred.name == "sales"
    expected = np.concatenate([y.to_numpy()[-12:], y.to_numpy()[-12:-6]])
    np.testing.assert_array_equal(pred.to_numpy(), expected)
    pd.testing.assert_index_equal(
        pred.index, pd.period_range("2022-07", periods=18, freq="M")
    )
    # a shorter horizon at predict time
    np.testing.assert_array_equal(fc.predict(3).to_numpy(), expected[:3])


def test_last_value_and_several_series():
    y = _monthly(columns=["a", "b"])
    pred = NaiveForecaster(horizon=4, season_length=1).fit(y).predict()
    assert list(pred.columns) == ["a", "b"]
    np.testing.assert_array_equal(pred.to_numpy(), np.tile(y.to_numpy()[-1], (4, 1)))


def test_predict_from_newer_history_continues_its_index():
    y = _monthly(40)
    fc = NaiveForecaster(horizon=6, season_length=4).fit(y.iloc[:30])
    pred = fc.predict(y=y)
    np.testing.assert_array_equal(
        pred.to_numpy(), y.to_numpy()[[36, 37, 38, 39, 36, 37]]
    )
    assert pred.index[0] == y.index[-1] + 1
    with pytest.raises(ValueError, match="2 series; the forecaster was fitted on 1"):
        fc.predict(y=_monthly(columns=["a", "b"]).to_numpy())
    # a frame's columns are matched by name, not by position
    wide = _monthly(columns=["a", "b"])
    fc = NaiveForecaster(horizon=2, season_length=1).fit(wide)
    pd.testing.assert_frame_equal(fc.predict(y=wide[["b", "a"]]), fc.predict())
    with pytest.raises(ValueError, match="missing: \\['b'\\]"):
        fc.predict(y=wide.rename(columns={"b": "c"}))


def test_backtest_matches_the_seasonal_naive_by_hand(airline):
    fc = NaiveForecaster(horizon=12)
    forecasts = backtest(fc, airline, initial_window=96, seasonal_period=12)
    expected = airline.shift(12).loc[forecasts["time"]].to_numpy()
    np.testing.assert_array_equal(forecasts["y_pred"].to_numpy(), expected)
    # MASE against the in-sample seasonal naive: its scale is the same forecast
    assert backtest_metrics(forecasts, by=None)["mase"].iloc[0] > 0
    # fitted once, it forecasts the later origins from their newer history
    once = backtest(fc, airline, initial_window=96, seasonal_period=12, refit=False)
    pd.testing.assert_frame_equal(once, forecasts)


@pytest.mark.parametrize(
    ("params", "y", "error", "match"),
    [
        ({"horizon": 0}, _monthly(), ValueError, "horizon must be positive"),
        ({"season_length": 1.5}, _monthly(), TypeError, "season_length must be an int"),
        (
            {},
            _monthly(8),
            ValueError,
            "8 rows; forecasting needs the last 12 .the season",
        ),
        ({}, _monthly().iloc[::-1], ValueError, "not sorted oldest first"),
        (
            {"season_length": 3},
            _monthly().where(lambda s: s.index.month != 6),
            ValueError,
            "NaN in its last 3 rows",
        ),
    ],
)
def test_bad_input_is_a_clear_error(params, y, error, match):
    with pytest.raises(error, match=match):
        NaiveForecaster(**params).fit(y)


def test_estimator_contract():
    fc = NaiveForecaster(horizon=3, season_length=2)
    assert clone(fc).get_params() == {"horizon": 3, "season_length": 2}
    with pytest.raises(NotFittedError):
        fc.predict()
    y = _monthly()
    fc.fit(y)
    pd.testing.assert_series_equal(
        pickle.loads(pickle.dumps(fc)).predict(), fc.predict()
    )
    # refitting on other data replaces what the first fit kept
    pd.testing.assert_series_equal(
        fc.fit(y * 2).predict(),
        NaiveForecaster(horizon=3, season_length=2).fit(y * 2).predict(),
    )


def test_a_failed_fit_leaves_the_forecaster_as_it_was():
    y = _monthly()
    fc = NaiveForecaster(horizon=3).fit(y)
    before = fc.predict()
    with pytest.raises(ValueError, match="not sorted"):
        fc.fit((y * 2).iloc[::-1])
    with pytest.raises(ValueError, match="NaN in its last 12 rows"):
        fc.fit((y * 2).where(lambda s: s.index.month != 6))
    pd.testing.assert_series_equal(fc.predict(), before)
    assert fc.season_length_ == 12 and fc.index_.equals(y.index)


def test_intervals_hold_their_coverage_on_a_random_walk():
    # a random walk's h-step naive errors are N(0, h): the 80 % half-width at
    # step j is 1.2816 * sqrt(j), and a backtest covers about 80 %
    rng = np.random.default_rng(0)
    idx = pd.period_range("1900-01", periods=3000, freq="M")
    walk = pd.Series(rng.normal(size=3000).cumsum(), idx)
    fc = NaiveForecaster(horizon=4, season_length=1).fit(walk)
    band = fc.predict_interval(coverage=0.8)
    assert list(band.columns) == ["forecast", "lower", "upper"]
    half = (band["upper"] - band["lower"]).to_numpy() / 2
    np.testing.assert_allclose(half, 1.2816 * np.sqrt([1, 2, 3, 4]), rtol=0.06)
    np.testing.assert_array_equal(band["forecast"], fc.predict())
    forecasts = backtest(
        fc, walk, initial_window=1000, step=20, coverage=0.8, refit=False
    )
    inside = backtest_metrics(forecasts, by=None)["coverage"].iloc[0]
    assert 0.75 <= inside <= 0.85


def test_intervals_of_several_series_and_their_errors():
    y = _monthly(40, columns=["a", "b"])
    fc = NaiveForecaster(horizon=15, season_length=12).fit(y)
    band = fc.predict_interval(coverage=0.5)
    assert list(band.columns) == [
        (c, part) for c in ("a", "b") for part in ("forecast", "lower", "upper")
    ]
    # steps 1-12 read one season back, 13-15 two: their own errors
    assert len(fc.errors_) == 2 and fc.errors_[1].shape == (16, 2)
    one = np.sort(fc.errors_[0][:, 0])[int(np.ceil(29 * 0.5)) - 1]
    half = (band[("a", "upper")] - band[("a", "lower")]).to_numpy() / 2
    np.testing.assert_allclose(half[:12], one)
    with pytest.raises(ValueError, match="exceeds the fitted horizon 15"):
        fc.predict_interval(horizon=16)
    with pytest.raises(ValueError, match="coverage must be in"):
        fc.predict_interval(coverage=1.5)
    with pytest.warns(UserWarning, match="too few in-sample errors"):
        band = (
            NaiveForecaster(horizon=1, season_length=12)
            .fit(_monthly(14))
            .predict_interval(coverage=0.9)
        )
    assert np.isinf(band["upper"]).all()


def test_errors_kept_are_bounded_on_a_long_series():
    y = np.random.default_rng(0).normal(size=30_000).cumsum()
    fc = NaiveForecaster(horizon=3, season_length=1).fit(y)
    assert [e.shape for e in fc.errors_] == [(10_000, 1)] * 3
    # the latest ones: the last error of lag 2 is |y[-1] - y[-3]|
    assert fc.errors_[1][-1, 0] == abs(y[-1] - y[-3])
