"""Which default change makes SequenceRegressor pass check_regressors_train.

Run ``OMP_NUM_THREADS=1 python benchmarks/lab_regressor_train.py``: fits
``SequenceRegressor(hidden_size=8, max_epochs=30, batch_size=16,
random_state=0)`` on scikit-learn's ``check_regressors_train`` data
(``make_regression``, 200 samples as univariate sequences of 10 steps, y
scaled) with candidate changes built like ``_lab_classify``, and prints the
training R^2 (the check asks > 0.5) and CPU seconds.
"""

import time

import torch
from _lab_classify import ConvRecurrentModel
from sklearn.preprocessing import scale
from sklearn.utils.estimator_checks import _regression_dataset

from seqlearn import SequenceRegressor
from seqlearn.callbacks import WarmupCosineLR, budget_epochs

_FRONT = {"conv_channels": (64, 64), "conv_kernel_size": 5}
CANDIDATES = {
    "today": {},
    "schedule": {"schedule": True},
    "min_updates=600": {"min_updates": 600},
    "min_updates=1000": {"min_updates": 1000},
    "min_updates=1000 + schedule": {"min_updates": 1000, "schedule": True},
    "conv s1": _FRONT,
    "conv s2": {**_FRONT, "conv_stride": 2},
    "conv s2 + 600 updates + schedule": {
        **_FRONT,
        "conv_stride": 2,
        "min_updates": 600,
        "schedule": True,
    },
}


class LabRegressor(SequenceRegressor):
    lab = {}

    def _make_module(self, data, n_outputs):
        self._lab_n_train = data.n_samples
        net = {
            k: v for k, v in self.lab.items() if k not in ("min_updates", "schedule")
        }
        return ConvRecurrentModel(
            self.cell,
            data.n_step_features,
            self.hidden_size,
            n_outputs,
            pooling=self.pooling,
            **net,
        )

    def _build_net(self, module, seed, **kwargs):
        net = super()._build_net(module, seed, **kwargs)
        net.max_epochs = budget_epochs(
            self._lab_n_train,
            self.batch_size,
            self.max_epochs,
            self.lab.get("min_updates", 0),
        )
        if self.lab.get("schedule"):
            net.callbacks = [*net.callbacks, ("lr_schedule", WarmupCosineLR())]
        return net


def main():
    torch.set_num_threads(1)
    X, y = _regression_dataset()
    y = scale(y)
    SequenceRegressor(max_epochs=1).fit(X[:16], y[:16])  # one-off imports
    print("| change | R^2 (train) | CPU s |\n|---|---:|---:|")
    for name, lab in CANDIDATES.items():
        cls = type("LabRegressor", (LabRegressor,), {"lab": lab})
        reg = cls(hidden_size=8, max_epochs=30, batch_size=16, random_state=0)
        start = time.process_time()
        reg.fit(X, y)
        sec = time.process_time() - start
        print(f"| {name} | {reg.score(X, y):.3f} | {sec:.1f} |", flush=True)


if __name__ == "__main__":
    main()
