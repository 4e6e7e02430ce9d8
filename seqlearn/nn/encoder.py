"""The recurrent encoder shared by every seqlearn estimator."""

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqlearn.nn._validation import check_positive_int, check_recurrent
from seqlearn.nn.constants import PAD_ID
from seqlearn.nn.peephole import PeepholeLSTM

__all__ = ["CELLS", "RecurrentEncoder", "make_rnn"]

# The one cell registry: every recurrent module in seqlearn.nn is built here.
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU, "peephole": PeepholeLSTM}


def make_rnn(cell, input_size, hidden_size, num_layers=1, dropout=0.0):
    """Build a batch-first, unidirectional recurrent module of a named cell.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru", "peephole"}
        Elman RNN with tanh, :class:`torch.nn.LSTM`, :class:`torch.nn.GRU` or
        :class:`~seqlearn.nn.PeepholeLSTM`.
    input_size : int
        Input features ``H_in``.
    hidden_size : int
        Hidden features ``H_out``.
    num_layers : int, default=1
        Stacked layers inside the one module.
    dropout : float, default=0.0
        Dropout between the stacked layers (ignored with one layer).

    Returns
    -------
    torch.nn.Module
        The module; ``forward(x, hx=None) -> (output, state)``.
    """
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {tuple(CELLS)}, got {cell!r}.")
    kwargs = {"dropout": dropout} if num_layers > 1 else {}
    return CELLS[cell](
        input_size, hidden_size, num_layers=num_layers, batch_first=True, **kwargs
    )


def _gather_steps(x, index):
    """Return ``x[n, index[n, t]]`` for a batch-first ``x`` of shape (N, L, F)."""
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


def check_lengths(lengths, n_samples, max_length, device):
    """Validate sequence lengths and return them as int64 on ``device``.

    Parameters
    ----------
    lengths : Tensor of shape (N,)
        Number of real steps of every sequence.
    n_samples : int
        Batch size ``N``.
    max_length : int
        Padded length ``L``.
    device : torch.device
        Device the lengths are moved to.

    Returns
    -------
    lengths : Tensor of shape (N,)
        The lengths as int64 on ``device``.
    """
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.shape[0] != n_samples:
        raise ValueError(
            f"lengths must be a 1-D tensor of {n_samples} entries, got shape "
            f"{tuple(lengths.shape)}."
        )
    if lengths.dtype.is_floating_point or lengths.dtype == torch.bool:
        raise TypeError(f"lengths must be integers, got {lengths.dtype}.")
    # Checking values on an accelerator would synchronise it: only CPU lengths
    # (the usual case, from the collate function) are range-checked.
    if lengths.device.type == "cpu" and n_samples:
        low, high = int(lengths.min()), int(lengths.max())
        if low < 1 or high > max_length:
            raise ValueError(
                f"lengths must lie in [1, {max_length}] (the padded length), got "
                f"values from {low} to {high}."
            )
    return lengths.to(device=device, dtype=torch.long)


class RecurrentEncoder(nn.Module):
    r"""Encode a padded batch of ragged sequences with a recurrent network.

    Every sequence is read only up to its own length: the forward direction
    runs over the padded batch and its summary is taken at the last real
    step (padding after the end cannot change earlier states), and the
    backward direction reads each sequence reversed within its own length, so
    it starts at the last real step. Padding never reaches either direction.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru", "peephole"}
        Recurrent cell: Elman RNN with tanh, :class:`torch.nn.LSTM`,
        :class:`torch.nn.GRU` or :class:`~seqlearn.nn.PeepholeLSTM`.
    input_size : int or None
        Number of input features ``H_in``; ignored (may be None) when
        ``embedding_dim`` is given.
    hidden_size : int
        Number of features ``H_out`` of the hidden state, per direction.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Whether to add a direction reading every sequence backwards.
    dropout : float, default=0.0
        Dropout probability on the non-recurrent edges: between stacked layers
        and on the encoder output.
    num_embeddings : int, default=None
        Vocabulary size, when the input is token ids. Id 0 is the padding id.
    embedding_dim : int, default=None
        If given, the input is int64 token ids embedded by
        ``nn.Embedding(num_embeddings, embedding_dim, padding_idx=0)``.
    pack : {"auto", True, False}, default="auto"
        Whether to run the ``nn.RNN``/``nn.LSTM``/``nn.GRU`` modules on a
        ``PackedSequence``.  "auto" packs on CUDA, where cuDNN's packed kernels
        skip the padding, and never on CPU, where packed training is slower.
        ``PeepholeLSTM`` always runs on the padded batch.  Results are the same
        either way.

    Attributes
    ----------
    output_size : int
        ``D * hidden_size``, with ``D = 2 if bidirectional else 1``.
    embedding : torch.nn.Embedding or None
        The token embedding, if ``embedding_dim`` was given.
    rnns : torch.nn.ModuleList
        One single-layer unidirectional module per layer and direction, in the
        order layer 0 forward, layer 0 backward, layer 1 forward, ...

    Notes
    -----
    Shapes, with ``D = 2 if bidirectional else 1``:

    - ``x``: ``(N, L, H_in)`` float, or ``(N, L)`` int64 ids with embeddings;
    - ``lengths``: ``(N,)`` int64, each in ``[1, L]``, on the CPU or on the
      device of ``x``;
    - ``output``: ``(N, L, D * H_out)``, zero at padded positions;
    - ``summary``: ``(N, D * H_out)``, the forward state at each sequence's
      last real step and the backward state after reading back to its first.

    On CPU the batch is not packed: training ``nn.LSTM`` on a
    ``PackedSequence`` is markedly slower than on the padded batch, and packed
    inference gains little (``benchmarks/bench_recurrent.py`` measures both).

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn import RecurrentEncoder
    >>> encoder = RecurrentEncoder("gru", 3, 8, bidirectional=True)
    >>> x = torch.randn(2, 5, 3)
    >>> output, summary = encoder(x, torch.tensor([5, 2]))
    >>> output.shape, summary.shape
    (torch.Size([2, 5, 16]), torch.Size([2, 16]))
    >>> bool(output[1, 2:].eq(0).all())
    True
    """

    def __init__(
        self,
        cell: str,
        input_size: int | None,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        num_embeddings: int | None = None,
        embedding_dim: int | None = None,
        pack: str | bool = "auto",
    ) -> None:
        super().__init__()
        hidden_size, num_layers, self.dropout = check_recurrent(
            hidden_size, num_layers, dropout, cell, CELLS
        )
        if embedding_dim is not None:
            embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
            if num_embeddings is None:
                raise ValueError("num_embeddings is required with embedding_dim.")
            num_embeddings = check_positive_int(num_embeddings, "num_embeddings")
            self.embedding = nn.Embedding(
                num_embeddings, embedding_dim, padding_idx=PAD_ID
            )
            input_size = embedding_dim
        else:
            if num_embeddings is not None:
                raise ValueError("num_embeddings needs embedding_dim to be set.")
            input_size = check_positive_int(input_size, "input_size")
            self.embedding = None
        if not isinstance(bidirectional, bool | np.bool_):
            raise TypeError(f"bidirectional must be a bool, got {bidirectional!r}.")
        num_directions = 2 if bidirectional else 1
        self.output_size = num_directions * hidden_size
        self.cell = cell
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.rnns = nn.ModuleList(
            make_rnn(cell, input_size if layer == 0 else self.output_size, hidden_size)
            for layer in range(num_layers)
            for _ in range(num_directions)
        )
        self.drop = nn.Dropout(dropout)
        if not (pack == "auto" or isinstance(pack, bool | np.bool_)):
            raise ValueError(f"pack must be 'auto', True or False, got {pack!r}.")
        self.pack = pack

    def _run(self, rnn, x, lengths):
        """Run one unidirectional module, packed where that is faster."""
        packs = self.pack is True or (self.pack == "auto" and x.is_cuda)
        if not packs or isinstance(rnn, PeepholeLSTM):
            return rnn(x)[0]
        packed = pack_padded_sequence(
            x, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = pad_packed_sequence(
            rnn(packed)[0], batch_first=True, total_length=x.shape[1]
        )
        return out

    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Encode a padded batch.

        Parameters
        ----------
        x : Tensor of shape (N, L, H_in), or (N, L) int64 with embeddings
            Padded batch; values at padded positions are ignored.
        lengths : Tensor of shape (N,)
            Number of real steps of every sequence, each in ``[1, L]``.

        Returns
        -------
        output : Tensor of shape (N, L, D * H_out)
            Last layer's state at every step, zero at padded positions.
        summary : Tensor of shape (N, D * H_out)
            Forward state at the last real step, concatenated with the backward
            state at the first step.
        """
        expected_dim = 2 if self.embedding is not None else 3
        if x.dim() != expected_dim:
            kind = "(N, L) token ids" if expected_dim == 2 else "(N, L, H_in) features"
            raise ValueError(f"x must be {kind}, got shape {tuple(x.shape)}.")
        if self.embedding is None and x.shape[2] != self.input_size:
            raise ValueError(
                f"x has {x.shape[2]} features per step; the encoder was built "
                f"with input_size={self.input_size}."
            )
        N, L = x.shape[:2]
        lengths = check_lengths(lengths, N, L, x.device)
        steps = torch.arange(L, device=x.device)
        mask = steps < lengths.unsqueeze(1)
        # Zero the padding first: even though padding never reaches a real
        # step, inf or NaN there would turn into NaN gradients through the
        # recurrence's Jacobian (0 * inf).
        if self.embedding is not None:
            x = self.embedding(x.masked_fill(~mask, 0))
        else:
            x = x.masked_fill(~mask.unsqueeze(-1), 0)
        if self.bidirectional:
            # Reverses each sequence within its own length and leaves the
            # padding in place; it is its own inverse.
            reverse = torch.where(mask, lengths.unsqueeze(1) - 1 - steps, steps)
        num_directions = 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            k = layer * num_directions
            outputs = [self._run(self.rnns[k], x, lengths)]
            if self.bidirectional:
                backward = self._run(
                    self.rnns[k + 1], _gather_steps(x, reverse), lengths
                )
                outputs.append(_gather_steps(backward, reverse))
            x = outputs[0] if num_directions == 1 else torch.cat(outputs, -1)
            x = self.drop(x)
        output = x.masked_fill(~mask.unsqueeze(-1), 0)
        last = (lengths - 1).view(N, 1, 1).expand(N, 1, self.output_size)
        summary = output.gather(1, last).squeeze(1)
        if self.bidirectional:
            summary = torch.cat(
                [summary[:, : self.hidden_size], output[:, 0, self.hidden_size :]], -1
            )
        return output, summary
