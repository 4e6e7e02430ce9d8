"""Faults of seqlearn.forecasting.backtest: failing folds, flags, names, covariates."""

import numpy as np
import pandas as pd
import pytest

from seqlearn import RNNForecaster
from seqlearn.base import LossDivergedError
from seqlearn.forecasting import NaiveForecaster, backtest, backtest_metrics

# the default (residual) strategy in few optimizer steps
TINY = dict(max_steps=20, n_models=2, random_state=0)
# a window strategy, which takes covariates, in two epochs of a small network
WINDOW = dict(
    strategy="multioutput", window=8, hidden_size=8, max_epochs=2, random_state=0
)


@pytest.fixture
def monthly():
    t = np.arange(96)
    index = pd.period_range("2000-01", periods=96, freq="M")
    return pd.Series(5 + np.sin(t / 3) + 0.05 * t, index=index, name="sales")


@pytest.fixture
def late(monthly):
    # column "b" starts at row 70 (2005-11), as a series listed later does
    return pd.DataFrame({"a": monthly, "b": monthly.where(np.arange(96) >= 70)})


class FailsAfterFirstFit:
    """A forecaster whose forecasts from newer history fail (refit=False)."""

    horizon = 3

    def fit(self, y):
        self.last_ = float(np.asarray(y)[-1])
        return self

    def predict(self, horizon, y=None):
        if y is not None:
            raise ValueError("newer history is not supported.")
        return np.full(horizon, self.last_)


class Diverges(FailsAfterFirstFit):
    def fit(self, y):
        raise LossDivergedError("The forecast diverged.")


# ------------------------------------------------------------ a failing fold
def test_a_column_starting_after_the_origin_names_the_fold_and_the_fix(late):
    with pytest.raises(ValueError) as info:
        backtest(NaiveForecaster(horizon=6), late, initial_window=60)
    message = str(info.value)
    assert message.startswith("Backtest fold 0 (origin 2005-01, row 60) failed")
    assert "fitted on rows 0 to 59 (2000-01 to 2004-12)" in message
    # the forecaster's own message, and the error it came from
    assert isinstance(info.value.__cause__, ValueError)
    assert str(info.value.__cause__) in message
    assert "'b'" in str(info.value.__cause__)
    assert "Series 'b' starts at row 70 (2005-11), after the origin" in message
    assert "larger initial_window" in message


def test_a_column_too_short_for_the_network_names_the_fold(late):
    fc = RNNForecaster(horizon=6, **TINY)
    with pytest.raises(ValueError, match=r"Backtest fold 0 \(origin 2006-01, row 72"):
        backtest(fc, late, initial_window=72)
    # the method goes through the function: the same message
    with pytest.raises(ValueError) as info:
        fc.backtest(late, initial_window=72)
    message = str(info.value)
    assert str(info.value.__cause__) in message  # the forecaster's words
    assert "starts at row 70 (2005-11), 2 rows before the origin" in message
    # enough history at every origin: it runs
    assert len(backtest(NaiveForecaster(horizon=6), late, initial_window=84))


def test_a_later_fold_names_its_own_rows(monthly):
    # a sliding window: fold 3 trains on rows 36 to 47, all NaN in "b"
    gap = pd.DataFrame(
        {"a": monthly, "b": monthly.where(~monthly.index.year.isin([2003]))}
    )
    with pytest.raises(ValueError) as info:
        backtest(
            NaiveForecaster(horizon=12, season_length=1),
            gap,
            initial_window=12,
            window_type="sliding",
        )
    message = str(info.value)
    assert "Backtest fold 3 (origin 2004-01, row 48)" in message
    assert "fitted on rows 36 to 47 (2003-01 to 2003-12)" in message
    # not a late start: "b" has values before the fold's rows
    assert "starts at row" not in message
    assert "If 12 rows are too few" in message


def test_a_failed_forecast_without_refit_names_the_rows_it_read():
    with pytest.raises(ValueError) as info:
        backtest(FailsAfterFirstFit(), np.arange(30.0), initial_window=20, refit=False)
    message = str(info.value)
    assert "Backtest fold 1 (origin 23, row 23)" in message
    assert "fitted at the first origin and forecasting from rows 0 to 22" in message
    assert "newer history is not supported." in message


def test_a_fold_error_keeps_its_class():
    with pytest.raises(LossDivergedError, match="Backtest fold 0.*diverged"):
        backtest(Diverges(), np.arange(30.0), initial_window=20)


def test_argument_errors_come_before_any_fold(late):
    # the messages of the arguments, not of a fold
    with pytest.raises(ValueError, match="^initial_window must be a positive int"):
        backtest(NaiveForecaster(horizon=6), late, initial_window=0)
    with pytest.raises(ValueError, match="^No origin"):
        backtest(NaiveForecaster(horizon=6), late, initial_window=95)


# ------------------------------------------------------------ flags
@pytest.mark.parametrize("refit", ["no", "False", 0, 1, None, 1.0])
def test_refit_must_be_a_bool(monthly, refit):
    with pytest.raises(TypeError, match=f"refit must be True or False; got {refit!r}"):
        backtest(NaiveForecaster(horizon=6), monthly, initial_window=60, refit=refit)
    # the method checks it too (before any fit)
    with pytest.raises(TypeError, match="refit must be True or False"):
        RNNForecaster(horizon=6, **TINY).backtest(
            monthly, initial_window=60, refit=refit
        )


def test_refit_takes_numpy_bools(monthly):
    naive = NaiveForecaster(horizon=6)
    for flag in (True, False):
        expected = backtest(naive, monthly, initial_window=60, refit=flag)
        got = backtest(naive, monthly, initial_window=60, refit=np.bool_(flag))
        pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("by", [True, 1, ["fold", 2]])
def test_backtest_metrics_by_must_name_columns(monthly, by):
    f = backtest(NaiveForecaster(horizon=6), monthly, initial_window=60)
    with pytest.raises(TypeError, match="by must be a column name"):
        backtest_metrics(f, by=by)


def test_backtest_metrics_by_a_tuple_is_by_a_list(monthly):
    f = backtest(NaiveForecaster(horizon=6), monthly, initial_window=60)
    pd.testing.assert_frame_equal(
        backtest_metrics(f, by=("fold", "step")),
        backtest_metrics(f, by=["fold", "step"]),
    )


# ------------------------------------------------------------ unnamed series
def test_an_unnamed_series_is_target_0(monthly):
    naive = NaiveForecaster(horizon=6)
    # a (T,) and a (T, 1) array, and the series as a frame, name it 0 too
    for y in (
        monthly.rename(None),
        monthly.to_numpy(),
        monthly.to_numpy()[:, None],
        monthly.rename(None).to_frame(),
    ):
        f = backtest(naive, y, initial_window=60)
        assert list(f["target"].unique()) == [0]
        m = backtest_metrics(f, by="target")
        assert list(m.index) == [0, "all"]
    # a named series keeps its name
    assert set(backtest(naive, monthly, initial_window=60)["target"]) == {"sales"}


def test_a_2d_array_numbers_its_targets(monthly):
    # as a frame of it would (this used to fail: one None label for k series)
    two = np.c_[monthly, monthly + 1]
    f = backtest(NaiveForecaster(horizon=6), two, initial_window=60)
    assert list(f["target"].unique()) == [0, 1]


def test_the_method_labels_an_unnamed_series_0_for_every_strategy(monthly):
    y = monthly.rename(None).iloc[:60]
    for fc in (
        RNNForecaster(horizon=3, **TINY),
        RNNForecaster(horizon=3, **WINDOW),
    ):
        f = fc.backtest(y, initial_window=54)
        assert list(f["target"].unique()) == [0]


# ------------------------------------------------------------ covariates
@pytest.mark.parametrize("window_type", ["expanding", "sliding"])
def test_the_function_and_the_method_agree_with_covariates(monthly, window_type):
    y = monthly.iloc[:60]
    X = pd.DataFrame({"t": np.cos(np.arange(60) / 2.0)}, index=y.index)
    fc = RNNForecaster(horizon=3, **WINDOW)
    kw = dict(initial_window=48, step=3, window_type=window_type)
    method = fc.backtest(y, X, **kw)
    function = backtest(fc, y, X, **kw)
    pd.testing.assert_frame_equal(function, method)
    # and X reached the network
    assert not np.allclose(function["y_pred"], backtest(fc, y, **kw)["y_pred"])


def test_the_naive_forecaster_ignores_covariates(monthly):
    X = np.arange(96.0)[:, None]
    naive = NaiveForecaster(horizon=6)
    pd.testing.assert_frame_equal(
        backtest(naive, monthly, X, initial_window=60),
        backtest(naive, monthly, initial_window=60),
    )


def test_covariate_errors(monthly):
    naive = NaiveForecaster(horizon=6)
    with pytest.raises(ValueError, match="X has 50 rows but y has 96"):
        backtest(naive, monthly, np.zeros((50, 1)), initial_window=60)
    with pytest.raises(ValueError, match="X needs refit=True"):
        backtest(naive, monthly, np.zeros((96, 1)), initial_window=60, refit=False)
    with pytest.raises(ValueError, match="X must be 1-D or 2-D"):
        backtest(naive, monthly, 3.0, initial_window=60)


def test_the_method_checks_refit_and_refuses_x_with_the_residual_strategy():
    # refit="no" was read as True by every strategy's backtest; the residual
    # strategy dropped X without a word
    y = pd.Series(np.sin(np.arange(60) / 3.0) + np.arange(60) / 30)
    for strategy in ("residual", "multioutput"):
        fc = RNNForecaster(horizon=3, strategy=strategy, max_epochs=2, max_steps=5)
        with pytest.raises(TypeError, match="refit must be True or False"):
            fc.backtest(y, initial_window=40, refit="no")
    with pytest.raises(ValueError, match="does not take covariates X"):
        RNNForecaster(horizon=3).backtest(y, np.ones((60, 1)), initial_window=40)


def test_a_long_frame_backtests_as_its_wide_frame():
    # backtest() read a long frame's repeated dates as one series
    vega = pytest.importorskip("vega_datasets")
    long = vega.data.stocks().set_index("date")
    wide = long.pivot(columns="symbol", values="price")
    fc = NaiveForecaster(horizon=3, season_length=1)
    by_id = backtest(fc.set_params(id_column="symbol"), long, initial_window=100)
    plain = backtest(fc.set_params(id_column=None), wide, initial_window=100)
    pd.testing.assert_frame_equal(by_id, plain)
    # without id_column, the repeated dates point to it
    with pytest.raises(ValueError, match="needs id_column='symbol'"):
        NaiveForecaster(horizon=3).fit(long)


def test_the_window_strategies_backtest_names_the_failing_fold():
    # their own loop re-raised the bare fit error, without the fold
    y = pd.Series(np.sin(np.arange(60) / 3.0))
    fc = RNNForecaster(horizon=3, strategy="multioutput", window=24, max_epochs=2)
    with pytest.raises(ValueError, match=r"fold 0 \(origin 25.*larger initial_window"):
        fc.backtest(y, initial_window=25)
