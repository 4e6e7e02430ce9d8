"""Encoder-decoder network for multi-step forecasting."""

import torch
from torch import Tensor, nn

from seqlearn.nn._validation import check_positive_int
from seqlearn.nn.encoder import RecurrentEncoder
from seqlearn.nn.models import encoder_args

__all__ = ["Seq2SeqModel"]


class Seq2SeqModel(nn.Module):
    """Encoder-decoder: the encoder reads a window, the decoder unrolls a horizon.

    The encoder's summary of the window is repeated at each of the ``horizon``
    decoder steps, next to a one-hot code of the step, and a second recurrent
    network turns that sequence into one output vector per future step (the
    "RepeatVector" encoder-decoder of Keras forecasting tutorials).  The decoder
    does not feed its own predictions back, so it runs as one recurrent call
    over the horizon (no Python loop over steps) and errors do not compound
    through its inputs.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru", "peephole"}
        Recurrent cell of both the encoder and the decoder.
    input_size : int or None
        Number of input features ``H_in``; ignored with ``embedding_dim``.
    hidden_size : int
        Hidden features ``H_out`` per direction (encoder) and of the decoder.
    n_outputs : int
        Total outputs per sequence, ``horizon * n_targets``.
    horizon : int
        Number of decoder steps.
    num_layers : int, default=1
        Stacked recurrent layers of the encoder and of the decoder.
    bidirectional : bool, default=False
        Whether the encoder also reads the window backwards.
    dropout : float, default=0.0
        Dropout between stacked layers and on recurrent outputs.
    num_embeddings : int, default=None
        Vocabulary size for token-id input (id 0 is padding).
    embedding_dim : int, default=None
        If given, ``x`` holds token ids, embedded to this size before the
        encoder (the decoder reads no tokens).

    Attributes
    ----------
    encoder : RecurrentEncoder
        Reads the window.
    decoder : RecurrentEncoder
        Unidirectional, reads ``horizon`` steps of ``D * H_out + horizon``
        features.
    head : torch.nn.Linear
        ``H_out -> n_outputs // horizon``, applied at every decoder step.

    Notes
    -----
    ``forward(x, lengths)`` returns ``(N, n_outputs)``, step-major: output
    ``j * n_targets + k`` is target ``k`` at future step ``j``, so it reshapes
    to ``(N, horizon, n_targets)``.

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn import Seq2SeqModel
    >>> model = Seq2SeqModel("lstm", 1, 8, n_outputs=6, horizon=3)
    >>> model(x=torch.randn(4, 10, 1), lengths=torch.full((4,), 10)).shape
    torch.Size([4, 6])
    """

    def __init__(
        self,
        cell: str,
        input_size: int | None,
        hidden_size: int,
        n_outputs: int,
        horizon: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        num_embeddings: int | None = None,
        embedding_dim: int | None = None,
    ) -> None:
        super().__init__()
        n_outputs = check_positive_int(n_outputs, "n_outputs")
        horizon = check_positive_int(horizon, "horizon")
        if n_outputs % horizon:
            raise ValueError(
                f"n_outputs ({n_outputs}) must be a multiple of horizon ({horizon})."
            )
        self.horizon = horizon
        # cell, input_size, hidden_size, num_layers, bidirectional, dropout,
        # num_embeddings and embedding_dim, by name
        self.encoder = RecurrentEncoder(**encoder_args(locals()))
        self.decoder = RecurrentEncoder(
            cell,
            self.encoder.output_size + horizon,
            hidden_size,
            num_layers=num_layers,
            dropout=dropout,
        )
        self.head = nn.Linear(hidden_size, n_outputs // horizon)
        self.register_buffer("steps", torch.eye(horizon), persistent=False)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        """Return ``(N, n_outputs)`` forecasts for a padded batch of windows.

        Parameters
        ----------
        x : Tensor of shape (N, L, H_in), or (N, L) int64 with embeddings
            Padded batch of input windows.
        lengths : Tensor of shape (N,)
            Number of real steps of every window.

        Returns
        -------
        Tensor of shape (N, n_outputs)
            Forecasts, step-major: ``j * n_targets + k`` is target ``k`` at
            future step ``j``.
        """
        _, summary = self.encoder(x, lengths)
        n = summary.shape[0]
        context = summary.unsqueeze(1).expand(n, self.horizon, summary.shape[1])
        steps = self.steps.to(summary.dtype).expand(n, -1, -1)
        decoder_in = torch.cat([context, steps], dim=-1)
        full = torch.full((n,), self.horizon, dtype=torch.int64)
        output, _ = self.decoder(decoder_in, full)
        return self.head(output).reshape(n, -1)
