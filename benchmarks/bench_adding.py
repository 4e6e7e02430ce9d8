"""The adding problem: which cells carry a value across 50, 100 and 200 steps.

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_adding.py`` (``--quick`` for a
smoke run).

Data: :func:`seqlearn.datasets.make_adding_problem` (Hochreiter & Schmidhuber
1997): two marked values among ``length`` uniform values, the target is their
sum; predicting the mean gives MSE 1/6 = 0.167.  Each cell trains a
:class:`seqlearn.SequenceRegressor` with the same settings; after every epoch a
skorch callback measures the MSE on a fresh test set and stops training once it
is below 0.01 (the "solved" line), or at ``--max-epochs``.  The table gives the
epochs and CPU seconds each cell needed (or spent without solving it).
"""

import argparse

import _common
import numpy as np
import torch
from skorch.callbacks import Callback

from seqlearn import SequenceRegressor
from seqlearn.callbacks import StopTraining
from seqlearn.datasets import make_adding_problem

SOLVED = 0.01


class StopWhenSolved(Callback):
    """Record the test MSE after each epoch; stop when it is below ``threshold``.

    The regressor standardises y inside ``fit``, so the module's outputs are
    mapped back with the training targets' mean and standard deviation.
    """

    def __init__(self, X, y, y_train, threshold=SOLVED):
        self.X, self.y, self.y_train, self.threshold = X, y, y_train, threshold

    def initialize(self):
        self.x_ = torch.from_numpy(self.X)
        self.lengths_ = torch.full((len(self.X),), self.X.shape[1])
        self.mean_, self.scale_ = self.y_train.mean(), self.y_train.std()
        return self

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        module.eval()
        with torch.inference_mode():
            out = module(self.x_, self.lengths_).squeeze(-1).numpy()
        module.train()
        mse = float(np.mean((out * self.scale_ + self.mean_ - self.y) ** 2))
        net.history.record("test_mse", mse)
        if mse < self.threshold:
            raise StopTraining  # ends fit, keeping the model


def run(cell, length, args):
    X, y = make_adding_problem(args.n_train, length, random_state=0)
    X_test, y_test = make_adding_problem(args.n_test, length, random_state=1)
    reg = SequenceRegressor(
        cell=cell,
        hidden_size=args.hidden,
        batch_size=args.batch_size,
        lr=args.lr,
        max_epochs=args.max_epochs,
        # a test of the recurrent cells' memory: no convolutional front-end
        # (it would shorten the sequence) and the plain constant-lr budget
        conv_channels=None,
        min_updates=0,
        lr_schedule="constant",
        random_state=0,
        callbacks=[("solved", StopWhenSolved(X_test, y_test, y))],
    )
    seconds, _ = _common.timed(lambda: reg.fit(X, y))
    mse = reg.history_[:, "test_mse"]
    solved = [i for i, m in enumerate(mse) if m < SOLVED]
    return {
        "best": min(mse),
        "last": mse[-1],
        "epochs": len(mse),
        "solved": bool(solved),
        "seconds": seconds,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--lengths", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument(
        "--cells", nargs="+", default=["lstm", "gru", "peephole", "rnn"]
    )
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-test", type=int, default=500)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.005)
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--progress", action="store_true", help="print each row")
    _common.add_clock_flag(parser)
    args = parser.parse_args(argv)
    _common.use_clock("wall" if args.wall else "cpu")
    if args.quick:
        args.lengths, args.n_train, args.n_test, args.max_epochs = [20], 200, 100, 2
    _common.set_threads(1)
    _common.header("The adding problem (MSE of predicting the mean: 0.167)")
    print(
        f"SequenceRegressor, hidden_size={args.hidden}, batch_size="
        f"{args.batch_size}, lr={args.lr}, Adam, gradient_clip=1.0; "
        f"{args.n_train} training / {args.n_test} test sequences; stop when test "
        f"MSE < {SOLVED} or after {args.max_epochs} epochs.\n"
    )
    # the first fit of a process pays ~2 s of one-off imports (torch.optim
    # pulls in torch._dynamo): pay it here, outside the table
    warm = argparse.Namespace(**{**vars(args), "n_train": 64, "n_test": 8})
    warm.max_epochs = 1
    run("lstm", 10, warm)
    rows = []
    for length in args.lengths:
        for cell in args.cells:
            r = run(cell, length, args)
            rows.append(
                [
                    length,
                    cell,
                    "yes" if r["solved"] else "no",
                    r["epochs"],
                    r["seconds"],
                    r["best"],
                    r["last"],
                ]
            )
            if args.progress:
                print(f"<!-- {rows[-1]} -->", flush=True)
    print()
    _common.table(
        [
            "length",
            "cell",
            f"solved (MSE < {SOLVED})",
            "epochs",
            "seconds",
            "best test MSE",
            "final test MSE",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
