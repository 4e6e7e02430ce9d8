"""Synthetic sequence tasks whose best achievable score is known."""

import numbers

import numpy as np
from numpy.typing import ArrayLike
from scipy.signal import lfilter
from sklearn.utils import check_random_state

__all__ = [
    "make_adding_problem",
    "make_sine_series",
    "make_ar_series",
    "make_copy_task",
]


#: What ``random_state`` accepts: a seed, a generator or None.
RandomState = int | np.random.RandomState | None


def _check_int(value, name, minimum):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def _check_nonnegative(value, name):
    if not isinstance(value, numbers.Real) or not 0 <= value < np.inf:
        raise ValueError(f"{name} must be a finite non-negative number, got {value!r}.")
    return float(value)


def make_adding_problem(
    n_samples: int = 1000, length: int = 50, *, random_state: RandomState = None
) -> tuple[np.ndarray, np.ndarray]:
    """Generate the adding problem, a regression task needing long memory.

    Each step carries two features: a value drawn uniformly from [0, 1] and a
    marker. Exactly two steps are marked with 1, one in the first half of the
    sequence and one in the second half; the target is the sum of the two
    marked values (Hochreiter & Schmidhuber, 1997, in the variant of Le et al.,
    2015). The first marker can be ``length`` steps before the end, so a model
    must remember a value across most of the sequence.

    Predicting the mean target 1.0 gives a mean squared error of
    ``Var(y) = 1/6 ≈ 0.167``, the baseline a model must beat; a perfect model
    reaches 0. An LSTM solves the task at ``length=100`` and beyond, a plain RNN
    usually stays at the baseline.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sequences.
    length : int, default=50
        Number of steps in every sequence, at least 2.
    random_state : int, RandomState instance or None, default=None
        Seed or generator, for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, length, 2), dtype float32
        ``X[:, :, 0]`` are the values, ``X[:, :, 1]`` the 0/1 markers.
    y : ndarray of shape (n_samples,), dtype float32
        Sum of the two marked values, in [0, 2].

    References
    ----------
    S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural
    Computation 9(8), 1997. Q. V. Le, N. Jaitly and G. E. Hinton, "A simple way
    to initialize recurrent networks of rectified linear units", 2015.

    Examples
    --------
    >>> from seqlearn.datasets import make_adding_problem
    >>> X, y = make_adding_problem(n_samples=4, length=10, random_state=0)
    >>> X.shape, y.shape
    ((4, 10, 2), (4,))
    >>> X[:, :, 1].sum(axis=1)
    array([2., 2., 2., 2.], dtype=float32)
    """
    n_samples = _check_int(n_samples, "n_samples", 1)
    length = _check_int(length, "length", 2)
    rng = check_random_state(random_state)

    half = length // 2
    values = rng.uniform(0.0, 1.0, size=(n_samples, length))
    first = rng.randint(0, half, size=n_samples)
    second = rng.randint(half, length, size=n_samples)
    rows = np.arange(n_samples)
    markers = np.zeros((n_samples, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0

    X = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (X[rows, first, 0] + X[rows, second, 0]).astype(np.float32)
    return X, y


def make_sine_series(
    n_timesteps: int = 500,
    *,
    period: float = 50.0,
    amplitude: float = 1.0,
    noise: float = 0.1,
    random_state: RandomState = None,
) -> np.ndarray:
    """Generate a noisy sine wave for forecasting.

    ``x[t] = amplitude * sin(2 * pi * t / period) + noise * e[t]`` with
    ``e[t]`` independent standard normal. The best possible forecast, at any
    horizon, is the noiseless sine; its mean squared error is ``noise ** 2``.
    Repeating the last value (the naive forecast) does much worse when the
    period is short relative to the horizon.

    Parameters
    ----------
    n_timesteps : int, default=500
        Length of the series.
    period : float, default=50.0
        Steps per cycle (need not be an integer).
    amplitude : float, default=1.0
        Amplitude of the sine.
    noise : float, default=0.1
        Standard deviation of the added Gaussian noise.
    random_state : int, RandomState instance or None, default=None
        Seed or generator, for reproducible output.

    Returns
    -------
    series : ndarray of shape (n_timesteps,), dtype float64
        The sine plus noise.

    Examples
    --------
    >>> from seqlearn.datasets import make_sine_series
    >>> series = make_sine_series(100, period=20, noise=0.0)
    >>> series.shape
    (100,)
    >>> bool(abs(series[5] - 1.0) < 1e-12)  # a quarter period: the peak
    True
    """
    n_timesteps = _check_int(n_timesteps, "n_timesteps", 1)
    if not isinstance(period, numbers.Real) or not period > 0:
        raise ValueError(f"period must be a positive number, got {period!r}.")
    noise = _check_nonnegative(noise, "noise")
    if not isinstance(amplitude, numbers.Real) or not np.isfinite(amplitude):
        raise ValueError(f"amplitude must be a finite number, got {amplitude!r}.")
    rng = check_random_state(random_state)

    t = np.arange(n_timesteps)
    series = amplitude * np.sin(2 * np.pi * t / period)
    return series + noise * rng.standard_normal(n_timesteps)


def make_ar_series(
    n_timesteps: int = 500,
    coefs: ArrayLike = (0.6, -0.3),
    *,
    noise: float = 1.0,
    burn_in: int = 200,
    random_state: RandomState = None,
) -> np.ndarray:
    """Generate an autoregressive AR(p) series for forecasting.

    ``x[t] = coefs[0] * x[t-1] + ... + coefs[p-1] * x[t-p] + noise * e[t]``
    with ``e[t]`` independent standard normal. The best possible one-step
    forecast is ``coefs[0] * x[t-1] + ... + coefs[p-1] * x[t-p]``, with a mean
    squared error of ``noise ** 2``: no model can do better on average, and a
    model that reaches it has learned the process.

    Parameters
    ----------
    n_timesteps : int, default=500
        Length of the returned series.
    coefs : array-like of shape (p,), default=(0.6, -0.3)
        Autoregressive coefficients, lag 1 first. Explosive coefficients
        (a root of the characteristic polynomial inside the unit circle) are
        rejected; a unit root such as ``(1.0,)`` gives a random walk.
    noise : float, default=1.0
        Standard deviation of the innovations ``noise * e[t]``.
    burn_in : int, default=200
        Steps simulated and dropped first, so that a stationary series starts
        in its stationary distribution rather than at 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator, for reproducible output.

    Returns
    -------
    series : ndarray of shape (n_timesteps,), dtype float64
        The last ``n_timesteps`` steps of the simulated process, after the
        ``burn_in`` steps.

    Examples
    --------
    >>> import numpy as np
    >>> from seqlearn.datasets import make_ar_series
    >>> x = make_ar_series(20000, coefs=[0.8], noise=0.5, random_state=0)
    >>> residuals = x[1:] - 0.8 * x[:-1]  # errors of the best forecast
    >>> bool(abs(np.var(residuals) - 0.5**2) < 0.02)  # noise ** 2
    True
    """
    n_timesteps = _check_int(n_timesteps, "n_timesteps", 1)
    burn_in = _check_int(burn_in, "burn_in", 0)
    noise = _check_nonnegative(noise, "noise")
    try:
        coefs = np.asarray(coefs, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"coefs must be a non-empty list of numbers, got {coefs!r}."
        ) from None
    if coefs.ndim > 1:
        raise ValueError(
            f"coefs must be one list of numbers (shape (p,)), got an array of "
            f"shape {coefs.shape}."
        )
    coefs = coefs.reshape(-1)
    if coefs.size == 0 or not np.all(np.isfinite(coefs)):
        raise ValueError(f"coefs must be a non-empty list of numbers, got {coefs}.")
    companion = np.eye(coefs.size, k=-1)
    companion[0] = coefs
    if np.max(np.abs(np.linalg.eigvals(companion))) > 1 + 1e-9:
        raise ValueError(
            f"coefs {coefs.tolist()} define an explosive process (a root of the "
            "characteristic polynomial is inside the unit circle)."
        )
    rng = check_random_state(random_state)

    innovations = noise * rng.standard_normal(n_timesteps + burn_in)
    # x[t] - sum_k coefs[k] x[t-k-1] = innovations[t] as a recursive filter
    series = lfilter([1.0], np.concatenate([[1.0], -coefs]), innovations)
    return series[burn_in:]


def make_copy_task(
    n_samples: int = 1000,
    length: int = 20,
    *,
    n_symbols: int = 8,
    delay: int = 3,
    lengths: tuple[int, int] | None = None,
    random_state: RandomState = None,
) -> tuple[np.ndarray | list, np.ndarray | list]:
    """Generate a delayed copy task, a tagging task with a known answer.

    The input is a sequence of random symbols; the target at step ``t`` is the
    input symbol at step ``t - delay``. A tagger must therefore remember the
    last ``delay`` symbols. For the first ``delay`` steps there is nothing to
    copy yet and the target is the dedicated class 0. A perfect tagger reaches
    a token accuracy of 1; guessing gives about ``1 / n_symbols``.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sequences.
    length : int, default=20
        Number of steps in every sequence (ignored when ``lengths`` is given).
    n_symbols : int, default=8
        Size of the alphabet: symbols are the ids ``1..n_symbols`` (0 is kept
        free for padding, as with :class:`~seqlearn.preprocessing` vocabularies).
    delay : int, default=3
        How many steps back the target looks. ``0`` is the identity.
    lengths : tuple of (int, int) or None, default=None
        If given, draw each sequence's length uniformly from ``lengths[0]`` to
        ``lengths[1]`` inclusive and return lists of 1-D arrays (ragged
        sequences) instead of 2-D arrays.
    random_state : int, RandomState instance or None, default=None
        Seed or generator, for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, length), dtype int64, or list of ndarray
        Input symbol ids in ``1..n_symbols``.
    y : ndarray of shape (n_samples, length), dtype int64, or list of ndarray
        Targets: ``y[:, t] = X[:, t - delay]`` for ``t >= delay``, else 0.

    Examples
    --------
    >>> from seqlearn.datasets import make_copy_task
    >>> X, y = make_copy_task(n_samples=2, length=6, delay=2, random_state=0)
    >>> X[0], y[0]
    (array([5, 8, 6, 1, 4, 4]), array([0, 0, 5, 8, 6, 1]))
    >>> X, y = make_copy_task(n_samples=3, lengths=(2, 5), random_state=0)
    >>> [len(x) for x in X] == [len(t) for t in y]
    True
    """
    n_samples = _check_int(n_samples, "n_samples", 1)
    n_symbols = _check_int(n_symbols, "n_symbols", 1)
    delay = _check_int(delay, "delay", 0)
    rng = check_random_state(random_state)

    if lengths is None:
        length = _check_int(length, "length", 1)
        X = rng.randint(1, n_symbols + 1, size=(n_samples, length)).astype(np.int64)
        return X, _delayed(X, delay)

    try:
        lo, hi = lengths
    except (TypeError, ValueError):
        raise ValueError(
            f"lengths must be a pair (min, max) or None, got {lengths!r}."
        ) from None
    lo = _check_int(lo, "lengths[0]", 1)
    hi = _check_int(hi, "lengths[1]", lo)
    sizes = rng.randint(lo, hi + 1, size=n_samples)
    X = [rng.randint(1, n_symbols + 1, size=size).astype(np.int64) for size in sizes]
    return X, [_delayed(x, delay) for x in X]


def _delayed(X, delay):
    """Shift the last axis of ``X`` right by ``delay``, filling with 0."""
    y = np.zeros_like(X)
    if delay == 0:
        y[...] = X
    elif delay < X.shape[-1]:
        y[..., delay:] = X[..., :-delay]
    return y
