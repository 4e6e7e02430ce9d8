"""LSTM with diagonal peephole connections (Gers, Schraudolph & Schmidhuber, 2002)."""

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.nn.utils.rnn import PackedSequence

from seqlearn.nn._validation import check_positive_int, check_recurrent

__all__ = ["PeepholeLSTM"]


class _PeepholeLayer(torch.autograd.Function):
    """One layer, one direction of a peephole LSTM, with a hand-written backward.

    Autograd would record about ten small ops per time step and replay them one
    by one. Here the forward pass turns the saved gate activations into the
    local derivatives of every step with a dozen ops over the whole sequence,
    the backward loop needs five small ops per step, and all weight gradients
    are single matmuls over all steps after the loop.

    Tensors are time-major; gates are ordered i, f, g, o as in ``nn.LSTM``.
    The states live in buffers of length ``L + 1`` holding the initial state
    in the slot the recurrence starts from, so "previous state" and "new
    state" of every step are plain slices, never copies.
    """

    @staticmethod
    def forward(ctx, x, weight_ih, bias, weight_hh, weight_ch, h0, c0, reverse, save):
        L, N, _ = x.shape
        H = weight_hh.shape[1]
        # tanh(z) = 2 sigmoid(2 z) - 1, and torch's CPU sigmoid is several times
        # faster than its tanh: doubling the g rows of the weights lets one
        # sigmoid cover the i, f and g gates.
        scale = x.new_ones(4, 1, 1)
        scale[2] = 2.0
        w_ih = (weight_ih.view(4, H, -1) * scale).view(4 * H, -1)
        w_hh_t = (weight_hh.view(4, H, H) * scale).view(4 * H, H).t()
        # One matmul projects the input of every step; the loop then adds the
        # recurrent term in place, so this buffer becomes the gates.
        x2d = x.reshape(L * N, -1)
        if bias is None:
            gates = x2d.mm(w_ih.t())
        else:
            gates = torch.addmm((bias.view(4, H) * scale[:, 0]).view(-1), x2d, w_ih.t())
        gates = gates.view(L, N, 4 * H)
        save = save and any(ctx.needs_input_grad)
        cs = x.new_empty(L + 1, N, H)
        hs = x.new_empty(L + 1, N, H)
        first, prev_of, new_of = (L, 1, 0) if reverse else (0, 0, 1)
        cs[first] = c0
        hs[first] = h0
        w_if = weight_ch[: 2 * H].view(2, H)
        w_i, w_f, w_o = weight_ch.view(3, H).unbind(0)
        # Per-step views are made up front by unbind: indexing inside the
        # loop would cost about as much as the arithmetic.
        gates4 = gates.view(L, N, 4, H)
        rows = gates.unbind(0)
        peeking = gates4[:, :, :2].unbind(0)
        sigmoids = gates[:, :, : 3 * H].unbind(0)
        i_, f_, g_, o_ = (gate.unbind(0) for gate in gates4.unbind(2))
        c_, h_ = cs.unbind(0), hs.unbind(0)
        c_bcast = cs.unsqueeze(2).unbind(0)
        if save:
            extra = x.new_empty(L, N, 2, H)
            a_, d_ = (e.unbind(0) for e in extra.unbind(2))
        # Constant operands: a Python float operand is wrapped into a new tensor
        # on every call, which inside the loop costs as much as the arithmetic.
        ones = x.new_ones(N, H)
        minus_ones = -ones
        tc = x.new_empty(N, H)
        steps = range(L - 1, -1, -1) if reverse else range(L)
        for t in steps:
            p, n = t + prev_of, t + new_of
            i, f, g, o = i_[t], f_[t], g_[t], o_[t]
            rows[t].addmm_(h_[p], w_hh_t)
            # i and f peek at the previous cell state, o at the new one.
            peeking[t].addcmul_(c_bcast[p], w_if)
            sigmoids[t].sigmoid_()
            torch.addcmul(minus_ones, g, ones, value=2.0, out=g)
            c = torch.mul(f, c_[p], out=c_[n]).addcmul_(i, g)
            o.addcmul_(c, w_o).sigmoid_()
            torch.add(c, c, out=tc).sigmoid_()
            torch.addcmul(minus_ones, tc, ones, value=2.0, out=tc)
            torch.mul(tc, o, out=h_[n])
            if save:
                _local_derivatives(i, f, g, o, tc, c_[p], a_[t], d_[t], w_i, w_f, w_o)
        if reverse:
            out = hs[:L]
        else:
            out = hs[1:]
        h_n, c_n = hs[L - first].clone(), cs[L - first].clone()
        if save:
            ctx.save_for_backward(x, weight_ih, weight_hh, gates4, extra, cs, hs)
            ctx.reverse = reverse
        return out, h_n, c_n

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_out, d_hn, d_cn):
        x, weight_ih, weight_hh, factors, extra, cs, hs = ctx.saved_tensors
        reverse = ctx.reverse
        L, N, _ = x.shape
        H = weight_hh.shape[1]
        d_c_dh, d_cprev_dc = extra.unbind(2)
        d_gates = torch.empty_like(factors)
        d_gates_flat = d_gates.view(L, N, 4 * H)
        f_ifg, f_o = factors[:, :, :3].unbind(0), factors[:, :, 3].unbind(0)
        d_rows = d_gates_flat.unbind(0)
        d_ifg = d_gates[:, :, :3].unbind(0)
        d_o = d_gates[:, :, 3].unbind(0)
        d_out_, d_c_dh_, d_cprev_dc_ = (
            d_out.unbind(0),
            d_c_dh.unbind(0),
            d_cprev_dc.unbind(0),
        )
        steps = range(L) if reverse else range(L - 1, -1, -1)
        dh, dc, later = d_hn, d_cn, None
        for t in steps:
            if later is None:
                dh = d_out_[t] + dh
            else:
                dh = torch.addmm(d_out_[t], d_rows[later], weight_hh)
            dc = torch.addcmul(dc, dh, d_c_dh_[t])
            torch.mul(f_ifg[t], dc.unsqueeze(1), out=d_ifg[t])
            torch.mul(f_o[t], dh, out=d_o[t])
            dc = dc * d_cprev_dc_[t]
            later = t
        if reverse:
            h_prev, c_prev, c_new = hs[1:], cs[1:], cs[:L]
        else:
            h_prev, c_prev, c_new = hs[:L], cs[:L], cs[1:]
        needs = ctx.needs_input_grad
        grads = [None] * 9
        d2d = d_gates_flat.view(L * N, 4 * H)
        if needs[0]:
            grads[0] = d2d.mm(weight_ih).view(L, N, -1)
        if needs[1]:
            grads[1] = d2d.t().mm(x.reshape(L * N, -1))
        if needs[2]:
            grads[2] = d2d.sum(0)
        if needs[3]:
            grads[3] = d2d.t().mm(h_prev.reshape(L * N, H))
        if needs[5]:
            grads[5] = d_gates_flat[later].mm(weight_hh)
        if needs[6]:
            grads[6] = dc
        if needs[4]:
            # Last, because it overwrites the gate gradients with the products
            # it reduces instead of allocating them.
            d_if = d_gates[:, :, :2].mul_(c_prev.unsqueeze(2)).sum((0, 1))
            d_wo = d_gates[:, :, 3].mul_(c_new).sum((0, 1))
            grads[4] = torch.cat([d_if.view(-1), d_wo])
        return tuple(grads)


def _local_derivatives(i, f, g, o, tc, c_prev, a, d, w_i, w_f, w_o):
    """Turn one step's activations into the derivatives the backward needs.

    Runs right after the step, while its values are still in cache, and
    overwrites the gate activations in place: on return ``i, f, g, o`` hold
    ``di/dc, df/dc, dg/dc`` (pre-activation gradients per unit of ``dc_t``)
    and ``do/dh`` (per unit of ``dh_t``); ``a`` holds ``dc_t/dh_t`` and ``d``
    holds ``dc_{t-1}/dc_t``, both through the peephole paths.
    """
    # dc_t/dh_t = o (1 - tanh^2 c_t) + w_co tanh(c_t) o (1 - o).
    torch.mul(tc, tc, out=a)
    torch.addcmul(o, o, a, value=-1, out=a)
    torch.addcmul(o, o, o, value=-1, out=o)
    o.mul_(tc)
    a.addcmul_(o, w_o)
    # i and g each need the other's original value: go through p = g * i.
    p = torch.mul(g, i, out=d)
    torch.addcmul(i, p, g, value=-1, out=g)  # i (1 - g^2)
    torch.addcmul(p, p, i, value=-1, out=i)  # g i (1 - i)
    # dc_{t-1}/dc_t = f + w_cf c_{t-1} f (1 - f) + w_ci g i (1 - i).
    torch.addcmul(f, i, w_i, out=d)
    torch.addcmul(f, f, f, value=-1, out=f)
    f.mul_(c_prev)
    d.addcmul_(f, w_f)


class PeepholeLSTM(nn.Module):
    r"""Multi-layer LSTM with diagonal peephole connections.

    A near drop-in for :class:`torch.nn.LSTM` (same arguments, parameter names,
    gate order, shapes and initialisation) whose gates also see the cell state
    (Gers, Schraudolph & Schmidhuber, 2002):

    .. math::

        i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}
               + w_{ci} \odot c_{t-1}) \\
        f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}
               + w_{cf} \odot c_{t-1}) \\
        g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}
               + w_{co} \odot c_t) \\
        h_t &= o_t \odot \tanh(c_t)

    With the peephole weights at zero it computes what ``nn.LSTM`` computes
    with the same weights (to rounding). The recurrence runs in a Python loop
    over time with a hand-written backward pass (first derivatives only: no
    double backward); packed sequences are not supported. On one CPU thread a
    training step takes about 1.5 times as long as ``nn.LSTM``'s fused kernel.

    Where it differs from ``nn.LSTM``: no ``proj_size`` and no
    ``PackedSequence``; the extra ``weight_ch_l{k}`` parameters mean that an
    ``nn.LSTM`` state dict loads with ``strict=False`` (the peepholes stay
    zero); under autocast it runs, and returns, float32; first derivatives
    only.  ``flatten_parameters()`` exists and does nothing, so code written
    for ``nn.LSTM`` (e.g. under ``DataParallel``) runs unchanged.

    Parameters
    ----------
    input_size : int
        Number of features ``H_in`` of the input.
    hidden_size : int
        Number of features ``H_out`` of the hidden and cell states.
    num_layers : int, default=1
        Number of stacked layers.
    bias : bool, default=True
        Whether to use the biases ``b_ih`` and ``b_hh``.
    batch_first : bool, default=False
        If True, input and output are ``(N, L, ...)`` instead of ``(L, N, ...)``.
    dropout : float, default=0.0
        Dropout probability on the outputs of every layer but the last.
    bidirectional : bool, default=False
        Whether to add a layer reading the sequence backwards.

    Attributes
    ----------
    weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} : Tensor
        As in :class:`torch.nn.LSTM` (suffix ``_reverse`` for the backward
        direction), initialised from :math:`\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})`.
    weight_ch_l{k} : Tensor of shape (3 * hidden_size,)
        Diagonal peephole weights ``(w_ci, w_cf, w_co)``. They are initialised to
        zero, so a fresh module starts as a plain LSTM and learns how much to
        peek at its cell state.

    Notes
    -----
    Shapes, with ``D = 2 if bidirectional else 1``:

    - input: ``(L, N, H_in)``, ``(N, L, H_in)`` if ``batch_first``, or
      ``(L, H_in)`` unbatched;
    - ``hx``: optional ``(h_0, c_0)``, each ``(D * num_layers, N, H_out)``
      (``(D * num_layers, H_out)`` unbatched), zeros by default;
    - output: ``(L, N, D * H_out)`` (batch first if ``batch_first``);
    - ``h_n``, ``c_n``: ``(D * num_layers, N, H_out)``.

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn import PeepholeLSTM
    >>> lstm = PeepholeLSTM(3, 5, num_layers=2, batch_first=True)
    >>> output, (h_n, c_n) = lstm(torch.randn(4, 7, 3))
    >>> output.shape, h_n.shape
    (torch.Size([4, 7, 5]), torch.Size([2, 4, 5]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        input_size = check_positive_int(input_size, "input_size")
        hidden_size, num_layers, self.dropout = check_recurrent(
            hidden_size, num_layers, dropout
        )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.bidirectional = bidirectional
        num_directions = 2 if bidirectional else 1
        gate_size = 4 * hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                self._register(f"weight_ih{suffix}", gate_size, layer_input)
                self._register(f"weight_hh{suffix}", gate_size, hidden_size)
                if bias:
                    self._register(f"bias_ih{suffix}", gate_size)
                    self._register(f"bias_hh{suffix}", gate_size)
                self._register(f"weight_ch{suffix}", 3 * hidden_size)
        self.reset_parameters()

    def _register(self, name, *shape):
        self.register_parameter(name, nn.Parameter(torch.empty(*shape)))

    def reset_parameters(self) -> None:
        """Initialise weights as ``nn.LSTM`` does and the peepholes to zero."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for name, weight in self.named_parameters():
            if name.startswith("weight_ch"):
                nn.init.zeros_(weight)
            else:
                nn.init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        """Summarise the arguments in the module's repr.

        Returns
        -------
        str
            The sizes, then the arguments that differ from their defaults,
            as in :class:`torch.nn.LSTM`.
        """
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    def flatten_parameters(self) -> None:
        """Do nothing: ``nn.LSTM`` compacts its cuDNN weights here; there are none."""

    def forward(
        self,
        input: Tensor | PackedSequence,
        hx: tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor | PackedSequence, tuple[Tensor, Tensor]]:
        """Run the LSTM over a padded batch.

        Parameters
        ----------
        input : Tensor of shape (L, N, H_in), (N, L, H_in) or (L, H_in)
            Input sequences (batch first if ``batch_first``).
        hx : tuple of (Tensor, Tensor), optional
            Initial ``(h_0, c_0)``, each ``(D * num_layers, N, H_out)``; zeros
            if omitted.

        Returns
        -------
        output : Tensor of shape (L, N, D * H_out)
            ``h_t`` of the last layer for every step (batch first if
            ``batch_first``).
        (h_n, c_n) : tuple of Tensor, each of shape (D * num_layers, N, H_out)
            Final hidden and cell states of every layer and direction.

        Raises
        ------
        TypeError
            If ``input`` is a PackedSequence.
        ValueError
            If ``input`` has the wrong number of dimensions or features, or
            ``input`` and ``hx`` are not of the weights' dtype (outside
            autocast).
        """
        if isinstance(input, PackedSequence):
            raise TypeError(
                "PeepholeLSTM does not support PackedSequence input; pass a padded "
                "tensor (seqlearn.nn.RecurrentEncoder handles ragged batches)."
            )
        if hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
            raise TypeError(
                "hx must be a tuple (h_0, c_0) of two tensors, as for nn.LSTM; got "
                f"{type(hx).__name__}."
            )
        if input.dim() not in (2, 3):
            raise ValueError(
                f"PeepholeLSTM expects a 2-D or 3-D input, got {input.dim()}-D."
            )
        if input.shape[-1] != self.input_size:
            raise ValueError(
                f"input has {input.shape[-1]} features, expected {self.input_size}."
            )
        device_type = input.device.type
        if _autocasting(device_type):
            # the hand-written recurrence keeps its states in float32 buffers:
            # under mixed precision it runs in float32, like a non-autocast op
            with torch.autocast(device_type, enabled=False):
                hx = None if hx is None else tuple(h.float() for h in hx)
                return self.forward(input.float(), hx)
        dtype = self.weight_ih_l0.dtype
        states = () if hx is None else tuple(hx)
        if any(t.dtype != dtype for t in (input, *states)):
            # nn.LSTM refuses a mix too; the hand-written recurrence would
            # otherwise quietly mix precisions
            got = ", ".join(str(t.dtype) for t in (input, *states))
            raise ValueError(
                f"input and hx dtypes ({got}) must match the weight dtype "
                f"({dtype}). Convert the input: input.to({dtype}), or convert "
                "the model: model.to(input.dtype)."
            )
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[0] == 0:
            raise ValueError("input must have at least one time step.")
        num_directions = 2 if self.bidirectional else 1
        n_states = self.num_layers * num_directions
        N = input.shape[1]
        if hx is None:
            h0 = c0 = input.new_zeros(n_states, N, self.hidden_size)
        else:
            h0, c0 = hx
            if not batched:
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
            expected = (n_states, N, self.hidden_size)
            if tuple(h0.shape) != expected or tuple(c0.shape) != expected:
                raise ValueError(
                    f"hx tensors must have shape {expected}, got "
                    f"{tuple(h0.shape)} and {tuple(c0.shape)}."
                )
        if N == 0:  # an empty batch: empty outputs, as nn.LSTM gives
            out = input.new_zeros(input.shape[0], 0, num_directions * self.hidden_size)
            empty = input.new_zeros(n_states, 0, self.hidden_size)
            return (out.transpose(0, 1) if self.batch_first else out), (
                empty,
                empty.clone(),
            )
        h_n, c_n = [], []
        x = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                k = layer * num_directions + direction
                bias = None
                if self.bias:
                    bias = getattr(self, f"bias_ih{suffix}") + getattr(
                        self, f"bias_hh{suffix}"
                    )
                out, h, c = _PeepholeLayer.apply(
                    x,
                    getattr(self, f"weight_ih{suffix}"),
                    bias,
                    getattr(self, f"weight_hh{suffix}"),
                    getattr(self, f"weight_ch{suffix}"),
                    h0[k],
                    c0[k],
                    bool(direction),
                    torch.is_grad_enabled(),
                )
                outputs.append(out)
                h_n.append(h)
                c_n.append(c)
            x = outputs[0] if num_directions == 1 else torch.cat(outputs, -1)
            if self.dropout and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, self.training)
        h_n = torch.stack(h_n)
        c_n = torch.stack(c_n)
        if not batched:
            return x.squeeze(1), (h_n.squeeze(1), c_n.squeeze(1))
        if self.batch_first:
            x = x.transpose(0, 1)
        return x, (h_n, c_n)


def _autocasting(device_type):
    """Whether autocast (mixed precision) is on for ``device_type``."""
    try:
        return torch.is_autocast_enabled(device_type)
    except TypeError:  # torch < 2.4 takes no device type
        if device_type == "cuda":
            return torch.is_autocast_enabled()
        return torch.is_autocast_cpu_enabled()
