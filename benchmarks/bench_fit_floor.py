"""How much faster could the default RNNForecaster fit get without changing the model?

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_fit_floor.py`` (``--quick``
for a smoke run of a few seconds; ``--wall`` for wall-clock seconds).

Issue 14, item 8 wants the default forecaster to cost 3x less CPU than darts'
``RNNModel`` / ``BlockRNNModel`` at their defaults; today it costs 1.31-1.47x
less, so each fit would have to get about 2.0-2.3x cheaper.  This script
measures, on airline (training part: all but the last 12 months, horizon 12),
what the default fit costs and what the same optimizer steps cost with less
and less around them:

0. The whole fit as before commit 0ec62aa: skorch's ``GradientNormClipping``
   (the parameters collected on every step) and single-tensor Adam; the
   forecasts are the same bit for bit (``tests/test_base.py``).
1. ``RNNForecaster(horizon=12, random_state=0).fit(y_train)``: the whole fit
   (window choice, base fits, rolling-origin conformity scores, the network
   on the training core, validation scoring every 10 steps).
   (1b) The forecaster's network alone: the same ``_ResidualNet.fit`` call on
   the windows the forecaster gave it (recorded during the warm-up fit).
2. A bare PyTorch loop doing the network's 300 steps on random data of the
   same shapes: :class:`~seqlearn.nn.forecast.EnsembleRecurrent` (5 LSTM
   members of 16 units as one block-diagonal LSTM of 80), windows
   ``(n, 24, 1)`` and targets ``(n, 12)``, ``n`` the forecaster's number of
   training windows (62 on airline); per step a random batch of 32,
   forward, every member's L1 loss, backward, ``mask_gradients``, gradient
   clipping at norm 1.0, a multi-tensor Adam step (lr 0.005, as the training
   core's), ``mask_weights`` and ``loss.item()``.  The bound for removing all
   of the training core's (skorch) overhead, and everything else the
   forecaster does around it.
3. The same loop with ``torch.optim.Adam(..., fused=True)``.
4. Forward and backward of ``torch.nn.LSTM`` alone, 300 times, on one batch
   ``(32, 24, 1)``: with 80 hidden units (what the default runs), with 16 (one
   member), and five separate 16-unit LSTMs called one after the other (the
   alternative to the block-diagonal trick).

Every row is timed in interleaved rounds (each round runs every row once, in
rotating order) after one warm-up round; a row's time is its median, its
ratio the median of per-round ratios to row 1.
"""

import argparse
import contextlib
import statistics

import _common
import torch
from sklearn.base import clone
from skorch.callbacks import GradientNormClipping

from seqlearn import RNNForecaster, base
from seqlearn.forecasting import _network
from seqlearn.nn.forecast import EnsembleRecurrent

HORIZON, WINDOW, BATCH = 12, 24, 32
HIDDEN, N_MODELS, LR, CLIP = 16, 5, 0.005, 1.0
# darts RNNModel / BlockRNNModel at their defaults take 1.47x / 1.31x the CPU
# seconds of the default forecaster (benchmarks/README.md, bench_peers.py)
DARTS_RATIOS = (1.31, 1.47)


def load_train():
    """Airline passengers without the last 12 months (DatetimeIndex)."""
    from sktime.datasets import load_airline

    y = load_airline()
    y.index = y.index.to_timestamp()
    return y.iloc[:-HORIZON]


def record_network_fit():
    """Patch ``_ResidualNet.fit`` to keep its estimator and arguments.

    Returns the list the calls are appended to and a function that undoes
    the patch.
    """
    calls = []
    original = _network._ResidualNet.fit

    def recording(self, X, y, validation_data=None):
        calls.append((clone(self), X, y, validation_data))
        return original(self, X, y, validation_data=validation_data)

    _network._ResidualNet.fit = recording

    def restore():
        _network._ResidualNet.fit = original

    return calls, restore


@contextlib.contextmanager
def before_0ec62aa():
    """The training core as it was: skorch's clipping, single-tensor Adam."""
    clip, build = base._GradientClip, base.BaseSequenceEstimator._build_net

    def old_build(self, *args, **kwargs):
        net = build(self, *args, **kwargs)
        net.set_params(optimizer__foreach=None)
        return net

    base._GradientClip = GradientNormClipping
    base.BaseSequenceEstimator._build_net = old_build
    try:
        yield
    finally:
        base._GradientClip, base.BaseSequenceEstimator._build_net = clip, build


def fit_before(forecaster, y):
    """``forecaster.fit(y)`` with the training core of :func:`before_0ec62aa`."""
    with before_0ec62aa():
        return forecaster.fit(y)


def bare_fit(steps, n_windows, fused=False, seed=0):
    """The network's training steps as a hand-written PyTorch loop."""
    torch.manual_seed(seed)
    x_all = torch.randn(n_windows, WINDOW, 1)
    y_all = torch.randn(n_windows, HORIZON)
    model = EnsembleRecurrent(1, HIDDEN, HORIZON, n_models=N_MODELS, cell="lstm")
    params = list(model.parameters())
    kind = {"fused": True} if fused else {"foreach": True}
    opt = torch.optim.Adam(params, lr=LR, **kind)
    model.train()
    for _ in range(steps):
        idx = torch.randperm(n_windows)[:BATCH]
        out = model(x_all[idx])
        loss = (out - y_all[idx].unsqueeze(1)).abs().mean()
        opt.zero_grad()
        loss.backward()
        model.mask_gradients()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        model.mask_weights()
        loss.item()
    return model


def lstm_only(steps, hidden, n_separate=1, seed=0):
    """Forward and backward of ``n_separate`` LSTMs, ``steps`` times."""
    torch.manual_seed(seed)
    x = torch.randn(BATCH, WINDOW, 1)
    lstms = [torch.nn.LSTM(1, hidden, batch_first=True) for _ in range(n_separate)]
    params = [p for lstm in lstms for p in lstm.parameters()]
    for _ in range(steps):
        for p in params:
            p.grad = None
        loss = sum(lstm(x)[0][:, -1].sum() for lstm in lstms)
        loss.backward()
    return lstms


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 30 steps, 1 round"
    )
    parser.add_argument("--reps", type=int, default=11, help="timed rounds")
    _common.add_clock_flag(parser)
    args = parser.parse_args()
    if args.wall:
        _common.use_clock("wall")
    _common.set_threads(1)
    steps = 30 if args.quick else 300
    reps = 1 if args.quick else args.reps

    y_train = load_train()
    forecaster = RNNForecaster(horizon=HORIZON, random_state=0)
    if args.quick:
        forecaster.set_params(max_steps=steps)
    calls, restore = record_network_fit()
    try:
        forecaster.fit(y_train)
    finally:
        restore()
    (network, X_net, y_net, valid), *_ = calls
    n_net_fits = len(calls)
    n_windows = len(X_net)

    rows = {
        "(1) `RNNForecaster(horizon=12).fit`": lambda: clone(forecaster).fit(y_train),
        "(0) the same, training core before 0ec62aa": lambda: fit_before(
            clone(forecaster), y_train
        ),
        "(1b) its network alone (`_ResidualNet.fit`, training core)": lambda: clone(
            network
        ).fit(X_net, y_net, validation_data=valid),
        "(2) bare PyTorch loop, Adam(foreach=True)": lambda: bare_fit(steps, n_windows),
        "(3) bare PyTorch loop, Adam(fused=True)": lambda: bare_fit(
            steps, n_windows, fused=True
        ),
        "(4) `nn.LSTM` fwd+bwd, H=80 (5 members, block-diagonal)": lambda: lstm_only(
            steps, N_MODELS * HIDDEN
        ),
        "(4) `nn.LSTM` fwd+bwd, H=16 (one member)": lambda: lstm_only(steps, HIDDEN),
        "(4) 5 x `nn.LSTM` fwd+bwd, H=16, one after the other": lambda: lstm_only(
            steps, HIDDEN, n_separate=N_MODELS
        ),
    }
    _common.header(f"Floor of the default RNNForecaster fit (airline, {steps} steps)")
    print(
        f"Training windows {tuple(X_net.shape)} -> targets {tuple(y_net.shape)}, "
        f"validation {tuple(valid[0].shape)}; {n_net_fits} network fit(s) per "
        f"forecaster fit; {steps} steps; medians of {reps} interleaved round(s) "
        "after one warm-up round.\n"
    )
    times = _common.interleaved(rows, reps=reps, warmup=1)
    first = next(iter(rows))
    table = []
    for name, secs in times.items():
        s = statistics.median(secs)
        table.append(
            [
                name,
                s,
                1000 * s / steps,
                f"{_common.median_ratio(secs, times[first]):.3f}",
            ]
        )
    _common.table(
        ["row", f"s per fit ({steps} steps)", "ms per step", "ratio to (1)"], table
    )
    print(
        "Note on (3): fused Adam changes the forecasts in the last digits (lynx's "
        "forecast by up to 12 on values in the thousands), so it was not adopted; "
        "the multi-tensor (foreach) update gives the same numbers and is used.\n"
    )

    names = [n for n in rows if not n.startswith("(0)")]
    speedup = _common.median_ratio(times[names[0]], times[names[2]])
    speedup_fused = _common.median_ratio(times[names[0]], times[names[3]])
    core_share = 1 - _common.median_ratio(times[names[2]], times[names[1]])
    floor = _common.median_ratio(times[names[4]], times[names[0]])
    before = next(n for n in rows if n.startswith("(0)"))
    gain = _common.median_ratio(times[names[0]], times[before])
    fit_s = statistics.median(times[names[0]])
    lo, hi = (3 / r for r in DARTS_RATIOS[::-1])
    print("Implied:")
    print(f"- commit 0ec62aa's training core: (1)/(0) = {gain:.3f} (same forecasts)")
    print(
        f"- best case from removing all overhead around the training steps: "
        f"(1)/(2) = {speedup:.2f}x ({speedup_fused:.2f}x with fused Adam, (1)/(3))"
    )
    print(
        f"- the training core's share of the network fit: 1 - (2)/(1b) = "
        f"{core_share:.0%}"
    )
    print(
        f"- floor: the LSTM's forward+backward alone (4, H=80) is {floor:.0%} of "
        f"(1), a speed-up of at most {1 / floor:.2f}x without changing the model"
    )
    print(
        f"- 3x less CPU than darts (today {DARTS_RATIOS[0]}-{DARTS_RATIOS[1]}x) "
        f"needs each fit {lo:.2f}-{hi:.2f}x cheaper: {fit_s / hi:.3f}-"
        f"{fit_s / lo:.3f} s instead of {fit_s:.3f} s"
    )


if __name__ == "__main__":
    main()
