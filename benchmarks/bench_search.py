"""Grid search wall time: serial (n_jobs=1) vs 2 Dask workers on this machine.

A ``GridSearchCV`` over ``RNNClassifier`` on ItalyPowerDemand (67 training
series of length 24) runs serially, then under ``joblib.parallel_config(
backend="dask")`` on a 2-process ``LocalCluster`` (1 thread per worker).  The
cluster is started and warmed (one tiny fit per worker: torch's lazy start-up)
once, outside the timings, and its start-up time is reported on its own row.
The table also checks that both searches found the same scores.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_search.py [--quick]``.
"""

import argparse
import os
import platform
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import joblib
import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sktime.datasets import load_italy_power_demand

from seqlearn import RNNClassifier


def _warm_up():
    X = np.random.default_rng(0).normal(size=(8, 5, 1))
    RNNClassifier(hidden_size=2, max_epochs=1).fit(X, [0, 1] * 4).predict(X)


def make_search(quick):
    X, y = load_italy_power_demand(split="train", return_type="numpy3D")
    X = X.transpose(0, 2, 1)
    grid = {"hidden_size": [8, 16], "cell": ["lstm", "gru"]}
    if not quick:
        grid["lr"] = [0.005, 0.02]
    clf = RNNClassifier(max_epochs=5 if quick else 20, n_threads=1, random_state=0)
    search = GridSearchCV(clf, grid, cv=StratifiedKFold(3))
    return search, X, y


def timed_fit(search, X, y):
    start = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats

    from distributed import Client, LocalCluster

    start = time.perf_counter()
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    )
    client = Client(cluster)
    client.run(_warm_up)
    startup = time.perf_counter() - start
    _warm_up()

    search, X, y = make_search(args.quick)
    serial, dask = [], []
    for _ in range(repeats):
        serial.append(timed_fit(search.set_params(n_jobs=1), X, y))
        serial_scores = search.cv_results_["mean_test_score"]
        with joblib.parallel_config(backend="dask"):
            dask.append(timed_fit(search.set_params(n_jobs=-1), X, y))
        dask_scores = search.cv_results_["mean_test_score"]
    n_fits = len(search.cv_results_["params"]) * search.n_splits_
    client.close()
    cluster.close()

    s, d = np.median(serial), np.median(dask)
    diff = float(np.abs(serial_scores - dask_scores).max())
    print(
        f"GridSearchCV, RNNClassifier on ItalyPowerDemand, {n_fits} fits + refit, "
        f"median of {repeats}; {os.cpu_count()} cores, {platform.machine()}\n"
    )
    print("| route | wall time (s) | speed-up |")
    print("| --- | ---: | ---: |")
    print(f"| serial, n_jobs=1 | {s:.1f} | 1.00 |")
    print(f"| Dask, 2 workers x 1 thread | {d:.1f} | {s / d:.2f} |")
    print(f"| (cluster start-up + warm-up, once) | {startup:.1f} | |")
    print(f"\nmax |mean_test_score serial - Dask| = {diff:.1e}")


if __name__ == "__main__":
    main()
