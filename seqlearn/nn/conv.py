"""Temporal convolutions for ragged batches: a front-end and an FCN branch.

Both modules take a batch-first padded ``x`` of shape ``(N, L, H_in)`` and the
real ``lengths``; padding never reaches a real output.  Before every
convolution the padded steps are set to zero, so a sequence sees the same zero
border whether it is alone or padded inside a batch; normalisation statistics
are computed over real steps only and per sequence (no batch statistics), so a
batched ragged forward equals one sequence at a time.
"""

import torch
from torch import nn
from torch.nn import functional as F

from seqlearn._docstrings import fill_doc
from seqlearn.nn._validation import check_dropout, check_positive_int
from seqlearn.nn.encoder import check_lengths

__all__ = ["ConvFrontEnd", "FCNBranch", "conv_output_lengths"]

# The Parameters section of the front-ends' ``forward`` (see fill_doc).
_FORWARD_PARAMETERS_DOC = """\
Parameters
----------
x : Tensor of shape (N, L, H_in)
    Padded batch; values at padded positions are ignored.
lengths : Tensor of shape (N,)
    Real steps of every sequence, each in ``[1, L]``.
"""


def conv_output_lengths(lengths, stride):
    """Return the real lengths after a "same"-padded convolution of ``stride``.

    Parameters
    ----------
    lengths : Tensor of shape (N,)
        Real lengths before the convolution.
    stride : int
        Step of the convolution.

    Returns
    -------
    Tensor of shape (N,)
        ``ceil(lengths / stride)``: every real input step is covered, no
        output step reads only padding.
    """
    return torch.div(lengths + stride - 1, stride, rounding_mode="floor")


def _step_mask(lengths, L, device):
    return torch.arange(L, device=device) < lengths.to(device).unsqueeze(1)


def _check_int_tuple(value, name):
    values = tuple(value) if isinstance(value, list | tuple) else (value,)
    if not values:
        raise ValueError(f"{name} must not be empty.")
    return tuple(check_positive_int(v, name) for v in values)


class MaskedGroupNorm(nn.Module):
    """Group normalisation whose statistics use only the real steps.

    Each sequence is normalised on its own (mean and variance over the
    channels of a group and the real steps), so neither the padding nor the
    other sequences of the batch change a result, and training and inference
    behave the same.

    Parameters
    ----------
    num_channels : int
        Channels ``C`` of the input.
    num_groups : int, default=1
        Channel groups; must divide ``num_channels`` (clipped to it).
    eps : float, default=1e-5
        Added to the variance.
    """

    def __init__(self, num_channels: int, num_groups: int = 1, eps: float = 1e-5):
        super().__init__()
        num_channels = check_positive_int(num_channels, "num_channels")
        num_groups = check_positive_int(num_groups, "num_groups")
        num_groups = min(num_groups, num_channels)
        if num_channels % num_groups:
            raise ValueError(
                f"num_groups={num_groups} must divide num_channels={num_channels}."
            )
        self.num_groups, self.eps = num_groups, eps
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels))

    def forward(self, x, mask):
        """Normalise ``x`` ``(N, C, L)`` over the steps where ``mask`` ``(N, L)``."""
        N, C, L = x.shape
        g = x.view(N, self.num_groups, C // self.num_groups, L)
        m = mask.view(N, 1, 1, L).to(x.dtype)
        count = m.sum((2, 3), keepdim=True) * (C // self.num_groups)
        mean = (g * m).sum((2, 3), keepdim=True) / count
        var = (((g - mean) * m) ** 2).sum((2, 3), keepdim=True) / count
        g = (g - mean) * torch.rsqrt(var + self.eps)
        return g.view(N, C, L) * self.weight.view(1, C, 1) + self.bias.view(1, C, 1)


class _ConvStack(nn.Module):
    """Conv1d -> masked GroupNorm -> ReLU (-> dropout) blocks on ragged input."""

    def __init__(self, input_size, channels, kernel_sizes, strides, dropout):
        super().__init__()
        input_size = check_positive_int(input_size, "input_size")
        channels = _check_int_tuple(channels, "channels")
        kernel_sizes = _check_int_tuple(kernel_sizes, "kernel_size")
        strides = _check_int_tuple(strides, "stride")
        n = len(channels)
        if len(kernel_sizes) == 1:
            kernel_sizes *= n
        if len(strides) == 1:
            strides *= n
        if len(kernel_sizes) != n or len(strides) != n:
            raise ValueError(
                "kernel_size and stride must be one int or one per layer "
                f"({n} layers), got {kernel_sizes} and {strides}."
            )
        self.input_size = input_size
        self.kernel_sizes, self.strides = kernel_sizes, strides
        self.dropout = check_dropout(dropout)
        sizes = (input_size, *channels)
        self.convs = nn.ModuleList(
            nn.Conv1d(sizes[i], sizes[i + 1], kernel_sizes[i], stride=strides[i])
            for i in range(n)
        )
        self.norms = nn.ModuleList(MaskedGroupNorm(c) for c in channels)
        self.drop = nn.Dropout(dropout)
        self.output_size = channels[-1]

    def forward(self, x, lengths):
        """Return ``(N, C_out, L_out)`` features (zero beyond) and ``out_lengths``."""
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(
                f"x must be (N, L, {self.input_size}), got shape {tuple(x.shape)}."
            )
        N, L = x.shape[:2]
        lengths = check_lengths(lengths, N, L, x.device)
        mask = _step_mask(lengths, L, x.device)
        # zero the padding (also NaN/inf there): a shorter sequence then sees
        # the same zero border as when it is alone
        x = x.masked_fill(~mask.unsqueeze(-1), 0).transpose(1, 2)
        for conv, norm, k, s in zip(
            self.convs, self.norms, self.kernel_sizes, self.strides, strict=True
        ):
            left = (k - 1) // 2
            x = conv(F.pad(x, (left, k - 1 - left)))
            lengths = conv_output_lengths(lengths, s)
            mask = _step_mask(lengths, x.shape[-1], x.device)
            x = self.drop(F.relu(norm(x, mask)))
            x = x.masked_fill(~mask.unsqueeze(1), 0)
        return x, lengths


class ConvFrontEnd(nn.Module):
    """Temporal convolutions that summarise (and with a stride, shorten) a series.

    Meant to sit before a :class:`~seqlearn.nn.RecurrentEncoder`: each layer is
    ``Conv1d`` ("same" padding; ``ceil(L / stride)`` output steps), a
    :class:`MaskedGroupNorm` over real steps, ReLU and dropout.

    Parameters
    ----------
    input_size : int
        Features per step ``H_in``.
    channels : tuple of int, default=(64, 64)
        Output channels of each layer; its length is the number of layers.
    kernel_size : int or tuple of int, default=5
        Width of the kernels, one for all layers or one per layer.
    stride : int or tuple of int, default=1
        Step of each layer (one for all or one per layer); the sequence is
        shortened by the product of the strides.
    dropout : float, default=0.0
        Dropout after each layer.

    Attributes
    ----------
    output_size : int
        Features per output step, ``channels[-1]``.

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn.conv import ConvFrontEnd
    >>> front = ConvFrontEnd(3, channels=(8, 8), stride=2)
    >>> y, out_lengths = front(torch.randn(2, 10, 3), torch.tensor([10, 5]))
    >>> tuple(y.shape), out_lengths.tolist()
    ((2, 3, 8), [3, 2])
    """

    def __init__(
        self,
        input_size: int,
        channels=(64, 64),
        kernel_size=5,
        stride=1,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.stack = _ConvStack(input_size, channels, kernel_size, stride, dropout)
        self.output_size = self.stack.output_size

    @fill_doc(parameters=_FORWARD_PARAMETERS_DOC)
    def forward(self, x, lengths):
        """Convolve a padded batch.

        {parameters}

        Returns
        -------
        y : Tensor of shape (N, L_out, channels[-1])
            Features, zero beyond each ``out_lengths``.
        out_lengths : Tensor of shape (N,)
            Real output steps, ``ceil(lengths / prod(stride))`` layer by layer.
        """
        y, out_lengths = self.stack(x, lengths)
        return y.transpose(1, 2), out_lengths


class FCNBranch(nn.Module):
    """Fully convolutional branch with global average pooling (as in LSTM-FCN).

    Parameters
    ----------
    input_size : int
        Features per step ``H_in``.
    channels : tuple of int, default=(128, 256, 128)
        Output channels of each convolution block.
    kernel_sizes : tuple of int, default=(8, 5, 3)
        Kernel width of each block (stride 1, "same" padding).
    dropout : float, default=0.0
        Dropout after each block.

    Attributes
    ----------
    output_size : int
        Width of the pooled vector, ``channels[-1]``.

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn.conv import FCNBranch
    >>> fcn = FCNBranch(2, channels=(8, 16, 8))
    >>> fcn(torch.randn(3, 12, 2), torch.tensor([12, 7, 1])).shape
    torch.Size([3, 8])
    """

    def __init__(
        self,
        input_size: int,
        channels=(128, 256, 128),
        kernel_sizes=(8, 5, 3),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.stack = _ConvStack(input_size, channels, kernel_sizes, 1, dropout)
        self.output_size = self.stack.output_size

    @fill_doc(parameters=_FORWARD_PARAMETERS_DOC)
    def forward(self, x, lengths):
        """Return the mean over real steps of the last block, ``(N, channels[-1])``.

        {parameters}
        """
        y, lengths = self.stack(x, lengths)
        # padded steps are zero: the sum over all steps is the sum over real ones
        return y.sum(-1) / lengths.unsqueeze(1).to(y.dtype)
