"""A recurrent language model that takes and returns its hidden state."""

import torch.nn.functional as F
from torch import Tensor, nn

from seqlearn.nn._validation import check_positive_int, check_recurrent
from seqlearn.nn.encoder import CELLS, make_rnn

__all__ = ["RecurrentLanguageModel", "detach_state"]


def detach_state(hx):
    """Cut a hidden state (a tensor or a tuple of tensors) from the graph.

    Truncated backpropagation through time carries the values of the state to
    the next batch but not the gradient path back through earlier batches.

    Parameters
    ----------
    hx : Tensor, tuple of Tensor or None
        ``h_n`` of a GRU/RNN or ``(h_n, c_n)`` of an LSTM.

    Returns
    -------
    hx : Tensor, tuple of Tensor or None
        The same values, detached.

    Examples
    --------
    >>> import torch
    >>> h = torch.ones(1, 2, 3, requires_grad=True) * 2
    >>> detach_state((h, h))[0].requires_grad
    False
    """
    if hx is None:
        return None
    if isinstance(hx, tuple):
        return tuple(h.detach() for h in hx)
    return hx.detach()


class RecurrentLanguageModel(nn.Module):
    r"""Next-token logits from a stacked recurrent network, state in and out.

    Reads token ids (one-hot encoded, or embedded when ``embedding_dim`` is
    set) and returns, at every step, the logits of the next token together
    with the final hidden state, so a caller can feed that state back in:
    stateful truncated backpropagation through time, or generation one token
    at a time.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru", "peephole"}
        Recurrent cell: :class:`torch.nn.RNN` (tanh), :class:`torch.nn.LSTM`,
        :class:`torch.nn.GRU` or :class:`~seqlearn.nn.PeepholeLSTM`.
    num_embeddings : int
        Vocabulary size ``V``: ids lie in ``[0, V)`` and there are ``V`` logits.
    hidden_size : int
        Number of features ``H_out`` of the hidden state.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    dropout : float, default=0.0
        Dropout between stacked layers and before the output layer.
    embedding_dim : int, default=None
        None feeds one-hot vectors of size ``V``; an int learns an
        ``nn.Embedding(V, embedding_dim)`` instead.

    Attributes
    ----------
    embedding : torch.nn.Embedding or None
        The token embedding, if ``embedding_dim`` was given.
    rnn : torch.nn.Module
        The multi-layer, batch-first recurrent module.
    head : torch.nn.Linear
        ``H_out -> V``.

    Notes
    -----
    Shapes: ``x`` ``(N, L)`` int64; ``hx`` and the returned state as the
    underlying module has them (``(num_layers, N, H_out)``, a pair of them for
    the LSTM cells); ``logits`` ``(N, L, V)``.

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn import RecurrentLanguageModel
    >>> lm = RecurrentLanguageModel("lstm", num_embeddings=10, hidden_size=8)
    >>> logits, state = lm(torch.randint(10, (2, 5)))
    >>> logits.shape, state[0].shape
    (torch.Size([2, 5, 10]), torch.Size([1, 2, 8]))
    >>> logits, state = lm(torch.randint(10, (2, 1)), state)  # carry on
    """

    def __init__(
        self,
        cell: str,
        num_embeddings: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        embedding_dim: int | None = None,
    ) -> None:
        super().__init__()
        hidden_size, num_layers, dropout = check_recurrent(
            hidden_size, num_layers, dropout, cell, CELLS
        )
        num_embeddings = check_positive_int(num_embeddings, "num_embeddings")
        if embedding_dim is None:
            self.embedding = None
            input_size = num_embeddings
        else:
            embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
            self.embedding = nn.Embedding(num_embeddings, embedding_dim)
            input_size = embedding_dim
        self.cell = cell
        self.num_embeddings = num_embeddings
        self.rnn = make_rnn(cell, input_size, hidden_size, num_layers, dropout)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, num_embeddings)

    def forward(
        self, x: Tensor, hx: Tensor | tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor | tuple[Tensor, Tensor]]:
        """Return the next-token logits at every step and the final state.

        Parameters
        ----------
        x : Tensor of shape (N, L) int64
            Token ids.
        hx : Tensor or tuple of Tensor, default=None
            State to start from (as returned by a previous call); zeros if
            None.

        Returns
        -------
        logits : Tensor of shape (N, L, V)
            Unnormalised scores of the token following each step.
        hx : Tensor or tuple of Tensor
            State after the last step.
        """
        if self.embedding is None:
            inputs = F.one_hot(x, self.num_embeddings).to(self.head.weight.dtype)
        else:
            inputs = self.embedding(x)
        output, hx = self.rnn(inputs, hx)
        return self.head(self.drop(output)), hx
