"""Early stopping under the long-series budget (session 6).

With ``min_updates`` (600 optimizer steps on a small set of long series) an
epoch is one or two steps, so skorch's ``EarlyStopping(patience=10)`` stopped
GunPoint and ArrowHead inside the learning-rate warm-up.  Variants, chosen by
3-fold CV on the **training** splits (seeds 0 and 1):

- ``off``: no early stopping;
- ``plain``: skorch's ``EarlyStopping(patience=10)``, as before;
- ``scaled``: patience times k, where the budget trains k times ``max_epochs``;
- ``scaled_warmup``: the same, and the warm-up's epochs are not misses (what
  ``early_stopping=True`` now does, with
  :class:`seqlearn.callbacks.WarmEarlyStopping`).

``--test`` prints the test-split accuracy (seeds 0-2) of off / plain /
scaled_warmup, after the choice.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/bench_early_stopping.py [--test]``
(``--quick``: a smoke run on one GunPoint fold).
"""

import argparse
import math
import time

import numpy as np
from sklearn.model_selection import StratifiedKFold

import seqlearn.base as core
from seqlearn import RNNClassifier
from seqlearn.callbacks import WarmEarlyStopping

VARIANT = {"name": "scaled_warmup"}
_build = core.BaseSequenceEstimator._build_net


def _build_net(self, module, seed, *, max_epochs=None, lr_schedule=False, **kw):
    """The core's net, with the early stopping of ``VARIANT``."""
    net = _build(
        self, module, seed, max_epochs=max_epochs, lr_schedule=lr_schedule, **kw
    )
    variant = VARIANT["name"]
    if not self.early_stopping or variant == "scaled_warmup":
        return net  # the shipped early stopping, measured as it is
    epochs = max_epochs or self.max_epochs
    factor = max(1, math.ceil(epochs / self.max_epochs))
    patience = self.patience if variant == "plain" else self.patience * factor
    stop = WarmEarlyStopping(monitor="valid_loss", patience=patience, load_best=True)
    net.callbacks = [
        ("early_stopping", stop)
        if isinstance(cb, tuple) and cb[0] == "early_stopping"
        else cb
        for cb in net.callbacks
    ]
    return net


core.BaseSequenceEstimator._build_net = _build_net


def load(name, split="train"):
    from sktime import datasets

    loader = {"GunPoint": datasets.load_gunpoint, "ArrowHead": datasets.load_arrow_head}
    X, y = loader[name](split=split, return_type="numpy3D")
    return X.transpose(0, 2, 1), y


def cross_validate(variants, quick=False):
    # quick: GunPoint, one fold, 20 epochs and no update budget (a smoke run)
    extra = {"max_epochs": 20, "min_updates": 0} if quick else {}
    for name in ("GunPoint",) if quick else ("GunPoint", "ArrowHead"):
        X, y = load(name)
        for variant in variants:
            VARIANT["name"] = variant
            accs, epochs, start = [], [], time.process_time()
            for seed in (0,) if quick else (0, 1):
                folds = StratifiedKFold(3, shuffle=True, random_state=seed)
                for train, test in list(folds.split(X, y))[: 1 if quick else 3]:
                    clf = RNNClassifier(
                        random_state=seed, early_stopping=variant != "off", **extra
                    ).fit(X[train], y[train])
                    accs.append(clf.score(X[test], y[test]))
                    epochs.append(len(clf.history_))
            print(
                f"{name:9s} {variant:14s} CV acc {np.mean(accs):.3f} "
                f"(folds {np.round(accs, 2).tolist()}) epochs {epochs} "
                f"CPU {time.process_time() - start:.0f} s",
                flush=True,
            )


def test_split():
    from sklearn.neighbors import KNeighborsClassifier

    for name in ("GunPoint", "ArrowHead"):
        X, y = load(name, "train")
        X_test, y_test = load(name, "test")
        knn = KNeighborsClassifier(n_neighbors=1).fit(X.reshape(len(X), -1), y)
        acc = knn.score(X_test.reshape(len(X_test), -1), y_test)
        print(f"{name:9s} {'1-NN ED':14s} test acc {acc:.3f}", flush=True)
        for variant in ("off", "plain", "scaled_warmup"):
            VARIANT["name"] = variant
            accs = [
                RNNClassifier(random_state=seed, early_stopping=variant != "off")
                .fit(X, y)
                .score(X_test, y_test)
                for seed in (0, 1, 2)
            ]
            print(
                f"{name:9s} {variant:14s} test acc {np.mean(accs):.3f} "
                f"({' / '.join(f'{a:.3f}' for a in accs)})",
                flush=True,
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", action="store_true", help="test splits, after")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: one fold, two variants"
    )
    args = parser.parse_args()
    if args.test:
        test_split()
    elif args.quick:
        cross_validate(["off", "scaled_warmup"], quick=True)
    else:
        cross_validate(["off", "plain", "scaled", "scaled_warmup"])
