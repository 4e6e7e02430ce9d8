"""Pool the per-step outputs of a recurrent encoder into one vector."""

import torch
from torch import Tensor, nn

from seqlearn.nn._validation import check_positive_int
from seqlearn.nn.encoder import check_lengths

__all__ = ["Pooling"]

MODES = ("last", "mean", "max", "attention")


class Pooling(nn.Module):
    r"""Reduce per-step encoder outputs to one vector per sequence.

    Parameters
    ----------
    mode : {"last", "mean", "max", "attention"}
        ``"last"`` returns the encoder's summary (last real step forwards,
        first step backwards); ``"mean"`` and ``"max"`` reduce over the real
        steps only; ``"attention"`` is learned additive attention (Bahdanau et
        al., 2015): :math:`s_t = v^\top \tanh(W o_t + b)`, softmax over the
        real steps, and the weighted sum of the outputs.
    input_size : int
        Number of features ``H`` of the encoder output.

    Attributes
    ----------
    attention : torch.nn.Linear or None
        ``W`` and ``b`` of the attention scores (``H -> H``), attention only.
    score : torch.nn.Linear or None
        ``v`` of the attention scores (``H -> 1``, no bias), attention only.

    Notes
    -----
    Shapes: ``output`` ``(N, L, H)``, ``summary`` ``(N, H)``, ``lengths``
    ``(N,)``; the result is ``(N, H)``.

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn import Pooling
    >>> pool = Pooling("mean", 4)
    >>> output = torch.ones(2, 3, 4)
    >>> pool(output, output[:, -1], torch.tensor([3, 1])).shape
    torch.Size([2, 4])
    """

    def __init__(self, mode: str, input_size: int) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}.")
        input_size = check_positive_int(input_size, "input_size")
        self.mode = mode
        self.input_size = input_size
        if mode == "attention":
            self.attention = nn.Linear(input_size, input_size)
            self.score = nn.Linear(input_size, 1, bias=False)
        else:
            self.attention = self.score = None

    def extra_repr(self) -> str:
        """Summarise the arguments in the module's repr.

        Returns
        -------
        str
            The mode and the input size, e.g. ``"'mean', 16"``.
        """
        return f"{self.mode!r}, {self.input_size}"

    def forward(self, output: Tensor, summary: Tensor, lengths: Tensor) -> Tensor:
        """Pool a batch.

        Parameters
        ----------
        output : Tensor of shape (N, L, H)
            Per-step encoder outputs; padded positions are ignored.
        summary : Tensor of shape (N, H)
            The encoder's summary, returned as is by ``"last"``.
        lengths : Tensor of shape (N,)
            Number of real steps of every sequence.

        Returns
        -------
        pooled : Tensor of shape (N, H)
            One vector per sequence.
        """
        if output.dim() != 3 or output.shape[2] != self.input_size:
            raise ValueError(
                f"output must have shape (N, L, {self.input_size}) (input_size="
                f"{self.input_size}); got {tuple(output.shape)}."
            )
        if self.mode == "last":
            return summary
        N, L = output.shape[:2]
        lengths = check_lengths(lengths, N, L, output.device)
        mask = torch.arange(L, device=output.device) < lengths.unsqueeze(1)
        padding = ~mask.unsqueeze(-1)
        if self.mode == "max":
            return output.masked_fill(padding, float("-inf")).amax(1)
        output = output.masked_fill(padding, 0)
        if self.mode == "mean":
            return output.sum(1) / lengths.unsqueeze(1).to(output.dtype)
        scores = self.score(torch.tanh(self.attention(output))).squeeze(-1)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        return torch.bmm(weights.unsqueeze(1), output).squeeze(1)
