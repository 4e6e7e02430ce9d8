"""Sequence-to-sequence tasks with known answers: addition, dates, reversal."""

from __future__ import annotations

import datetime

import numpy as np
from sklearn.utils import check_random_state

from seqlearn.datasets._synthetic import _check_int

__all__ = ["make_addition", "make_date_normalization", "make_reversal"]

# The formats of deeplearning.ai's date-normalisation task ("full" ten times),
# with babel's calendar year "yyy"/"yy": "YYY" is the week-based year, which
# writes 2019-12-30 as "30 Dec 2020" and makes the task ill-posed.
DATE_FORMATS = (
    ("short", "medium", "long")
    + ("full",) * 10
    + (
        "d MMM yyy",
        "d MMMM yyy",
        "dd MMM yyy",
        "d MMM, yyy",
        "d MMMM, yyy",
        "dd, MMM yyy",
        "d MM yy",
        "d MMMM yyy",
        "MMMM d yyy",
        "MMMM d, yyy",
        "dd.MM.yy",
    )
)


def make_addition(n_samples=50000, digits=3, *, random_state=None):
    """Generate the addition task of Keras' ``addition_rnn`` example.

    Each input is a sum of two non-negative integers of 1 to ``digits`` digits
    written as text ("535+61"), the output is its value ("596").  As in the
    Keras recipe, each operand first draws its number of digits uniformly and
    then the digits, and the pairs are unique as unordered pairs (``a+b`` and
    ``b+a`` do not both occur).  A perfect model reaches exact match 1.

    Parameters
    ----------
    n_samples : int, default=50000
        Number of distinct problems.
    digits : int, default=3
        Most digits of an operand.
    random_state : int, RandomState instance or None, default=None
        Seed, for reproducible output.

    Returns
    -------
    X : list of str
        Problems such as ``"535+61"``.
    y : list of str
        Their sums, ``"596"``.

    Examples
    --------
    >>> from seqlearn.datasets import make_addition
    >>> X, y = make_addition(3, random_state=0)
    >>> all(eval(a) == int(b) for a, b in zip(X, y))
    True
    """
    n_samples = _check_int(n_samples, "n_samples", 1)
    digits = _check_int(digits, "digits", 1)
    if digits > 18:  # numbers are drawn as int64
        raise ValueError(f"digits must be <= 18, got {digits}.")
    n_numbers = 10**digits
    if n_samples > n_numbers * (n_numbers + 1) // 2:
        raise ValueError(
            f"n_samples={n_samples} exceeds the number of distinct unordered "
            f"pairs of numbers with at most {digits} digits."
        )
    rng = check_random_state(random_state)
    seen: set[tuple[int, int]] = set()
    X, y = [], []
    while len(X) < n_samples:
        # draw in blocks; duplicates are skipped, as Keras does
        m = 2 * (n_samples - len(X)) + 16
        n_digits = rng.randint(1, digits + 1, size=(m, 2))
        a, b = (rng.randint(0, 10 ** n_digits[:, k]) for k in range(2))
        for p, q in zip(a.tolist(), b.tolist(), strict=True):
            key = (min(p, q), max(p, q))
            if key in seen:
                continue
            seen.add(key)
            X.append(f"{p}+{q}")
            y.append(str(p + q))
            if len(X) == n_samples:
                break
    return X, y


def make_date_normalization(
    n_samples=10000,
    *,
    start=datetime.date(1970, 1, 1),
    end=datetime.date(2019, 12, 31),
    random_state=None,
):
    """Generate human-written dates and their ISO form (deeplearning.ai's task).

    Dates are drawn uniformly from ``[start, end]`` and written by
    :func:`babel.dates.format_date` (``locale="en_US"``) in a format drawn
    from :data:`DATE_FORMATS` (short, medium, long, ten times full, and
    eleven patterns), lower-cased with commas removed: "saturday march 9
    1991" -> "1991-03-09".  Inputs are de-duplicated (the first draw is
    kept), so one input never has two outputs.  Every input determines its
    date, so a perfect model reaches exact match 1.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of distinct inputs.
    start, end : datetime.date, default=1970-01-01 and 2019-12-31
        Range of the dates (two-digit years are unambiguous within a century).
    random_state : int, RandomState instance or None, default=None
        Seed, for reproducible output.

    Returns
    -------
    X : list of str
        Human-written dates.
    y : list of str
        ``YYYY-MM-DD``.

    Examples
    --------
    >>> from seqlearn.datasets import make_date_normalization
    >>> X, y = make_date_normalization(2, random_state=0)
    >>> [len(d) for d in y]
    [10, 10]
    """
    try:
        from babel.dates import format_date
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "make_date_normalization needs babel: pip install babel"
        ) from exc
    n_samples = _check_int(n_samples, "n_samples", 1)
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime.date):
            raise TypeError(f"{name} must be a datetime.date, got {value!r}.")
    # a datetime is a date too: keep its day only (y is YYYY-MM-DD)
    start, end = (
        v.date() if isinstance(v, datetime.datetime) else v for v in (start, end)
    )
    span = (end - start).days + 1
    if span < 1:
        raise ValueError(f"end ({end}) must not be before start ({start}).")
    rng = check_random_state(random_state)
    out: dict[str, str] = {}
    for _ in range(100):
        m = 2 * (n_samples - len(out)) + 16
        days = rng.randint(0, span, size=m)
        fmts = rng.randint(0, len(DATE_FORMATS), size=m)
        for d, f in zip(days.tolist(), fmts.tolist(), strict=True):
            date = start + datetime.timedelta(days=d)
            text = format_date(date, format=DATE_FORMATS[f], locale="en_US")
            text = text.lower().replace(",", "")
            out.setdefault(text, date.isoformat())
            if len(out) == n_samples:
                return list(out), list(out.values())
    raise ValueError(  # pragma: no cover - needs an absurd n_samples
        f"Could not draw {n_samples} distinct inputs from {span} dates."
    )


def make_reversal(
    n_samples=10000,
    *,
    min_length=1,
    max_length=25,
    n_symbols=50,
    random_state=None,
):
    """Generate the reversal task of JoeyNMT: output the tokens in reverse order.

    Each input is a sequence of ``min_length`` to ``max_length`` (uniform)
    tokens drawn uniformly from ``n_symbols`` symbols named ``"s0"``,
    ``"s1"``, ...; the output is the same tokens reversed.  Train on lengths up
    to 25 and test on longer ones (JoeyNMT tests up to 30) to see whether a
    model generalises beyond the lengths it saw.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of sequences.
    min_length, max_length : int, default=1 and 25
        Range of the sequence lengths (inclusive).
    n_symbols : int, default=50
        Size of the alphabet.
    random_state : int, RandomState instance or None, default=None
        Seed, for reproducible output.

    Returns
    -------
    X : list of list of str
        Token sequences.
    y : list of list of str
        The same sequences reversed.

    Examples
    --------
    >>> from seqlearn.datasets import make_reversal
    >>> X, y = make_reversal(1, min_length=3, max_length=3, random_state=0)
    >>> y[0] == X[0][::-1]
    True
    """
    n_samples = _check_int(n_samples, "n_samples", 1)
    min_length = _check_int(min_length, "min_length", 1)
    max_length = _check_int(max_length, "max_length", min_length)
    n_symbols = _check_int(n_symbols, "n_symbols", 1)
    rng = check_random_state(random_state)
    symbols = np.array([f"s{i}" for i in range(n_symbols)], dtype=object)
    lengths = rng.randint(min_length, max_length + 1, size=n_samples)
    flat = symbols[rng.randint(0, n_symbols, size=int(lengths.sum()))]
    X = [s.tolist() for s in np.split(flat, np.cumsum(lengths)[:-1])]
    return X, [x[::-1] for x in X]
