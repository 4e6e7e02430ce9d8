"""NaiveForecaster: the seasonal naive baseline in the forecasters' API."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

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
        ({"id_column": 0}, _monthly(), TypeError, "id_column must be a str"),
        (
            {"id_column": "id"},
            _monthly(),
            ValueError,
            "id_column='id' reads y as a long frame",
        ),
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
    assert clone(fc).get_params() == {
        "horizon": 3,
        "season_length": 2,
        "id_column": None,
    }
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


def _long(wide, name="sales"):
    """A long frame of ``wide``'s columns: an id column, then the values."""
    return wide.melt(ignore_index=False, var_name="id", value_name=name)


def test_long_frames_with_id_column():
    wide = _monthly(40, columns=["a", "b"]).rename_axis("date")
    long = _long(wide)
    assert long.index.has_duplicates  # the rows of both series at each date
    fc = NaiveForecaster(horizon=15, id_column="id")
    fc.fit(long[long.index < wide.index[25]])
    ref = NaiveForecaster(horizon=15).fit(wide.iloc[:25])
    assert fc.n_targets_ == 2 and fc.index_.equals(wide.index[:25])
    # forecasts come back long, as RNNForecaster's: the id column, the values
    pred = fc.predict()
    assert list(pred.columns) == ["id", "sales"] and pred.index.name == "date"
    pd.testing.assert_frame_equal(pred, _long(ref.predict().rename_axis("date")))
    # newer history, long too, its series matched by name
    newer = _long(wide[["b", "a"]])
    pd.testing.assert_frame_equal(
        fc.predict(y=newer), _long(ref.predict(y=wide).rename_axis("date"))
    )
    band = fc.predict_interval(coverage=0.5, horizon=3)
    assert list(band.columns) == ["id", "forecast", "lower", "upper"]
    ref_band = ref.predict_interval(coverage=0.5, horizon=3)
    for part in ("forecast", "lower", "upper"):
        expected = ref_band.xs(part, axis=1, level=1).rename_axis("date")
        np.testing.assert_array_equal(band[part], _long(expected)["sales"])
    with pytest.raises(ValueError, match="missing: \\['b'\\]"):
        fc.predict(y=newer[newer["id"] == "a"])


def test_a_series_that_starts_later():
    y = _monthly(90)
    late = pd.DataFrame({"a": y, "b": y.where(np.arange(90) >= 70)})
    # its leading NaN cannot be filled: the message names it and its start
    with pytest.raises(
        ValueError,
        match="Series 'b' of y has 5 rows \\(from Period\\('2025-11', 'M'\\)\\), "
        "too short for season_length=12",
    ):
        NaiveForecaster(horizon=3).fit(late[:75])
    with pytest.raises(ValueError, match="y has 1 row \\(from"):
        NaiveForecaster(season_length=2).fit(y.where(np.arange(90) >= 89))
    # a full season is enough: each series repeats its own
    fc = NaiveForecaster(horizon=3).fit(late)
    np.testing.assert_array_equal(fc.predict()["b"], y.to_numpy()[78:81])
    with pytest.raises(ValueError, match="Series 'b' of y has 5 rows"):
        fc.predict(y=late[:75])
    # the same in a long frame, whose newer series starts later
    long = _long(late).dropna()
    with pytest.raises(ValueError, match="Series 'b' of y has 5 rows"):
        NaiveForecaster(horizon=3, id_column="id").fit(long[long.index < y.index[75]])


def test_newer_history_at_another_frequency_is_an_error():
    fc = NaiveForecaster(horizon=3).fit(_monthly())
    daily = pd.Series(
        np.arange(60.0), pd.date_range("2022-07-01", periods=60, freq="D")
    )
    with pytest.raises(ValueError, match="another frequency .* periods 7 and 12"):
        fc.predict(y=daily)
    with pytest.raises(ValueError, match="another frequency"):
        fc.predict_interval(y=daily)


def test_predict_reads_the_fitted_horizon():
    y = _monthly()
    fc = NaiveForecaster(horizon=3).fit(y)
    fc.set_params(horizon=6)  # takes effect at the next fit, as RNNForecaster's
    assert fc.horizon_ == 3 and len(fc.predict()) == 3
    assert len(fc.predict_interval(coverage=0.5)) == 3
    with pytest.raises(ValueError, match="exceeds the fitted horizon 3"):
        fc.predict_interval(horizon=4)
    assert len(fc.predict(6)) == 6  # an explicit horizon still overrides
    assert fc.fit(y).horizon_ == 6 and len(fc.predict()) == 6


def test_score_is_the_negative_mae_of_the_next_rows():
    y = _monthly(40)
    fc = NaiveForecaster(horizon=4).fit(y.iloc[:30])
    expected = -np.mean(np.abs(y.to_numpy()[30:34] - y.to_numpy()[18:22]))
    assert fc.score(y.iloc[30:]) == pytest.approx(expected)
    assert fc.score(y.iloc[30:32]) == pytest.approx(
        -np.mean(np.abs(y.to_numpy()[30:32] - y.to_numpy()[18:20]))
    )
    with pytest.raises(ValueError, match="must continue the training series"):
        fc.score(y.iloc[31:])
    with pytest.raises(ValueError, match="NaN in the 4 rows scored"):
        fc.score(y.iloc[30:].where(lambda s: s.index.month != 9))
    wide = _monthly(40, columns=["a", "b"])
    long = NaiveForecaster(horizon=4, id_column="id").fit(_long(wide.iloc[:30]))
    by_hand = NaiveForecaster(horizon=4).fit(wide.iloc[:30]).score(wide.iloc[30:])
    assert long.score(_long(wide.iloc[30:])) == pytest.approx(by_hand)


def test_grid_search_needs_no_scoring():
    # a season of 12 plus noise: the seasonal naive beats the last value
    rng = np.random.default_rng(0)
    idx = pd.period_range("2000-01", periods=96, freq="M")
    y = pd.Series(10 * np.sin(np.arange(96) * np.pi / 6) + rng.normal(size=96), idx)
    search = GridSearchCV(
        NaiveForecaster(horizon=12),
        {"season_length": [1, 12]},
        cv=TimeSeriesSplit(n_splits=3, test_size=12),
    ).fit(y)
    assert search.best_params_ == {"season_length": 12}
    assert (search.cv_results_["mean_test_score"] < 0).all()


def test_an_unnamed_series_predicts_from_a_one_column_frame():
    y = _monthly()
    y.name = None
    fc = NaiveForecaster(horizon=3).fit(y.iloc[:24])
    pd.testing.assert_series_equal(fc.predict(y=y.to_frame("v")), fc.predict(y=y))
