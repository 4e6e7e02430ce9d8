"""Forecasting against peers: RNNForecaster vs darts and neuralforecast.

Run in a benchmark environment that has the peers (they are never seqlearn
dependencies)::

    python3 -m venv /tmp/bench-venv
    /tmp/bench-venv/bin/pip install torch==2.13.0   # CPU build first
    /tmp/bench-venv/bin/pip install -e ".[bench-peers]"
    OMP_NUM_THREADS=1 /tmp/bench-venv/bin/python benchmarks/bench_peers.py

(``--quick`` for a smoke run, ``--models`` to pick some.)  A peer that is not
installed is reported as such.

``--public`` runs the whole public benchmark of ``bench_forecasting.py``
instead (its ``load_series``, ``horizon_of``, test ``origins``, ``evaluate``
and ``gmean``: 13 series, 3 test origins each, MAE relative to seasonal naive,
geometric mean over series) for ``RNNForecaster(horizon=h, random_state=seed)``
with its defaults (residual strategy, ``n_models=5``), the same with
``n_models=1`` (what the ensemble costs over one network), darts ``RNNModel``
and ``BlockRNNModel`` (LSTM, float32) and neuralforecast ``LSTM``.  The peers
get hidden size 32, one layer, batches of 32 windows, Adam at lr 0.01 and
``--steps`` optimizer steps per fit (default 300, ``RNNForecaster``'s default
``max_steps``; darts counts epochs, so it gets the fewest epochs that make at
least that many steps), their docs' scaling (as below) and the input length
``RNNForecaster``'s default picks: ``max(2m, h, 8)`` (``2m`` only when the
benchmark's period ``m > 1``), at most half the rows left after the horizon.
Per model: geometric mean over seeds (mean and range), the worst series, and
CPU seconds of all fits and forecasts (13 series x 3 origins x seeds), the
one-off import and warm-up fit in their own column::

    PYTHONPATH=. OMP_NUM_THREADS=1 /tmp/bench-venv/bin/python \
        benchmarks/bench_peers.py --public [--seeds 3] [--steps 300] [--quick] \
        [--peer-settings matched|defaults]

``--heldout`` runs the same on ``bench_forecasting.py``'s held-out series
(``load_heldout``: 14 series no default was chosen on) instead of the public
ones, ``--fresh`` on its second held-out set (``load_fresh``: 30 series).

``--peer-settings matched`` (the default) is the step-matched budget above.
``--peer-settings defaults`` runs each peer at its library's documented
defaults, setting only what the library requires or the protocol fixes
(``RNNForecaster`` is unchanged: ``horizon=h, random_state=seed``):

- darts ``RNNModel`` / ``BlockRNNModel``: ``model="LSTM"``,
  ``input_chunk_length`` = the input length above, ``random_state=seed``;
  ``BlockRNNModel``: ``output_chunk_length=h`` (required); ``RNNModel``:
  ``training_length`` = input length + ``h`` (its docs require it to exceed
  ``input_chunk_length``; the default 24 does not for 24-step inputs);
  ``pl_trainer_kwargs={"accelerator": "cpu", "enable_progress_bar": False,
  "enable_model_summary": False, "logger": False, "enable_checkpointing":
  False}``; ``fit``/``predict`` with ``verbose=False``.  Series: float32
  ``TimeSeries.from_values``, scaled by ``Scaler()`` (MinMax) fitted on the
  training rows, as darts' docs advise.  Defaults left alone include
  ``hidden_dim=25``, ``n_rnn_layers=1``, ``dropout=0``, ``batch_size=32``,
  ``n_epochs=100``, Adam at lr 1e-3, MSE loss.
- neuralforecast ``LSTM``: ``h=h``, ``input_size`` = the input length above,
  ``random_seed=seed``, ``accelerator="cpu"``, ``enable_progress_bar=False``,
  ``enable_model_summary=False``, ``logger=False``,
  ``enable_checkpointing=False``; ``NeuralForecast(models=[...], freq=1)``
  (integer time index).  Defaults left alone include ``max_steps=1000``,
  ``learning_rate=1e-3``, ``encoder_n_layers=2``,
  ``encoder_hidden_size=128``, ``decoder_hidden_size=128``,
  ``decoder_layers=2``, ``batch_size=32``, ``windows_batch_size=128``,
  ``scaler_type="robust"`` (its own scaler), MAE loss, float32.

The warm-up fit of ``defaults`` runs 1 epoch (darts) or 2 steps
(neuralforecast); it only pays the one-off start-up.

Protocol (the forecasting issue's): airline, window 24, horizon 12, forecast
origins 24 and 12 months before the end; sunspots (yearly, statsmodels),
window 30, horizon 10, origins 30, 20 and 10 years before the end.  At each
origin every model is fit on the rows before it and forecasts the horizon;
MASE pools the absolute errors over origins and steps, each scaled by the
training rows' in-sample MAE of the seasonal naive forecast (lag 12, airline)
or the naive forecast (lag 1, sunspots).  Same budget everywhere: LSTM, one
layer, hidden size 32, 60 epochs of batches of 32 windows, Adam at lr 0.01
(neuralforecast counts steps, not epochs: it gets the same number of
optimizer steps, ``60 * ceil(n_windows / 32)``).  Peers scale the series as
their docs advise (darts: ``Scaler`` fitted on the training rows;
neuralforecast: ``scaler_type="standard"``); seqlearn uses its defaults.

Each model runs in its own subprocess: import, then a warm-up fit on a short
series (the first ``torch.optim`` optimizer of a process imports
``torch._dynamo``, ~2 s, and Lightning has its own start-up): that one-off cost
is its own column.  Then, per seed, the whole backtest (all origins, fit +
predict) is timed in CPU seconds and wall seconds; the table gives medians over
seeds and the median MASE.  ``output bytes`` is what the model printed to
stdout/stderr with the peers' documented switches to silence progress bars
and loggers turned on; ``files written`` counts new files in the working
directory.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HIDDEN, EPOCHS, BATCH, LR = 32, 60, 32, 0.01

# name: (window, horizon, n_origins, seasonal period of the MASE scale)
PROTOCOL = {"airline": (24, 12, 2, 12), "sunspots": (30, 10, 3, 1)}

MODELS = [
    "seqlearn RNNForecaster",
    "hand-written PyTorch LSTM",
    "darts RNNModel (float64)",
    "darts RNNModel (float32)",
    "darts BlockRNNModel (float32)",
    "neuralforecast LSTM",
]


def load(name):
    if name == "airline":
        from sktime.datasets import load_airline

        return load_airline().to_numpy(dtype=np.float64)
    import statsmodels.api as sm

    return sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(float)


def n_steps(n_rows, window, horizon):
    """Optimizer steps of EPOCHS epochs over the training windows."""
    n_windows = max(1, n_rows - window - horizon + 1)
    return EPOCHS * -(-n_windows // BATCH)


def _epochs_for(steps, train, window, horizon):
    """Epochs of batches of BATCH windows that take at least ``steps`` steps."""
    n_windows = max(1, len(train) - window - horizon + 1)
    return -(-steps // -(-n_windows // BATCH))


# ---------------------------------------------------------------- the models
def fit_predict_seqlearn(train, window, horizon, seed, epochs=EPOCHS):
    from seqlearn import RNNForecaster

    fc = RNNForecaster(
        window=window,
        horizon=horizon,
        hidden_size=HIDDEN,
        max_epochs=epochs,
        batch_size=BATCH,
        lr=LR,
        random_state=seed,
    )
    return fc.fit(train).predict().to_numpy()


def fit_predict_hand(train, window, horizon, seed, epochs=EPOCHS):
    """What a PyTorch user writes: standardise, windows, LSTM, multi-output."""
    import torch

    torch.manual_seed(seed)
    mean, std = train.mean(), train.std()
    z = torch.tensor((train - mean) / std, dtype=torch.float32)
    windows = z.unfold(0, window + horizon, 1)
    X, Y = windows[:, :window, None], windows[:, window:]
    lstm = torch.nn.LSTM(1, HIDDEN, batch_first=True)
    head = torch.nn.Linear(HIDDEN, horizon)
    params = [*lstm.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=LR)
    for _ in range(epochs):
        for idx in torch.randperm(len(X)).split(BATCH):
            out = head(lstm(X[idx])[0][:, -1])
            loss = torch.nn.functional.mse_loss(out, Y[idx])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
    with torch.inference_mode():
        out = head(lstm(z[None, -window:, None])[0][:, -1])[0]
    return out.numpy() * std + mean


# the peers' documented switches for a quiet CPU run
QUIET = {
    "accelerator": "cpu",
    "enable_progress_bar": False,
    "enable_model_summary": False,
    "logger": False,
    "enable_checkpointing": False,
}


def _quiet_lightning():
    import logging

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning").setLevel(logging.ERROR)


def _fit_darts(train, window, horizon, seed, kind, dtype, **settings):
    """Fit a darts LSTM (``kind`` "block" or "rnn") with ``settings``; forecast."""
    from darts import TimeSeries
    from darts.dataprocessing.transformers import Scaler
    from darts.models import BlockRNNModel, RNNModel

    _quiet_lightning()
    common = {
        "input_chunk_length": window,
        "model": "LSTM",
        "random_state": seed,
        "pl_trainer_kwargs": QUIET,
        **settings,
    }
    if kind == "block":
        model = BlockRNNModel(output_chunk_length=horizon, **common)
    else:
        model = RNNModel(training_length=window + horizon, **common)
    scaler = Scaler()
    series = scaler.fit_transform(TimeSeries.from_values(train.astype(dtype)))
    model.fit(series, verbose=False)
    pred = model.predict(n=horizon, verbose=False)
    return scaler.inverse_transform(pred).values()[:, 0].astype(np.float64)


def _darts(train, window, horizon, seed, epochs, kind, dtype, steps=None):
    """darts with the matched budget (hidden, layers, batch, epochs, lr)."""
    return _fit_darts(
        train,
        window,
        horizon,
        seed,
        kind,
        dtype,
        hidden_dim=HIDDEN,
        n_rnn_layers=1,
        batch_size=BATCH,
        n_epochs=epochs
        if steps is None
        else _epochs_for(steps, train, window, horizon),
        optimizer_kwargs={"lr": LR},
    )


def fit_predict_darts_defaults(train, window, horizon, seed, kind, warmup=False):
    """darts at its documented defaults: only the required and protocol arguments.

    ``input_chunk_length=window``; ``BlockRNNModel``: ``output_chunk_length``
    = horizon (required); ``RNNModel``: ``training_length=window + horizon``
    (its docs: must be greater than ``input_chunk_length``; its default 24 is
    not, for the 24-step windows); ``model="LSTM"``, ``random_state=seed``,
    the quiet switches, CPU; float32 series scaled by ``Scaler()`` fitted on
    the training rows.  Defaults kept: ``hidden_dim=25``, ``n_rnn_layers=1``,
    ``batch_size=32``, ``n_epochs=100``, Adam at lr 1e-3, MSE loss.
    """
    settings = {"n_epochs": 1} if warmup else {}
    return _fit_darts(train, window, horizon, seed, kind, np.float32, **settings)


def _fit_neuralforecast(train, window, horizon, seed, **settings):
    """Fit neuralforecast's ``LSTM`` with ``settings``; forecast."""
    import pandas as pd
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    _quiet_lightning()
    model = LSTM(h=horizon, input_size=window, random_seed=seed, **QUIET, **settings)
    df = pd.DataFrame({"unique_id": "s", "ds": np.arange(len(train)), "y": train})
    nf = NeuralForecast(models=[model], freq=1)
    nf.fit(df)
    return nf.predict()["LSTM"].to_numpy(dtype=np.float64)


def fit_predict_neuralforecast_defaults(train, window, horizon, seed, warmup=False):
    """neuralforecast ``LSTM`` at its documented defaults.

    Set: ``h=horizon``, ``input_size=window``, ``random_seed=seed``, the quiet
    switches, CPU; ``NeuralForecast(freq=1)`` (integer time index).  Defaults
    kept: ``max_steps=1000``, ``learning_rate=1e-3``, ``encoder_n_layers=2``,
    ``encoder_hidden_size=128``, ``decoder_hidden_size=128``,
    ``decoder_layers=2``, ``batch_size=32``, ``windows_batch_size=128``,
    ``scaler_type="robust"``, MAE loss; float32 (its default dtype).
    """
    settings = {"max_steps": 2} if warmup else {}
    return _fit_neuralforecast(train, window, horizon, seed, **settings)


DEFAULTS_FIT_PREDICT = {
    "darts RNNModel (float32)": lambda *a, **k: fit_predict_darts_defaults(
        *a, kind="rnn", **k
    ),
    "darts BlockRNNModel (float32)": lambda *a, **k: fit_predict_darts_defaults(
        *a, kind="block", **k
    ),
    "neuralforecast LSTM": fit_predict_neuralforecast_defaults,
}


def fit_predict_neuralforecast(train, window, horizon, seed, epochs=EPOCHS, steps=None):
    """neuralforecast ``LSTM`` with the matched budget (in optimizer steps)."""
    return _fit_neuralforecast(
        train,
        window,
        horizon,
        seed,
        encoder_n_layers=1,
        encoder_hidden_size=HIDDEN,
        decoder_hidden_size=HIDDEN,
        decoder_layers=1,
        max_steps=steps
        or max(1, epochs * n_steps(len(train), window, horizon) // EPOCHS),
        learning_rate=LR,
        batch_size=1,
        windows_batch_size=BATCH,
        scaler_type="standard",
    )


FIT_PREDICT = {
    "seqlearn RNNForecaster": fit_predict_seqlearn,
    "hand-written PyTorch LSTM": fit_predict_hand,
    "darts RNNModel (float64)": lambda *a, **k: _darts(
        *a, **k, kind="rnn", dtype=float
    ),
    "darts RNNModel (float32)": lambda *a, **k: _darts(
        *a, **k, kind="rnn", dtype=np.float32
    ),
    "darts BlockRNNModel (float32)": lambda *a, **k: _darts(
        *a, **k, kind="block", dtype=np.float32
    ),
    "neuralforecast LSTM": fit_predict_neuralforecast,
}


# ---------------------------------------------------------------- protocol
def backtest(fit_predict, values, window, horizon, n_origins, m, seed, epochs):
    """Pooled MASE over the origins, with CPU and wall seconds of all refits."""
    scaled = []
    cpu, wall = time.process_time(), time.perf_counter()
    for end in len(values) - horizon * np.arange(n_origins, 0, -1):
        train, truth = values[:end], values[end : end + horizon]
        pred = fit_predict(train, window, horizon, seed, epochs=epochs)
        scale = np.mean(np.abs(train[m:] - train[:-m]))
        scaled.append(np.abs(truth - pred) / scale)
    return (
        float(np.mean(scaled)),
        time.process_time() - cpu,
        time.perf_counter() - wall,
    )


def run_child(model, extra):
    """Run ``model`` in a fresh subprocess, in an empty working directory.

    Returns ``(result, failure, output_bytes, files_written)``: the child's
    ``@@RESULT@@`` JSON (None when it failed, with the last line of its output
    as ``failure``), what it printed besides its result and progress lines,
    and the files it left behind.
    """
    with tempfile.TemporaryDirectory() as cwd:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", model, *extra]
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        n_files = sum(len(files) for _, _, files in os.walk(cwd))
    output = proc.stdout + proc.stderr
    lines = [x for x in proc.stdout.splitlines() if x.startswith("@@RESULT@@")]
    if proc.returncode or not lines:
        reason = (output.strip().splitlines() or ["no output"])[-1][:120]
        return None, reason, 0, n_files
    noise = len(output.encode()) - len(lines[-1]) - 1
    noise -= sum(len(x) + 1 for x in proc.stderr.splitlines() if x[:5] == "seed ")
    return json.loads(lines[-1][len("@@RESULT@@") :]), None, noise, n_files


def child(model, seeds, epochs):
    """Run one model on both series in this process; print a JSON line."""
    import torch

    torch.set_num_threads(1)
    fit_predict = FIT_PREDICT[model]
    values = {name: load(name) for name in PROTOCOL}
    cpu, wall = time.process_time(), time.perf_counter()
    fit_predict(values["airline"][:60], 24, 12, 0, epochs=1)
    out = {"warmup_cpu": time.process_time() - cpu}
    out["warmup_wall"] = time.perf_counter() - wall
    for name, (window, horizon, n_origins, m) in PROTOCOL.items():
        runs = [
            backtest(
                fit_predict, values[name], window, horizon, n_origins, m, s, epochs
            )
            for s in seeds
        ]
        out[name] = {
            "mase": statistics.median(r[0] for r in runs),
            "mase_range": [min(r[0] for r in runs), max(r[0] for r in runs)],
            "cpu": statistics.median(r[1] for r in runs),
            "wall": statistics.median(r[2] for r in runs),
        }
    print("@@RESULT@@" + json.dumps(out))


# ------------------------------------------------- the whole public benchmark
PUBLIC_MODELS = [
    "seqlearn RNNForecaster",
    "seqlearn RNNForecaster (n_models=1)",
    "darts RNNModel (float32)",
    "darts BlockRNNModel (float32)",
    "neuralforecast LSTM",
]
# optimizer steps per fit for the peers: RNNForecaster's default max_steps
PUBLIC_STEPS = 300
QUICK_SERIES = ["shampoo", "GOOG"]


def peer_window(n_rows, h, m):
    """Input length for the peers: what RNNForecaster's default picks.

    ``max(2m, h, 8)`` (``2m`` only for seasonal series), at most half the rows
    left after the horizon, with the benchmark's seasonal period ``m``.
    """
    return min(max(2 * m if m > 1 else 0, h, 8), max(2, (n_rows - h) // 2))


def _bench_forecasting():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_forecasting

    return bench_forecasting


def public_names(series):
    # the public benchmark's series: bench_forecasting's default list (PBS is
    # left out there: seasonal naive's MAE, the denominator, is zero)
    return [n for n in series if n != "PBS"]


def child_public(model, seeds, names, steps, settings="matched", which="public"):
    """Run one model over a benchmark set in this process; print JSON.

    ``which``: "public", "heldout" or "fresh" (``bench_forecasting``'s sets).
    """
    import torch

    torch.set_num_threads(1)
    bf = _bench_forecasting()
    public = bf.load_series()
    loaders = {"heldout": bf.load_heldout, "fresh": bf.load_fresh}
    series = loaders[which]() if which in loaders else public
    names = names or public_names(series)

    if model.startswith("seqlearn"):
        from seqlearn import RNNForecaster

        extra = {"n_models": 1} if "n_models=1" in model else {}

        def fit_predict(y, m, h, end, seed, max_steps=None):
            # bench_forecasting's call: the pandas series, season from its index
            more = {"max_steps": max_steps} if max_steps else {}
            fc = RNNForecaster(horizon=h, random_state=seed, **extra, **more)
            return fc.fit(y.iloc[:end]).predict().to_numpy()

    elif settings == "defaults":
        peer = DEFAULTS_FIT_PREDICT[model]

        def fit_predict(y, m, h, end, seed, max_steps=None):
            train = y.to_numpy(float)[:end]
            window = peer_window(len(train), h, m)
            return peer(train, window, h, seed, warmup=max_steps is not None)

    else:
        peer = FIT_PREDICT[model]

        def fit_predict(y, m, h, end, seed, max_steps=None):
            train = y.to_numpy(float)[:end]
            window = peer_window(len(train), h, m)
            return peer(train, window, h, seed, epochs=EPOCHS, steps=max_steps or steps)

    y, m = public["airline"]
    cpu, wall = time.process_time(), time.perf_counter()
    fit_predict(y.iloc[:60], m, 12, 48, 0, max_steps=2)
    out = {"warmup_cpu": time.process_time() - cpu}
    out["warmup_wall"] = time.perf_counter() - wall
    out["scores"], out["cpu"], out["wall"] = [], [], []
    for seed in seeds:
        scores, cpu_s, wall_s = {}, 0.0, 0.0
        for name in names:
            y, m = series[name]
            h = bf.horizon_of(y)

            def predict(end, y=y, m=m, h=h, seed=seed):
                nonlocal cpu_s, wall_s
                cpu, wall = time.process_time(), time.perf_counter()
                pred = fit_predict(y, m, h, end, seed)
                cpu_s += time.process_time() - cpu
                wall_s += time.perf_counter() - wall
                return np.asarray(pred, dtype=float)

            scores[name] = bf.evaluate(y, m, h, bf.origins(y, h, False), predict)
        out["scores"].append(scores)
        out["cpu"].append(cpu_s)
        out["wall"].append(wall_s)
        print(f"seed {seed}: {cpu_s:.1f} CPU s", file=sys.stderr, flush=True)
    print("@@RESULT@@" + json.dumps(out))


def _which(args):
    """The benchmark set of ``--public`` runs: "public", "heldout" or "fresh"."""
    return "fresh" if args.fresh else "heldout" if args.heldout else "public"


def main_public(args, seeds):
    """The whole public benchmark of bench_forecasting.py, one row per model."""
    import _common

    bf = _bench_forecasting()
    names = args.series or (QUICK_SERIES if args.quick else None)
    defaults = args.peer_settings == "defaults"
    where = {
        "heldout": "held-out series",
        "fresh": "second held-out set",
    }.get(_which(args), "whole public benchmark")
    _common.header(
        f"Peers at their library defaults ({where})"
        if defaults
        else f"Peers on the {where} (test origins)"
    )
    rows, cpu_of, geo_of = [], {}, {}
    n_series = len(names) if names else 13  # as the children report
    for model in args.models:
        extra = ["--public", "--seeds", str(len(seeds)), "--steps", str(args.steps)]
        extra += ["--peer-settings", args.peer_settings]
        extra += ["--series", *names] if names else []
        extra += [f"--{_which(args)}"] if _which(args) != "public" else []
        res, reason, noise, n_files = run_child(model, extra)
        if res is None:
            rows.append([model, f"failed: {reason}"] + ["-"] * 8)
            print(f"<!-- failed: {model}: {reason} -->", flush=True)
            continue
        series = list(res["scores"][0])
        table = np.array([[s[n] for n in series] for s in res["scores"]])
        geo = np.array([bf.gmean(row) for row in table])
        per_series = table.mean(axis=0)
        worst = int(np.argmax(per_series))
        cpu_of[model], geo_of[model] = sum(res["cpu"]), geo.mean()
        n_series = len(series)
        rows.append(
            [
                model,
                f"{geo.mean():.3f}",
                f"{geo.min():.3f}-{geo.max():.3f}",
                f"{series[worst]} {per_series[worst]:.2f}",
                f"{sum(res['cpu']):.1f}",
                f"{np.mean(res['cpu']):.1f}",
                f"{sum(res['wall']):.1f}",
                f"{res['warmup_cpu']:.2f}",
                noise,
                n_files,
            ]
        )
        print(f"<!-- done: {model} -->", flush=True)
    n_fits = len(seeds) * 3 * n_series
    print(
        f"\n{n_series} series x 3 test origins x "
        f"{len(seeds)} seed(s) = {n_fits} fits per model. Error: bench_forecasting's "
        "MAE relative to seasonal naive, averaged over origins; geometric mean "
        "over series, per seed, then mean and range over seeds; worst series: "
        "mean over seeds. CPU s: fit + predict of every fit (all series, "
        "origins and seeds), without the one-off import and warm-up fit. "
        + (
            "Peers at their library defaults (bench_peers.py's docstring lists "
            "the arguments set), input length `peer_window`.\n"
            if defaults
            else f"Peers: LSTM, hidden {HIDDEN}, one layer, {args.steps} optimizer "
            f"steps per fit, batch {BATCH}, lr {LR}, input length `peer_window`.\n"
        )
    )
    _common.table(
        [
            "model",
            "geomean rel. MAE (mean over seeds)",
            "range over seeds",
            "worst series",
            "CPU s (total)",
            "CPU s per seed",
            "wall s (total)",
            "warm-up CPU s (one-off)",
            "output bytes",
            "files written",
        ],
        rows,
    )
    base, one = "seqlearn RNNForecaster", "seqlearn RNNForecaster (n_models=1)"
    if base in cpu_of:
        print()
        for model, cpu in cpu_of.items():
            if model not in (base, one):
                print(
                    f"- {model}: {cpu / cpu_of[base]:.2f}x the CPU seconds of "
                    f"{base} (geomean {geo_of[model]:.3f} vs {geo_of[base]:.3f})"
                )
        if one in cpu_of:
            print(
                f"- the ensemble (n_models=5) costs {cpu_of[base] / cpu_of[one]:.2f}x "
                f"one network (n_models=1); geomean {geo_of[base]:.3f} vs "
                f"{geo_of[one]:.3f}"
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 epochs, 1 seed")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--models", nargs="+", choices=list(dict.fromkeys(MODELS + PUBLIC_MODELS))
    )
    parser.add_argument(
        "--public",
        action="store_true",
        help="the whole public benchmark of bench_forecasting.py (test origins)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=PUBLIC_STEPS,
        help="--public: optimizer steps per fit for the peers",
    )
    parser.add_argument(
        "--peer-settings",
        choices=["matched", "defaults"],
        default="matched",
        help="--public: the peers' budget: step-matched (hidden 32, --steps "
        "steps, lr 0.01, batch 32) or their libraries' documented defaults",
    )
    parser.add_argument("--series", nargs="+", help="--public: series to run")
    parser.add_argument(
        "--heldout",
        action="store_true",
        help="--public on bench_forecasting's held-out series instead",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="--public on bench_forecasting's second held-out set instead",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if args.public or args.heldout or args.fresh:
        seeds = list(range(1 if args.quick and args.seeds == 3 else args.seeds))
        if args.child:
            child_public(
                args.child,
                seeds,
                args.series,
                args.steps,
                args.peer_settings,
                _which(args),
            )
            return
        args.models = args.models or PUBLIC_MODELS
        main_public(args, seeds)
        return
    args.models = args.models or MODELS
    epochs = 2 if args.quick else EPOCHS
    seeds = list(range(1 if args.quick else args.seeds))
    if args.child:
        child(args.child, seeds, epochs)
        return
    import _common

    _common.header("Forecasting against peers (airline, sunspots)")
    rows = []
    for model in args.models:
        extra = ["--seeds", str(len(seeds))] + (["--quick"] if args.quick else [])
        res, reason, noise, n_files = run_child(model, extra)
        if res is None:
            rows.append([model, f"failed: {reason}"] + ["-"] * 8)
            continue
        row = [model]
        for name in PROTOCOL:
            r = res[name]
            lo, hi = r["mase_range"]
            row += [
                f"{r['mase']:.3f}" + (f" ({lo:.2f}-{hi:.2f})" if hi > lo else ""),
                r["cpu"],
                r["wall"],
            ]
        row += [res["warmup_cpu"], noise, n_files]
        rows.append(row)
        print(f"<!-- done: {model} -->", flush=True)
    print(
        f"\nLSTM, hidden {HIDDEN}, {epochs} epochs, batch {BATCH}, lr {LR}; "
        f"{len(seeds)} seed(s): MASE median (range), seconds median over seeds of "
        "the whole backtest (all origins, fit + predict).\n"
    )
    _common.table(
        [
            "model",
            "airline MASE",
            "airline CPU s",
            "airline wall s",
            "sunspots MASE",
            "sunspots CPU s",
            "sunspots wall s",
            "warm-up CPU s (one-off)",
            "output bytes",
            "files written",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
