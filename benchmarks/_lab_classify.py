"""Candidate RNNClassifier defaults, tried before the training core wires them in.

``lab_classifier(**config)`` returns an ``RNNClassifier`` subclass instance
whose ``_make_module`` builds::

    x -> [ConvFrontEnd] -> RecurrentEncoder -> Pooling --\\
    x -> [FCNBranch] ------------------------------------ concat -> dropout -> Linear

and whose net trains for ``budget_epochs(n, batch_size, max_epochs,
min_updates)`` epochs with an optional warm-up + cosine learning rate.
Every config key not listed in ``LAB_KEYS`` is an ordinary RNNClassifier
parameter.
"""

import torch
from torch import nn

from seqlearn import RNNClassifier
from seqlearn.callbacks import WarmupCosineLR, budget_epochs
from seqlearn.nn.conv import ConvFrontEnd, FCNBranch
from seqlearn.nn.encoder import RecurrentEncoder
from seqlearn.nn.pooling import Pooling

LAB_DEFAULTS = {
    "conv_channels": None,  # e.g. (64, 64); None: no front-end
    "conv_kernel_size": 5,
    "conv_stride": 1,
    "fcn_channels": None,  # e.g. (128, 256, 128); None: no FCN branch
    "fcn_kernel_sizes": (8, 5, 3),
    "head_dropout": 0.0,
    "min_updates": 0,
    "schedule": False,  # warm-up + cosine learning rate
    # min_updates and schedule only when the longest training sequence has
    # at least this many steps (None: always)
    "min_length": None,
}
LAB_KEYS = set(LAB_DEFAULTS)


class ConvRecurrentModel(nn.Module):
    """Front-end -> recurrent encoder -> pooling, plus an optional FCN branch."""

    def __init__(
        self,
        cell,
        input_size,
        hidden_size,
        n_outputs,
        *,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        pooling="last",
        conv_channels=None,
        conv_kernel_size=5,
        conv_stride=1,
        fcn_channels=None,
        fcn_kernel_sizes=(8, 5, 3),
        head_dropout=0.0,
    ):
        super().__init__()
        self.front = None
        rnn_input = input_size
        if conv_channels:
            self.front = ConvFrontEnd(
                input_size, conv_channels, conv_kernel_size, conv_stride
            )
            rnn_input = self.front.output_size
        self.encoder = RecurrentEncoder(
            cell,
            rnn_input,
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
        )
        self.pooling = Pooling(pooling, self.encoder.output_size)
        width = self.encoder.output_size
        self.fcn = None
        if fcn_channels:
            self.fcn = FCNBranch(input_size, fcn_channels, fcn_kernel_sizes)
            width += self.fcn.output_size
        self.drop = nn.Dropout(head_dropout)
        self.head = nn.Linear(width, n_outputs)

    def forward(self, x, lengths):
        """Return ``(N, n_outputs)`` scores of a padded batch."""
        h, h_lengths = x, lengths
        if self.front is not None:
            h, h_lengths = self.front(x, lengths)
        output, summary = self.encoder(h, h_lengths)
        z = self.pooling(output, summary, h_lengths)
        if self.fcn is not None:
            z = torch.cat([z, self.fcn(x, lengths)], dim=1)
        return self.head(self.drop(z))


class LabClassifier(RNNClassifier):
    """RNNClassifier whose network and budget come from the class's ``lab``."""

    lab = LAB_DEFAULTS

    def _make_module(self, data, n_outputs):
        # lab shortcut: the training core should pass the size to the budget
        self._lab_n_train = data.n_samples
        lab = self.lab
        if lab["min_length"] and int(data.lengths.max()) < lab["min_length"]:
            # short series: today's budget, no schedule (the training core
            # should decide this in fit and store it as a fitted attribute)
            lab = {**lab, "min_updates": 0, "schedule": False}
        self._lab_used = lab
        return ConvRecurrentModel(
            self.cell,
            data.n_step_features,
            self.hidden_size,
            n_outputs,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            pooling=self.pooling,
            conv_channels=lab["conv_channels"],
            conv_kernel_size=lab["conv_kernel_size"],
            conv_stride=lab["conv_stride"],
            fcn_channels=lab["fcn_channels"],
            fcn_kernel_sizes=lab["fcn_kernel_sizes"],
            head_dropout=lab["head_dropout"],
        )

    def _build_net(self, module, seed, **kwargs):
        net = super()._build_net(module, seed, **kwargs)
        fraction = self.validation_fraction if self.early_stopping else 0.0
        net.max_epochs = budget_epochs(
            self._lab_n_train,
            self.batch_size,
            self.max_epochs,
            self._lab_used["min_updates"],
            fraction,
        )
        if self._lab_used["schedule"]:
            net.callbacks = [*net.callbacks, ("lr_schedule", WarmupCosineLR())]
        return net


def lab_classifier(**config):
    """A LabClassifier instance for ``config`` (lab keys + RNNClassifier params)."""
    lab = {**LAB_DEFAULTS, **{k: v for k, v in config.items() if k in LAB_KEYS}}
    params = {k: v for k, v in config.items() if k not in LAB_KEYS}
    cls = type("LabClassifier", (LabClassifier,), {"lab": lab})
    return cls(**params)
