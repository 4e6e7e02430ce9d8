"""Helpers shared by the benchmark scripts: timing, machine line, Markdown tables.

Every script runs on one thread (``OMP_NUM_THREADS=1``, set here before torch
is imported if the caller forgot) and reports medians of several repetitions;
ratios are medians of per-round ratios from interleaved rounds, so a neighbour
stealing the CPU for a while hits both sides of a comparison alike.

Times are CPU seconds of the benchmark process (``time.process_time``) by
default: on a machine shared with other jobs, wall time mostly measures the
neighbours, while the CPU time of a one-thread run is what the work costs.
``use_clock("wall")`` switches to wall time (the scripts' ``--wall`` flag).
"""

import datetime
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import torch  # noqa: E402

_CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
_clock = ["cpu"]


def use_clock(name):
    """Time with ``"cpu"`` (process CPU time, default) or ``"wall"`` seconds."""
    if name not in _CLOCKS:
        raise ValueError(f"clock must be one of {sorted(_CLOCKS)}, got {name!r}")
    _clock[0] = name


def clock_name():
    """Name of the clock in use, for table notes."""
    return "CPU seconds of the process" if _clock[0] == "cpu" else "wall-clock seconds"


def add_clock_flag(parser):
    """Add ``--wall`` to an argparse parser."""
    parser.add_argument(
        "--wall", action="store_true", help="time wall clock instead of CPU time"
    )


def set_threads(n=1):
    """Pin torch to ``n`` threads (default one) and return it."""
    torch.set_num_threads(n)
    return n


def machine_line():
    """One line naming the date, CPU, torch build and thread count."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                line.split(":", 1)[1].strip() for line in f if "model name" in line
            )
    except (OSError, StopIteration):
        pass
    return (
        f"{datetime.date.today().isoformat()}, {cpu}, {os.cpu_count()} cores "
        f"(shared), Python {platform.python_version()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s)"
    )


def header(title):
    """Print a script's title and machine line."""
    print(f"## {title}\n")
    print(f"Machine: {machine_line()}. Times: {clock_name()}.\n")
    sys.stdout.flush()


def timed(fn):
    """Return ``(seconds, result)`` of one call of ``fn()``."""
    clock = _CLOCKS[_clock[0]]
    start = clock()
    result = fn()
    return clock() - start, result


def median_time(fn, reps=5, warmup=1):
    """Median wall time of ``fn()`` in seconds over ``reps`` calls."""
    for _ in range(warmup):
        fn()
    return statistics.median(timed(fn)[0] for _ in range(reps))


def interleaved(fns, reps=5, warmup=1):
    """Time several callables round by round; return ``{name: [seconds, ...]}``.

    Each round runs every callable once, rotating the order, so slow phases of
    a shared machine fall on all of them.
    """
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    times = {name: [] for name in names}
    for r in range(reps):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            times[name].append(timed(fns[name])[0])
    return times


def median_ratio(num, den):
    """Median of per-round ratios ``num[i] / den[i]``."""
    return statistics.median(a / b for a, b in zip(num, den, strict=True))


def table(columns, rows):
    """Print a Markdown table; numbers are right-aligned."""
    if not rows:
        print("(no rows: nothing matched)\n")
        return
    print("| " + " | ".join(columns) + " |")
    align = ["---:" if isinstance(v, int | float) else "---" for v in rows[0]]
    print("|" + "|".join(align) + "|")
    for row in rows:
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in row]
        print("| " + " | ".join(cells) + " |")
    print()
    sys.stdout.flush()


def peak_rss_mib():
    """Peak resident set size of this process so far, in MiB (Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
