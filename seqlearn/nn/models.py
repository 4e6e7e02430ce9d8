"""The networks behind the estimators: an encoder plus an output head."""

import inspect
from typing import Any

from torch import Tensor, nn

from seqlearn.nn._validation import check_positive_int
from seqlearn.nn.conv import ConvFrontEnd
from seqlearn.nn.encoder import RecurrentEncoder
from seqlearn.nn.pooling import Pooling

__all__ = ["SequenceModel", "TaggingModel"]

_ENCODER_ARGS = tuple(inspect.signature(RecurrentEncoder).parameters)


def encoder_args(arguments: dict) -> dict:
    """Pick the arguments of :class:`RecurrentEncoder` from a mapping.

    Called with a model constructor's ``locals()``, so that every model passes
    its encoder arguments on by name without listing them again.
    """
    return {name: arguments[name] for name in _ENCODER_ARGS if name in arguments}


class EncoderHead(nn.Module):
    """Base of the models that end in an encoder, a pooling and a linear layer.

    Subclasses call :meth:`_add_encoder_head` in ``__init__`` and
    :meth:`_encode_and_score` in ``forward``; the submodules are ``encoder``,
    ``pooling`` (None without pooling) and ``head``.
    """

    def _add_encoder_head(
        self, encoder: RecurrentEncoder, n_outputs: int, pooling: str | None
    ) -> None:
        self.encoder = encoder
        self.pooling = (
            None if pooling is None else Pooling(pooling, encoder.output_size)
        )
        self.head = nn.Linear(encoder.output_size, n_outputs)

    def _encode_and_score(self, x: Tensor, lengths: Tensor) -> Tensor:
        output, summary = self.encoder(x, lengths)
        if self.pooling is None:
            return self.head(output)
        return self.head(self.pooling(output, summary, lengths))


class SequenceModel(EncoderHead):
    """Encoder, pooling, then a linear layer: one output vector per sequence.

    Used by the classifier (logits) and the regressor (values); with
    ``pooling=None`` the linear layer scores every step instead (the tagger).

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru", "peephole"}
        Recurrent cell of the :class:`~seqlearn.nn.RecurrentEncoder`.
    input_size : int or None
        Number of input features ``H_in``; ignored with ``embedding_dim``.
    hidden_size : int
        Hidden features ``H_out`` per direction.
    n_outputs : int
        Number of outputs per sequence (classes or regression targets).
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Whether to add a backward direction.
    dropout : float, default=0.0
        Dropout between stacked layers and on the encoder output.
    pooling : {"last", "mean", "max", "attention"} or None, default="last"
        How the per-step outputs become one vector, see
        :class:`~seqlearn.nn.Pooling`; None keeps one output per step.
    num_embeddings : int, default=None
        Vocabulary size for token-id input (id 0 is padding).
    embedding_dim : int, default=None
        If given, ``x`` holds token ids embedded to this size.
    conv_channels : tuple of int or None, default=None
        Numeric input only: a :class:`~seqlearn.nn.conv.ConvFrontEnd` with
        these channels runs before the recurrent layers (as in LSTM-FCN and
        DeepConvLSTM); None reads the input directly.
    conv_kernel_size : int, default=5
        Kernel width of the front-end's convolutions.
    conv_stride : int, default=1
        Stride of each convolution: the recurrent layers read a sequence
        ``conv_stride ** len(conv_channels)`` times shorter.  Per-step output
        (no pooling) needs 1.

    Attributes
    ----------
    front : ConvFrontEnd or None
    encoder : RecurrentEncoder
    pooling : Pooling or None
    head : torch.nn.Linear
        ``D * H_out -> n_outputs``.

    Notes
    -----
    ``forward(x, lengths)`` takes ``x`` ``(N, L, H_in)`` (or ``(N, L)`` ids)
    and ``lengths`` ``(N,)``, also as keywords, and returns ``(N, n_outputs)``
    (``(N, L, n_outputs)`` without pooling).

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn import SequenceModel
    >>> model = SequenceModel("lstm", 3, 8, n_outputs=2, pooling="max")
    >>> model(x=torch.randn(4, 6, 3), lengths=torch.tensor([6, 5, 2, 1])).shape
    torch.Size([4, 2])
    """

    def __init__(
        self,
        cell: str,
        input_size: int | None,
        hidden_size: int,
        n_outputs: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        pooling: str | None = "last",
        num_embeddings: int | None = None,
        embedding_dim: int | None = None,
        conv_channels: tuple[int, ...] | None = None,
        conv_kernel_size: int = 5,
        conv_stride: int = 1,
    ) -> None:
        super().__init__()
        n_outputs = check_positive_int(n_outputs, "n_outputs")
        self.front = None
        if conv_channels:
            if embedding_dim is not None:
                raise ValueError(
                    "conv_channels needs numeric input; token ids (embedding_dim) "
                    "go straight to the recurrent layers."
                )
            if pooling is None and conv_stride != 1:
                raise ValueError(
                    f"per-step output needs conv_stride=1, got {conv_stride}: a "
                    "stride would drop steps."
                )
            self.front = ConvFrontEnd(
                input_size, conv_channels, conv_kernel_size, conv_stride
            )
            input_size = self.front.output_size
        # cell, input_size, hidden_size, num_layers, bidirectional, dropout,
        # num_embeddings and embedding_dim, by name
        encoder = RecurrentEncoder(**encoder_args(locals()))
        self._add_encoder_head(encoder, n_outputs, pooling)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        """Return the outputs for a padded batch.

        Parameters
        ----------
        x : Tensor of shape (N, L, H_in), or (N, L) int64 with embeddings
            Padded batch.
        lengths : Tensor of shape (N,)
            Number of real steps of every sequence.

        Returns
        -------
        Tensor of shape (N, n_outputs), or (N, L, n_outputs) without pooling
            Scores (logits or values) of every sequence, or of every step.
        """
        if self.front is not None:
            x, lengths = self.front(x, lengths)
        return self._encode_and_score(x, lengths)


class TaggingModel(SequenceModel):
    """One output vector per step: a :class:`SequenceModel` without pooling.

    Used by the sequence tagger (per-step logits).  Padded steps hold the
    head's bias only: mask them out of the loss.

    Parameters
    ----------
    *args : tuple
        Positional parameters of :class:`SequenceModel`: ``cell``,
        ``input_size``, ``hidden_size``, ``n_outputs``, ...
    **kwargs : dict
        Keyword parameters of :class:`SequenceModel`, except ``pooling``.

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn import TaggingModel
    >>> model = TaggingModel("gru", None, 8, n_outputs=5, bidirectional=True,
    ...                      num_embeddings=20, embedding_dim=4)
    >>> ids = torch.tensor([[3, 7, 2], [5, 1, 0]])
    >>> model(x=ids, lengths=torch.tensor([3, 2])).shape
    torch.Size([2, 3, 5])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, pooling=None, **kwargs)
