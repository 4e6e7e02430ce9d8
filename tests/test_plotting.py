import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from seqlearn import RNNForecaster, SequenceRegressor
from seqlearn.plotting import plot_forecast, plot_history

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_matplotlib_is_imported_lazily():
    code = (
        "import sys, seqlearn, seqlearn.plotting, seqlearn.forecasting; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_plot_history_train_and_valid_loss():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5, 1))
    reg = SequenceRegressor(
        hidden_size=4, max_epochs=4, early_stopping=True, patience=10, random_state=0
    ).fit(X, X[:, -1, 0])
    ax = plot_history(reg)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"train_loss", "valid_loss"}
    np.testing.assert_allclose(
        lines["train_loss"].get_ydata(), reg.history_[:, "train_loss"]
    )
    assert plot_history(reg.history_).get_lines()  # a bare History works too


def test_plot_forecast_with_interval_band_and_actuals():
    y = pd.Series(
        np.sin(np.arange(60) / 3) + 2,
        index=pd.period_range("2000-01", periods=60, freq="M"),
    )
    fc = RNNForecaster(
        window=12,
        horizon=4,
        strategy="multioutput",
        calibration_size=12,
        hidden_size=4,
        max_epochs=2,
        random_state=0,
    ).fit(y.iloc[:-4])
    band = fc.predict_interval(coverage=0.8)
    fig, ax = plt.subplots()
    assert plot_forecast(y, band, last=10, ax=ax) is ax
    observed, forecast = ax.get_lines()
    # the last 10 observations before the forecast, then the 4 actuals after it
    assert len(observed.get_xdata()) == 14
    np.testing.assert_allclose(forecast.get_ydata(), band["forecast"])
    assert len(ax.collections) == 1  # the interval band
    # a plain forecast Series with a separate interval frame
    ax2 = plot_forecast(y.iloc[:-4], fc.predict(), interval=band)
    assert len(ax2.collections) == 1
    assert len(plot_forecast(y, fc.predict()).collections) == 0


def test_plot_forecast_of_several_series_asks_for_one():
    rng = np.random.default_rng(0)
    y = pd.DataFrame({"a": rng.normal(size=40).cumsum(), "b": rng.normal(size=40)})
    fc = RNNForecaster(horizon=2, window=6, n_models=1, max_steps=3).fit(y)
    with pytest.raises(TypeError, match=r"one pandas Series.*y\['name'\]"):
        plot_forecast(y, fc.predict())
    with pytest.raises(ValueError, match=r"columns .*forecast\['name'\]"):
        plot_forecast(y["a"], fc.predict_interval(0.8))
    ax = plot_forecast(y["a"], fc.predict_interval(0.8)["a"])
    assert [line.get_label() for line in ax.get_lines()] == ["observed", "forecast"]


def test_plot_history_of_an_unfitted_estimator():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plot_history(SequenceRegressor())


def test_plot_history_of_the_default_forecaster_shows_its_validation():
    y = pd.Series(np.sin(np.arange(60.0) / 3))
    fc = RNNForecaster(horizon=3, n_models=1, max_steps=20, random_state=0).fit(y)
    ax = plot_history(fc)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"train_loss", "valid_mae"}
    assert len(lines["train_loss"].get_xdata()) == 20
    assert list(lines["valid_mae"].get_xdata()) == [10, 20]


def _series_and_forecast():
    y = pd.Series(np.arange(8.0), index=pd.period_range("2000", periods=8, freq="Y"))
    index = pd.period_range("2008", periods=2, freq="Y")
    return y, pd.Series([8.0, 9.0], index=index)


def test_plot_forecast_checks_the_axes_agree():
    # row numbers against dates plotted on two unrelated axes; with last= a
    # raw "'<' not supported" TypeError
    y, forecast = _series_and_forecast()
    with pytest.raises(TypeError, match="not on one time axis"):
        plot_forecast(y.reset_index(drop=True), forecast)
    band = pd.DataFrame({"lower": [7.0, 8.0], "upper": [9.0, 10.0]})
    with pytest.raises(ValueError, match="interval's index differs"):
        plot_forecast(y, forecast, interval=band)


def test_plot_forecast_checks_the_interval():
    y, forecast = _series_and_forecast()
    with pytest.raises(ValueError, match=r"lower and upper columns.*\['lo'\]"):
        plot_forecast(y, forecast, interval=pd.DataFrame({"lo": [1.0, 2.0]}))
    # several series' predict_interval frame: (series, column) pairs
    columns = pd.MultiIndex.from_product([["a", "b"], ["forecast", "lower", "upper"]])
    several = pd.DataFrame(np.zeros((2, 6)), index=forecast.index, columns=columns)
    with pytest.raises(ValueError, match=r"interval\['name'\]"):
        plot_forecast(y, forecast, interval=several)
    with pytest.raises(TypeError, match="interval must be a pandas DataFrame"):
        plot_forecast(y, forecast, interval=np.zeros((2, 2)))


@pytest.mark.parametrize(
    ("last", "error", "match"),
    [
        (-5, ValueError, "last must be >= 0"),
        (3.5, TypeError, "last must be an int or None"),
        (True, TypeError, "last must be an int or None"),
    ],
)
def test_plot_forecast_checks_last(last, error, match):
    y, forecast = _series_and_forecast()
    with pytest.raises(error, match=match):
        plot_forecast(y, forecast, last=last)
    observed = plot_forecast(y, forecast, last=np.int64(3)).get_lines()[0]
    assert len(observed.get_xdata()) == 3


@pytest.mark.parametrize("last", [None, 3])
def test_plot_forecast_of_an_empty_forecast(last):
    y, forecast = _series_and_forecast()
    with pytest.raises(ValueError, match="forecast is empty"):
        plot_forecast(y, forecast.iloc[:0], last=last)


@pytest.mark.parametrize("history", [np.array([1.0, 2.0]), None, [1.0, 2.0]])
def test_plot_history_of_something_else(history):
    with pytest.raises(TypeError, match="expected a fitted estimator or a skorch"):
        plot_history(history)


def test_plot_history_of_another_estimator_or_rows_without_epochs():
    # a bare AttributeError and KeyError before
    from sklearn.linear_model import LinearRegression

    fitted = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(TypeError, match="LinearRegression has no history_"):
        plot_history(fitted)
    with pytest.raises(ValueError, match="needs an 'epoch' number"):
        plot_history([{"train_loss": 1.0}])


def test_plot_history_of_no_epoch_and_forecast_of_an_array():
    with pytest.raises(ValueError, match="The history is empty"):
        plot_history([])
    y, forecast = _series_and_forecast()
    with pytest.raises(TypeError, match="forecast must be a pandas Series"):
        plot_forecast(y, forecast.to_numpy())
