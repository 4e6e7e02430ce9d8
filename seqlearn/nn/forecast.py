"""An ensemble of small recurrent networks run as one module.

``n_models`` independent GRUs (or LSTMs) share one :class:`torch.nn.GRU` of
hidden size ``n_models * hidden_size`` whose hidden-to-hidden weights are kept
block diagonal, so each model's hidden units see only their own past: one
fused recurrent kernel call trains and runs them all, at about the cost of one
network.  Each model has its own linear head.
"""

from __future__ import annotations

import torch
from torch import nn

from seqlearn.nn._validation import check_positive_int

__all__ = ["EnsembleRecurrent"]

_CELLS = {"gru": (nn.GRU, 3), "lstm": (nn.LSTM, 4)}


class EnsembleRecurrent(nn.Module):
    """``n_models`` independent recurrent networks with linear heads.

    Parameters
    ----------
    input_size : int
        Features per time step ``H_in``.
    hidden_size : int
        Hidden units of each model.
    n_outputs : int
        Outputs of each model's head.
    n_models : int, default=5
        Number of independent networks ``M``.
    cell : {"gru", "lstm"}, default="gru"
        Recurrent cell.

    Notes
    -----
    Shapes: ``x`` is ``(N, L, H_in)``; ``forward`` returns ``(N, M, n_outputs)``.
    The off-diagonal blocks of ``weight_hh_l0`` start at zero; call
    :meth:`mask_gradients` after ``backward`` so that they stay zero (under
    Adam, AdamW, SGD or RMSprop a zero gradient leaves a zero weight at zero),
    and :meth:`mask_weights` after the optimizer step for any other optimizer.

    Initialisation is the shared module's: every recurrent weight and bias
    is drawn from ``U(-1/sqrt(M * H), 1/sqrt(M * H))``, so each member starts
    ``sqrt(M)`` times smaller than a stand-alone network of ``hidden_size``
    units would (the forecaster's defaults were chosen with this scale).
    Windows have equal length: ``lengths``, when given, must all be ``L``.
    """

    def __init__(self, input_size, hidden_size, n_outputs, n_models=5, cell="gru"):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"cell must be one of {sorted(_CELLS)}; got {cell!r}.")
        input_size = check_positive_int(input_size, "input_size")
        hidden_size = check_positive_int(hidden_size, "hidden_size")
        n_outputs = check_positive_int(n_outputs, "n_outputs")
        n_models = check_positive_int(n_models, "n_models")
        rnn_cls, gates = _CELLS[cell]
        self.n_models, self.hidden_size = n_models, hidden_size
        self.rnn = rnn_cls(input_size, n_models * hidden_size, batch_first=True)
        block = torch.block_diag(*[torch.ones(hidden_size, hidden_size)] * n_models)
        self.register_buffer("hh_mask", block.repeat(gates, 1), persistent=False)
        with torch.no_grad():
            self.rnn.weight_hh_l0.mul_(self.hh_mask)
        bound = hidden_size**-0.5
        self.head_weight = nn.Parameter(
            torch.empty(n_models, hidden_size, n_outputs).uniform_(-bound, bound)
        )
        self.head_bias = nn.Parameter(torch.zeros(n_models, n_outputs))

    def mask_gradients(self):
        """Zero the gradient of the cross-model hidden weights."""
        grad = self.rnn.weight_hh_l0.grad
        if grad is not None:
            grad.mul_(self.hh_mask)

    def mask_weights(self):
        """Zero the cross-model hidden weights (in place, without autograd)."""
        with torch.no_grad():
            self.rnn.weight_hh_l0.mul_(self.hh_mask)

    def forward(self, x, lengths=None):
        """Return every model's outputs ``(N, M, n_outputs)`` for windows ``x``."""
        lengths = None if lengths is None else torch.as_tensor(lengths)
        # checked on the CPU only: on an accelerator it would synchronise it
        if (
            lengths is not None
            and lengths.device.type == "cpu"
            and (bool((lengths != x.shape[1]).any()))
        ):
            raise ValueError(
                "EnsembleRecurrent reads equal-length windows: every length must "
                f"be the windows' {x.shape[1]} steps (it reads the last one); pass "
                "unpadded windows of one length, or lengths=None."
            )
        out, _ = self.rnn(x)
        # windows have equal length: the last step is the last real step
        last = out[:, -1].view(len(x), self.n_models, self.hidden_size)
        return torch.einsum("nmh,mho->nmo", last, self.head_weight) + self.head_bias
