"""Calendars: the periods after a series' index and its seasonal period."""

from __future__ import annotations

import numpy as np
import pandas as pd


def future_index(index, horizon):
    """Return the ``horizon`` periods that follow ``index``.

    A PeriodIndex continues as a PeriodIndex; a DatetimeIndex continues with
    its frequency, inferred when unset; a TimedeltaIndex with its median gap;
    a RangeIndex (or an integer index, or evenly spaced floats) continues with
    its step; any other index continues as row numbers.  The index's name is
    kept.

    A DatetimeIndex whose frequency pandas cannot name (holidays, a missing
    row) continues with a step read off its typical (median) gap:

    - 1 day, all weekdays: business days (stock prices: holidays are gaps,
      weekends are not days);
    - 7 days: weeks ending on the most common weekday;
    - about ``n`` months (28-31 days for one): ``n`` months, on month ends or
      month starts when every date is one, on the first or last business day
      of the month when every date is a weekday within 4 days of it, else on
      the last date's day of the month (the 15th stays the 15th);
    - anything else: the most common gap.

    Parameters
    ----------
    index : pandas.Index
        Index of the observed series, oldest first.
    horizon : int
        Number of future periods.

    Returns
    -------
    pandas.Index
        The future periods.

    Examples
    --------
    >>> import pandas as pd
    >>> future_index(pd.period_range("2020-01", periods=3, freq="M"), 2)
    PeriodIndex(['2020-04', '2020-05'], dtype='period[M]')
    >>> idx = pd.DatetimeIndex(["2024-03-27", "2024-03-28", "2024-04-01"])
    >>> future_index(idx, 2).strftime("%a %d").tolist()
    ['Tue 02', 'Wed 03']
    >>> idx = pd.DatetimeIndex(["2024-01-15", "2024-02-15", "2024-03-15",
    ...                         "2024-05-15"])  # April is missing
    >>> future_index(idx, 2).strftime("%Y-%m-%d").tolist()
    ['2024-06-15', '2024-07-15']
    """
    name = index.name
    if isinstance(index, pd.PeriodIndex):
        return pd.period_range(
            index[-1] + 1, periods=horizon, freq=index.freq, name=name
        )
    if isinstance(index, pd.DatetimeIndex):
        freq = _named_freq(index)
        if freq is not None:
            future = pd.date_range(index[-1], periods=horizon + 1, freq=freq, name=name)
            return future[1:]
        step, _ = _gap_step(index)
        last = index[-1]
        if type(step) is pd.DateOffset:
            # months counted from the last date, so a 31st comes back after
            # a shorter month (a range would step 31 -> 29 -> 29)
            values = [last + step * i for i in range(1, horizon + 1)]
            return pd.DatetimeIndex(values, name=name)
        if isinstance(step, pd.offsets.BaseOffset):
            # a holiday moves a date a few days off its anchor (a Thursday
            # close for a Friday one): continue from the nearest anchor
            back, forward = step.rollback(last), step.rollforward(last)
            last = back if last - back <= forward - last else forward
        return pd.date_range(last + step, periods=horizon, freq=step, name=name)
    if isinstance(index, pd.TimedeltaIndex) and len(index) > 1:
        # elapsed times (a run's seconds): their typical (median) gap
        step = (index[1:] - index[:-1]).median()
        return pd.timedelta_range(
            index[-1] + step, periods=horizon, freq=step, name=name
        )
    if isinstance(index, pd.RangeIndex) or index.dtype.kind in "iu":
        step = int(index[-1] - index[-2]) if len(index) > 1 else 1
        start = int(index[-1]) + step
        return pd.RangeIndex(start, start + step * horizon, step, name=name)
    if index.dtype.kind == "f" and len(index) > 1:
        # evenly spaced numbers (years as floats, a time in hours): their step
        steps = np.diff(index.to_numpy())
        if np.allclose(steps, steps[-1]) and steps[-1] > 0:
            ahead = index[-1] + steps[-1] * np.arange(1, horizon + 1)
            return pd.Index(ahead, name=name)
    # other indexes (uneven floats, strings) continue as row numbers
    return pd.RangeIndex(len(index), len(index) + horizon, name=name)


def _named_freq(index):
    """Return a DatetimeIndex's frequency: set, or inferred by pandas, or None."""
    freq = index.freq
    if freq is None and len(index) >= 3:
        freq = pd.infer_freq(index)
        if freq == "D" and bool((index.dayofweek < 5).all()):
            # a few consecutive weekdays (no weekend yet): business days, as
            # any index of weekdays only is read
            freq = "B"
    return freq


# seasonal period by the letter of a pandas frequency (see _freq_letter)
_PERIODS = {"M": 12, "Q": 4, "W": 52, "D": 7, "B": 5, "H": 24, "h": 24}
_DAY = pd.Timedelta(days=1)
_MONTH_DAYS = 365.25 / 12


def _gap_step(index):
    """Return the step of a DatetimeIndex pandas names no frequency for.

    Returns ``(step, letter)``: a pandas offset (or Timedelta) that
    :func:`future_index` adds to the last date, and the frequency letter of
    :data:`_PERIODS` ("" when none applies).  See :func:`future_index`.
    """
    weekdays = bool((index.dayofweek < 5).all())
    if len(index) < 2:
        return (pd.offsets.BDay(), "B") if weekdays else (_DAY, "D")
    gaps = index[1:] - index[:-1]
    gap = gaps.median()
    if weekdays and gap == _DAY:
        return pd.offsets.BDay(), "B"
    months = round(gap / _DAY / _MONTH_DAYS)
    if months >= 1 and abs(gap / _DAY - months * _MONTH_DAYS) <= 3:
        return _month_step(index, months, weekdays), {1: "M", 3: "Q"}.get(months, "")
    if gap == 7 * _DAY:
        weekday = int(index.dayofweek.value_counts().idxmax())
        return pd.offsets.Week(weekday=weekday), "W"
    step = gaps.to_series().mode().iloc[0]
    return step, {_DAY: "D", pd.Timedelta(hours=1): "h"}.get(step, "")


def index_gaps(index):
    """Return ``(count, first gap's two dates, usual step)`` of missing stretches.

    A DatetimeIndex that pandas names no frequency for is read as consecutive
    rows; a gap much longer than its usual (median) step is missing data that
    would shift the season and the forecast's dates.  Trading days (all
    weekdays, a step of one day) are left alone: their gaps are closures, and
    their rows are the steps.  Other steps allow 1.5 times the median.
    Returns None when there is no such gap (or the index is not dated).
    """
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return None
    if _named_freq(index) is not None:
        return None
    gaps = index[1:] - index[:-1]
    step = gaps.median()
    if step == _DAY and bool((index.dayofweek < 5).all()):
        return None
    long = np.flatnonzero(gaps > 1.5 * step)
    if not long.size:
        return None
    i = int(long[0])
    return len(long), (index[i], index[i + 1]), step


def _month_step(index, n, weekdays):
    """Return an offset of ``n`` months that keeps the dates' place in the month."""
    if index.is_month_end.all():
        return pd.offsets.MonthEnd(n)
    if index.is_month_start.all():
        return pd.offsets.MonthBegin(n)
    # first or last trading day of the month (holidays move it a few days)
    if weekdays and (index.day <= 4).all():
        return pd.offsets.BMonthBegin(n)
    if weekdays and (index.days_in_month - index.day <= 3).all():
        return pd.offsets.BMonthEnd(n)
    return pd.DateOffset(months=n)


def _freq_letter(freqstr):
    """Return the letter of a pandas frequency string that sets its season.

    Digits and anchors are dropped ("2W-SUN" -> "W"); the business month,
    quarter and year offsets (BME, BMS, BQE, BQS, BYE, ...) are months,
    quarters and years, not business days.
    """
    code = freqstr.split("-")[0].lstrip("0123456789")
    if code[:2] in ("BM", "BQ", "BY", "BA"):
        code = code[1:]
    return code[:1]


def _index_season(index):
    """Return the seasonal period of an index's frequency (1: none known).

    A multiple of a frequency divides its period when it can ("2MS": 6
    two-month steps a year, "2h": 12 a day); otherwise there is none ("30D":
    no whole number of steps a week).
    """
    if isinstance(index, pd.DatetimeIndex) and index.freq is None:
        freqstr = _named_freq(index)  # inferred: a string, or None
        if freqstr is None:
            return _PERIODS.get(_gap_step(index)[1], 1)
    else:
        freqstr = getattr(index, "freqstr", None) or ""
    period = _PERIODS.get(_freq_letter(freqstr), 1)
    digits = freqstr[: len(freqstr) - len(freqstr.lstrip("0123456789"))]
    multiple = int(digits) if digits else 1
    return period // multiple if multiple and period % multiple == 0 else 1
