"""Estimator overhead: RNNClassifier fit/predict vs a hand-written PyTorch loop.

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_overhead.py`` (``--quick`` for a
smoke run, ``--profile`` to add a cProfile breakdown of where the time goes).

Both sides train the same :class:`seqlearn.nn.SequenceModel` (LSTM, last-state
pooling) with Adam, gradient-norm clipping at 1.0, the same batch size and
epochs, from the same seed.  The hand loop pads a ragged list with
``pad_sequence`` (seqlearn's ``fit`` pads it too) and draws its batches like
seqlearn does:
a fresh permutation per epoch; for ragged data the permutation is cut into
pools of 20 batches, each pool sorted by length, so every batch is trimmed to
its own longest sequence.  Prediction: the hand loop walks length-sorted
batches of 128 under ``inference_mode`` and takes the argmax.  Each round runs
both sides in rotating order; the ratio is the median of per-round ratios.
The acceptance target is ``fit`` within 1.10x (goal 1.05x).
"""

import argparse
import cProfile
import pstats
import statistics
import time

import _common
import numpy as np
import torch
import torch.nn.functional as F

from seqlearn import RNNClassifier
from seqlearn.base import SequenceLoss
from seqlearn.data import BucketBatchIterator, SequenceDataset
from seqlearn.nn import SequenceModel


def make_data(n, max_len, n_features, ragged, seed=0):
    """Sequences whose label is the sign of the mean of their first feature."""
    rng = np.random.default_rng(seed)
    if ragged:
        lengths = rng.integers(max_len // 5, max_len + 1, size=n)
    else:
        lengths = np.full(n, max_len)
    X = rng.normal(size=(n, max_len, n_features)).astype(np.float32)
    X[np.arange(max_len) >= lengths[:, None]] = 0.0
    y = (X[:, :, 0].sum(axis=1) > 0).astype(np.int64)
    seqs = [x[:n_steps] for x, n_steps in zip(X, lengths, strict=True)]
    return (seqs if ragged else X), X, lengths.astype(np.int64), y


def epoch_batches(lengths, batch_size, ragged, pool_batches=20):
    """One epoch of index batches: shuffled, length-sorted within pools."""
    n = len(lengths)
    order = torch.randperm(n).numpy()
    if not ragged:
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]
    batches = []
    pool = batch_size * pool_batches
    for start in range(0, n, pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches)).tolist()]


def hand_pad(X_in):
    """Padded tensor and lengths, as a PyTorch user gets them from a list."""
    if isinstance(X_in, np.ndarray):
        return torch.from_numpy(X_in), torch.full((len(X_in),), X_in.shape[1])
    seqs = [torch.from_numpy(x) for x in X_in]
    lengths = torch.tensor([len(x) for x in seqs])
    return torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True), lengths


def hand_fit(X_in, y, cfg, seed=0, seq_loss=False, seq_batches=False):
    """The loop a PyTorch user would write by hand.

    ``seq_loss`` swaps in seqlearn's ``SequenceLoss`` and ``seq_batches``
    seqlearn's ``SequenceDataset`` + ``BucketBatchIterator``: the ablations
    that split seqlearn's overhead into its parts.
    """
    torch.manual_seed(seed)
    x_all, len_all = hand_pad(X_in)
    lengths = len_all.numpy()
    y_all = torch.from_numpy(y)
    model = SequenceModel("lstm", x_all.shape[2], cfg.hidden, n_outputs=2)
    opt = torch.optim.Adam(model.parameters(), lr=0.005)
    criterion = SequenceLoss() if seq_loss else F.cross_entropy
    dataset = SequenceDataset(x_all, len_all, y_all)
    iterator = BucketBatchIterator(dataset, cfg.batch_size, shuffle=True)
    model.train()
    for _ in range(cfg.epochs):
        if seq_batches:
            batches = iterator
        else:
            batches = (
                (
                    {
                        "x": x_all[idx, : int(len_all[idx].max())],
                        "lengths": len_all[idx],
                    },
                    y_all[idx],
                )
                for idx in map(
                    torch.from_numpy,
                    epoch_batches(lengths, cfg.batch_size, cfg.ragged),
                )
            )
        for xb, yb in batches:
            loss = criterion(model(xb["x"], xb["lengths"]), yb)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
    return model


def hand_predict(model, X_in, batch_size=128):
    model.eval()
    x_all, len_all = hand_pad(X_in)
    order = np.argsort(len_all.numpy(), kind="stable")
    out = np.empty(len(order), dtype=np.int64)
    with torch.inference_mode():
        for i in range(0, len(order), batch_size):
            idx = torch.from_numpy(order[i : i + batch_size])
            lens = len_all[idx]
            logits = model(x_all[idx, : int(lens.max())], lens)
            out[idx.numpy()] = logits.argmax(1).numpy()
    return out


def seqlearn_estimator(cfg):
    return RNNClassifier(
        hidden_size=cfg.hidden,
        batch_size=cfg.batch_size,
        max_epochs=cfg.epochs,
        lr=0.005,
        gradient_clip=1.0,
        # the same module and epochs as the hand loop: no convolutional
        # front-end, no minimum number of updates, a constant learning rate
        conv_channels=None,
        min_updates=0,
        lr_schedule="constant",
        random_state=0,
    )


class Config:
    def __init__(self, ragged, n, max_len, n_features, hidden, batch_size, epochs):
        self.ragged, self.n, self.max_len = ragged, n, max_len
        self.n_features, self.hidden = n_features, hidden
        self.batch_size, self.epochs = batch_size, epochs

    def label(self):
        shape = (
            f"lengths {self.max_len // 5}-{self.max_len}"
            if self.ragged
            else f"length {self.max_len}"
        )
        return (
            f"{'ragged' if self.ragged else 'fixed'}, N={self.n}, {shape}, "
            f"F={self.n_features}, H={self.hidden}, batch {self.batch_size}, "
            f"{self.epochs} epochs"
        )


def run_config(cfg, reps):
    X_in, X, lengths, y = make_data(cfg.n, cfg.max_len, cfg.n_features, cfg.ragged)
    state = {}

    def fit_seqlearn():
        state["clf"] = seqlearn_estimator(cfg).fit(X_in, y)

    def fit_hand():
        state["model"] = hand_fit(X_in, y, cfg)

    fit = _common.interleaved(
        {"seqlearn": fit_seqlearn, "hand": fit_hand}, reps=reps, warmup=1
    )
    predict = _common.interleaved(
        {
            "seqlearn": lambda: state["clf"].predict(X_in),
            "hand": lambda: hand_predict(state["model"], X_in),
        },
        reps=reps,
        warmup=1,
    )
    acc_s = float((state["clf"].predict(X_in) == y).mean())
    acc_h = float((hand_predict(state["model"], X_in) == y).mean())
    rows = []
    for what, times in (("fit", fit), ("predict", predict)):
        rows.append(
            [
                cfg.label(),
                what,
                statistics.median(times["hand"]),
                statistics.median(times["seqlearn"]),
                f"{_common.median_ratio(times['seqlearn'], times['hand']):.3f}x",
            ]
        )
    rows[0][0] += f" (train acc hand {acc_h:.3f}, seqlearn {acc_s:.3f})"
    return rows, (X_in, X, lengths, y)


def ablate(cfg, data, reps):
    """Time the hand loop with seqlearn's parts swapped in, one at a time."""
    X_in, _, _, y = data
    fns = {
        "hand loop": lambda: hand_fit(X_in, y, cfg),
        "+ SequenceLoss": lambda: hand_fit(X_in, y, cfg, seq_loss=True),
        "+ SequenceDataset/BucketBatchIterator": lambda: hand_fit(
            X_in, y, cfg, seq_batches=True
        ),
        "+ both": lambda: hand_fit(X_in, y, cfg, seq_loss=True, seq_batches=True),
        "RNNClassifier.fit (adds skorch, validation)": lambda: seqlearn_estimator(
            cfg
        ).fit(X_in, y),
    }
    times = _common.interleaved(fns, reps=reps, warmup=1)
    base = times["hand loop"]
    n_batches = cfg.epochs * -(-cfg.n // cfg.batch_size)
    rows = []
    for name, t in times.items():
        extra = (statistics.median(t) - statistics.median(base)) / n_batches
        rows.append(
            [
                name,
                statistics.median(t),
                f"{_common.median_ratio(t, base):.3f}x",
                f"{extra * 1e3:+.3f}",
            ]
        )
    print(f"#### Ablation: {cfg.label()}\n")
    _common.table(["fit", "s", "/ hand loop", "extra ms per batch"], rows)


def _area(filename):
    for key, name in (
        ("skorch", "skorch (net, callbacks, history)"),
        ("seqlearn/data", "seqlearn.data (dataset, iterator)"),
        ("seqlearn/base", "seqlearn.base (loss, fit skeleton)"),
        ("seqlearn/nn", "seqlearn.nn (model forward, Python)"),
        ("seqlearn", "seqlearn other (validation, classifier)"),
        ("sklearn", "scikit-learn (validation)"),
        ("benchmarks/", "benchmark script (hand loop)"),
        ("torch/optim", "torch.optim (Python)"),
        ("torch/nn/utils/clip", "clip_grad_norm_ (Python)"),
        ("torch", "torch Python (modules, autograd glue)"),
        ("numpy", "numpy Python"),
    ):
        if key in filename:
            return name
    return "builtins / C calls (tensor kernels, backward)"


def profile(cfg, data):
    """cProfile one fit of each side; total own-time per area of the code."""
    X_in, X, lengths, y = data
    results = {}
    for name, fn in (
        ("hand", lambda: hand_fit(X_in, y, cfg)),
        ("seqlearn", lambda: seqlearn_estimator(cfg).fit(X_in, y)),
    ):
        fn()  # warm
        prof = cProfile.Profile(time.process_time)
        prof.runcall(fn)
        stats = pstats.Stats(prof).stats
        areas, funcs = {}, []
        for (filename, line, func), (_, ncalls, tottime, cumtime, _) in stats.items():
            area = _area(filename)
            areas[area] = areas.get(area, 0.0) + tottime
            funcs.append((tottime, ncalls, cumtime, f"{filename}:{line}({func})"))
        results[name] = (areas, funcs)
    print(f"#### cProfile, one fit each: {cfg.label()}\n")
    names = sorted(set(results["hand"][0]) | set(results["seqlearn"][0]))
    rows = [
        [
            area,
            results["hand"][0].get(area, 0.0),
            results["seqlearn"][0].get(area, 0.0),
        ]
        for area in names
    ]
    rows.sort(key=lambda r: -r[2])
    rows.append(["total", sum(r[1] for r in rows), sum(r[2] for r in rows)])
    _common.table(["area (own time)", "hand s", "seqlearn s"], rows)
    print("Top seqlearn-side Python functions outside torch by own time:\n")
    top = [
        f
        for f in results["seqlearn"][1]
        if "skorch" in f[3] or "seqlearn" in f[3] or "sklearn" in f[3]
    ]
    top.sort(reverse=True)
    _common.table(
        ["function", "calls", "own s", "cumulative s"],
        [[f[3].split("site-packages/")[-1], f[1], f[0], f[2]] for f in top[:12]],
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--profile", action="store_true", help="add cProfile tables")
    parser.add_argument("--ablate", action="store_true", help="add the ablation tables")
    parser.add_argument("--reps", type=int, default=9)
    _common.add_clock_flag(parser)
    args = parser.parse_args(argv)
    _common.use_clock("wall" if args.wall else "cpu")
    _common.set_threads(1)
    _common.header("Overhead: seqlearn vs a hand-written PyTorch loop")
    n, epochs, reps = (1000, 2, args.reps) if not args.quick else (200, 1, 2)
    configs = [
        Config(False, n, 50, 4, 64, 32, epochs),
        Config(True, n, 100, 4, 64, 32, epochs),
        Config(False, n, 50, 4, 16, 32, epochs),
    ]
    rows, datas = [], []
    for cfg in configs:
        cfg_rows, data = run_config(cfg, reps)
        rows += cfg_rows
        datas.append(data)
    _common.table(
        ["configuration", "step", "hand s", "seqlearn s", "seqlearn / hand"],
        rows,
    )
    print(
        f"Median over {reps} interleaved rounds (ratio: median of per-round "
        "ratios). Target fit <= 1.10x (goal 1.05x).\n"
    )
    if args.ablate:
        for cfg, data in zip(configs, datas, strict=True):
            ablate(cfg, data, reps)
    if args.profile:
        for cfg, data in zip(configs, datas, strict=True):
            profile(cfg, data)


if __name__ == "__main__":
    main()
