"""Tagging that beats a CRF: SequenceTagger against sklearn-crfsuite.

Four tables:

1. Dutch named-entity recognition (``seqlearn.datasets.load_dutch_ner``, the
   80 KB documents in ``../shared/data/kb-dutch-ner``), 20 % of the documents
   held out (``GroupShuffleSplit`` on the document ids, ``random_state=0``):
   entity F1 (seqeval's default mode, ``seqlearn.metrics``) and training time
   of the sklearn-crfsuite CRF with the standard word features of its tutorial
   (lowercase word, 2- and 3-letter suffixes, case flags, the neighbours'
   lowercase words and case flags) and of ``SequenceTagger`` on the same token
   strings: with a CRF output layer and the character encoder, and the
   ablations (no character encoder; no CRF; neither).
2. The CRF's cost: seconds per training epoch with and without ``crf=True`` at
   10 tags, length 50, batch 32 (medians of interleaved repetitions).
3. Turkish part-of-speech tagging (package ``turkish-treebanks``, train vs
   test split): token accuracy of the same two kinds of model.
4. ``--only select``: how the Dutch NER settings were chosen, on the training
   documents only: pooled entity F1 of 3-fold ``GroupKFold`` over the training
   documents for every candidate setting (the test documents are never
   read).  Serial, about 2 CPU minutes per fit, 3 fits per candidate.

Run from the repository root (each table takes minutes on one thread)::

    OMP_NUM_THREADS=1 python benchmarks/bench_ner.py          # everything
    OMP_NUM_THREADS=1 python benchmarks/bench_ner.py --quick  # smoke run
    OMP_NUM_THREADS=1 python benchmarks/bench_ner.py --only ner --seeds 3

``--quick`` uses the 4-document sample shipped with seqlearn, two epochs and a
few CRF iterations: it checks the script, not the numbers.
"""

import argparse
import os

# turkish-treebanks ships protobuf code older than protobuf 4's C parser
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")

import _common  # noqa: E402  (sets OMP_NUM_THREADS=1 before torch)
import numpy as np  # noqa: E402
from sklearn.model_selection import GroupKFold, GroupShuffleSplit  # noqa: E402
from skorch.callbacks import LRScheduler  # noqa: E402

from seqlearn import SequenceTagger  # noqa: E402
from seqlearn.datasets import load_dutch_ner  # noqa: E402
from seqlearn.metrics import (  # noqa: E402
    entity_precision_recall_fscore_support,
    token_accuracy,
)

# The tagger's settings for both corpora: a bidirectional LSTM over 50-d word
# embeddings (of lowercased words), 4-d capitalisation embeddings and a
# 50-filter character CNN, dropout 0.5.
TAGGER = {
    "bidirectional": True,
    "embedding_dim": 50,
    "hidden_size": 100,
    "dropout": 0.5,
    "random_state": 0,
    "n_threads": 1,
}


def tagger_params(changes, quick=False):
    """TAGGER for 20 epochs, with ``changes`` applied.

    ``"cosine": n`` in ``changes`` means ``n`` epochs with a cosine-annealed
    learning rate (skorch's ``LRScheduler``).  ``quick`` cuts any run to two
    epochs.
    """
    params = {**TAGGER, "max_epochs": 20, **changes}
    cosine = params.pop("cosine", None)
    if cosine:
        params["max_epochs"] = cosine
    if quick:
        params["max_epochs"] = 2
    if cosine:
        schedule = LRScheduler("CosineAnnealingLR", T_max=params["max_epochs"])
        params["callbacks"] = [("lr_schedule", schedule)]
    return params


# The Dutch NER settings, picked by the selection table (``--only select``,
# training documents only).  The Turkish table keeps TAGGER.
CHOSEN = {"word_dropout": 0.05, "hidden_size": 200, "cosine": 25}

# candidates of the selection table (each with crf=True, constraints="iob2"),
# in the order they were tried
CANDIDATES = {
    "TAGGER": {},
    "TAGGER, seed 1": {"random_state": 1},
    "word_dropout=0.05": {"word_dropout": 0.05},
    "word_dropout=0.05, seed 1": {"word_dropout": 0.05, "random_state": 1},
    "word_dropout=0.1": {"word_dropout": 0.1},
    "word_dropout=0.1, word_min_frequency=1": {
        "word_dropout": 0.1,
        "word_min_frequency": 1,
    },
    "word_dropout=0.25, word_min_frequency=1": {
        "word_dropout": 0.25,
        "word_min_frequency": 1,
    },
    "hidden_size=200": {"hidden_size": 200},
    "word_dropout=0.05, hidden_size=200": {"word_dropout": 0.05, "hidden_size": 200},
    "word_dropout=0.05, cosine 25": {"word_dropout": 0.05, "cosine": 25},
    "word_dropout=0.05, cosine 25, seed 1": {
        "word_dropout": 0.05,
        "cosine": 25,
        "random_state": 1,
    },
    "word_dropout=0.1, cosine 25": {"word_dropout": 0.1, "cosine": 25},
    "word_dropout=0.05, cosine 25, hidden_size=200 (chosen)": CHOSEN,
}


ABLATIONS = {
    "SequenceTagger(crf=True), char encoder": {"crf": True, "constraints": "iob2"},
    "SequenceTagger(crf=True), no char encoder": {
        "crf": True,
        "constraints": "iob2",
        "char_hidden_size": None,
    },
    "SequenceTagger(crf=False), char encoder": {"crf": False},
    "SequenceTagger(crf=False), no char encoder": {
        "crf": False,
        "char_hidden_size": None,
    },
}


# ------------------------------------------------------------------ baseline
def word_features(sentence, i):
    """The sklearn-crfsuite tutorial's features of the ``i``-th word."""
    word = sentence[i]
    features = {
        "bias": 1.0,
        "word.lower()": word.lower(),
        "word[-3:]": word[-3:],
        "word[-2:]": word[-2:],
        "word.isupper()": word.isupper(),
        "word.istitle()": word.istitle(),
        "word.isdigit()": word.isdigit(),
    }
    for offset, name in ((-1, "-1"), (1, "+1")):
        j = i + offset
        if 0 <= j < len(sentence):
            other = sentence[j]
            features[f"{name}:word.lower()"] = other.lower()
            features[f"{name}:word.istitle()"] = other.istitle()
            features[f"{name}:word.isupper()"] = other.isupper()
        else:
            features["BOS" if offset < 0 else "EOS"] = True
    return features


def sentence_features(sentences):
    return [[word_features(s, i) for i in range(len(s))] for s in sentences]


def fit_crfsuite(X, y, max_iterations):
    import sklearn_crfsuite

    crf = sklearn_crfsuite.CRF(
        algorithm="lbfgs",
        c1=0.1,
        c2=0.1,
        max_iterations=max_iterations,
        all_possible_transitions=True,
    )
    seconds, _ = _common.timed(lambda: crf.fit(sentence_features(X), y))
    return seconds, lambda X_new: crf.predict(sentence_features(X_new))


def fit_tagger(X, y, params):
    tagger = SequenceTagger(**params)
    seconds, _ = _common.timed(lambda: tagger.fit(X, y))
    return seconds, tagger.predict


# ------------------------------------------------------------------ tables
def _selected(models, pattern):
    if not pattern:
        return models
    return {name: params for name, params in models.items() if pattern in name}


def _dutch_ner_split(quick):
    """Training and test documents: 20 % of the documents held out."""
    data = load_dutch_ner("sample" if quick else None)
    train, test = next(
        GroupShuffleSplit(1, test_size=0.2, random_state=0).split(
            data.tokens, groups=data.document_ids
        )
    )
    X_train, y_train = [data.tokens[i] for i in train], [data.tags[i] for i in train]
    X_test, y_test = [data.tokens[i] for i in test], [data.tags[i] for i in test]
    print(
        f"### Dutch NER: {len(X_train)} training / {len(X_test)} test sequences "
        f"({sum(map(len, X_train))} / {sum(map(len, X_test))} tokens), "
        f"{len(set(data.document_ids[test]))} of {len(data.documents)} documents "
        "held out\n"
    )
    return X_train, y_train, data.document_ids[train], X_test, y_test


def dutch_ner(quick, pattern=None, seeds=1):
    X_train, y_train, _, X_test, y_test = _dutch_ner_split(quick)
    models = {"sklearn-crfsuite CRF, word features": None} | ABLATIONS
    rows = []
    for name, params in _selected(models, pattern).items():
        if params is None:
            runs = [fit_crfsuite(X_train, y_train, 5 if quick else 100)]
            n_epochs = f"{5 if quick else 100} L-BFGS it."
        else:
            runs = [
                fit_tagger(
                    X_train,
                    y_train,
                    tagger_params({**CHOSEN, "random_state": seed, **params}, quick),
                )
                for seed in range(seeds)
            ]
            n_epochs = 2 if quick else CHOSEN["cosine"]
        scores = np.array(
            [
                entity_precision_recall_fscore_support(
                    y_test, predict(X_test), average="micro"
                )[:3]
                for _, predict in runs
            ]
        )
        p, r, f = scores.mean(0)
        seconds = np.mean([sec for sec, _ in runs])
        spread = " ".join(f"{f:.4f}" for f in scores[:, 2])
        rows.append((name, float(f), spread, float(p), float(r), seconds, n_epochs))
    _common.table(
        [
            f"model (taggers: mean of seeds 0-{seeds - 1})",
            "entity F1",
            "F1 per seed",
            "precision",
            "recall",
            "train s",
            "epochs",
        ],
        rows,
    )


def select_ner(quick, pattern=None):
    """Pooled 3-fold GroupKFold entity F1 on the training documents only."""
    X, y, groups, _, _ = _dutch_ner_split(quick)
    folds = list(GroupKFold(3).split(X, y, groups))
    print("Selection on the training documents only (3-fold GroupKFold)\n")
    rows = []
    candidates = {"sklearn-crfsuite CRF, word features": None} | CANDIDATES
    for name, params in _selected(candidates, pattern).items():
        y_true, y_pred, seconds = [], [], 0.0
        for fit, val in folds:
            X_fit, y_fit = [X[i] for i in fit], [y[i] for i in fit]
            if params is None:
                sec, predict = fit_crfsuite(X_fit, y_fit, 5 if quick else 100)
            else:
                changes = {"crf": True, "constraints": "iob2", **params}
                sec, predict = fit_tagger(X_fit, y_fit, tagger_params(changes, quick))
            y_true += [y[i] for i in val]
            y_pred += list(predict([X[i] for i in val]))
            seconds += sec
        f = entity_precision_recall_fscore_support(y_true, y_pred, average="micro")[2]
        rows.append((name, float(f), seconds / len(folds)))
    _common.table(["candidate", "pooled entity F1", "train s / fold"], rows)


def crf_overhead(quick):
    rng = np.random.default_rng(0)
    n, length, n_tags = (64 if quick else 640), 50, 10
    X = rng.integers(1, 500, size=(n, length))
    y = rng.integers(0, n_tags, size=(n, length))
    epochs = 1 if quick else 3
    base = {
        "embedding_dim": 32,
        "hidden_size": 64,
        "bidirectional": True,
        "batch_size": 32,
        "max_epochs": epochs,
        "random_state": 0,
        "n_threads": 1,
    }
    fits = {
        crf: (lambda crf=crf: SequenceTagger(crf=crf, **base).fit(X, y))
        for crf in (False, True)
    }
    times = _common.interleaved(fits, reps=2 if quick else 5)
    print(
        f"### CRF cost: {n_tags} tags, length {length}, batch 32, {n} sequences, "
        "token ids, BiLSTM 64\n"
    )
    per_epoch = {k: np.median(v) / epochs for k, v in times.items()}
    _common.table(
        ["output layer", "s / epoch (median)", "vs softmax"],
        [
            ("softmax (crf=False)", per_epoch[False], 1.0),
            (
                "CRF (crf=True)",
                per_epoch[True],
                _common.median_ratio(times[True], times[False]),
            ),
        ],
    )


def turkish_pos(quick, pattern=None):
    try:
        import conllu
        from turkish_treebanks import read
    except ImportError as exc:
        print(f"### Turkish POS: skipped ({exc}); pip install turkish-treebanks\n")
        return

    def load(split):
        sentences = conllu.parse(read.as_conllu(split=split))
        return (
            [[t["form"] for t in s] for s in sentences],
            [[t["upos"] for t in s] for s in sentences],
        )

    X_train, y_train = load("train")
    X_test, y_test = load("test")
    if quick:
        X_train, y_train, X_test, y_test = (
            X_train[:200],
            y_train[:200],
            X_test[:50],
            y_test[:50],
        )
    print(
        f"### Turkish POS (turkish-treebanks): {len(X_train)} training / "
        f"{len(X_test)} test sentences, {len(set(np.concatenate(y_train)))} tags\n"
    )
    epochs = 2 if quick else 20
    rows = []
    models = {
        "sklearn-crfsuite CRF, word features": None,
        "SequenceTagger(crf=True), char encoder": {"crf": True},
        "SequenceTagger(crf=False), char encoder": {"crf": False},
    }
    for name, params in _selected(models, pattern).items():
        if params is None:
            seconds, predict = fit_crfsuite(X_train, y_train, 5 if quick else 100)
        else:
            params = {**TAGGER, "max_epochs": epochs, **params}
            seconds, predict = fit_tagger(X_train, y_train, params)
        rows.append((name, token_accuracy(y_test, predict(X_test)), seconds))
    _common.table(["model", "token accuracy", "train s"], rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument(
        "--only",
        choices=["ner", "overhead", "pos", "select"],
        action="append",
        help="run only these tables (repeatable)",
    )
    parser.add_argument(
        "--model", help="run only the models whose name contains this string"
    )
    parser.add_argument(
        "--seeds", type=int, default=1, help="seeds of every Dutch NER tagger row"
    )
    _common.add_clock_flag(parser)
    args = parser.parse_args()
    if args.wall:
        _common.use_clock("wall")
    _common.set_threads(1)
    _common.header("SequenceTagger vs sklearn-crfsuite")
    only = args.only or ["ner", "overhead", "pos"]
    if "ner" in only:
        dutch_ner(args.quick, args.model, args.seeds)
    if "overhead" in only:
        crf_overhead(args.quick)
    if "pos" in only:
        turkish_pos(args.quick, args.model)
    if "select" in (args.only or []):
        select_ner(args.quick, args.model)


if __name__ == "__main__":
    main()
