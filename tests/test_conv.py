"""Tests for seqlearn.nn.conv: ragged-safe temporal convolutions."""

import pytest
import torch

from seqlearn.nn.conv import (
    ConvFrontEnd,
    FCNBranch,
    MaskedGroupNorm,
    conv_output_lengths,
)

LENGTHS = [9, 4, 1, 7]


def ragged_batch(seed=0, H=3, fill=0.0):
    gen = torch.Generator().manual_seed(seed)
    L = max(LENGTHS)
    x = torch.randn(len(LENGTHS), L, H, generator=gen)
    lengths = torch.tensor(LENGTHS)
    pad = torch.arange(L) >= lengths.unsqueeze(1)
    return x.masked_fill(pad.unsqueeze(-1), fill), lengths


def front_end(stride=1, kernel_size=5):
    torch.manual_seed(0)
    return ConvFrontEnd(3, channels=(6, 5), kernel_size=kernel_size, stride=stride)


def fcn():
    torch.manual_seed(0)
    return FCNBranch(3, channels=(4, 6, 5), kernel_sizes=(8, 5, 3))


@pytest.mark.parametrize("fill", [float("nan"), 1e6, float("inf")])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_front_end_padding_never_leaks(fill, stride):
    model = front_end(stride)
    x, lengths = ragged_batch()
    y0, n0 = model(x, lengths)
    y1, n1 = model(ragged_batch(fill=fill)[0], lengths)
    assert torch.equal(n0, n1)
    assert torch.isfinite(y1).all()
    torch.testing.assert_close(y0, y1)


@pytest.mark.parametrize("fill", [float("nan"), 1e6])
def test_fcn_padding_never_leaks(fill):
    model = fcn()
    x, lengths = ragged_batch()
    out = model(ragged_batch(fill=fill)[0], lengths)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(model(x, lengths), out)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("kernel_size", [4, 5])
def test_front_end_batched_equals_one_at_a_time(stride, kernel_size):
    model = front_end(stride, kernel_size)
    x, lengths = ragged_batch()
    y, out_lengths = model(x, lengths)
    for i, n in enumerate(LENGTHS):
        yi, ni = model(x[i : i + 1, :n], torch.tensor([n]))
        assert ni.item() == out_lengths[i].item() == yi.shape[1]
        torch.testing.assert_close(y[i, : ni.item()], yi[0])
        # steps beyond the real output length are exactly zero
        assert not y[i, ni.item() :].any()


def test_fcn_batched_equals_one_at_a_time():
    model = fcn()
    x, lengths = ragged_batch()
    out = model(x, lengths)
    for i, n in enumerate(LENGTHS):
        torch.testing.assert_close(out[i], model(x[i : i + 1, :n], [n])[0])


def test_training_mode_dropout_keeps_padding_zero():
    torch.manual_seed(0)
    model = ConvFrontEnd(3, channels=(6,), dropout=0.5).train()
    x, lengths = ragged_batch()
    y, out_lengths = model(x, lengths)
    pad = torch.arange(y.shape[1]) >= out_lengths.unsqueeze(1)
    assert not y[pad].any()


@pytest.mark.parametrize(
    ("stride", "expected"),
    [(1, LENGTHS), (2, [5, 2, 1, 4]), (3, [3, 2, 1, 3]), ((2, 2), [3, 1, 1, 2])],
)
def test_out_lengths_after_stride(stride, expected):
    torch.manual_seed(0)
    model = ConvFrontEnd(
        3, channels=(4, 4) if isinstance(stride, tuple) else (4,), stride=stride
    )
    x, lengths = ragged_batch()
    y, out_lengths = model(x, lengths)
    assert out_lengths.tolist() == expected
    assert y.shape == (len(LENGTHS), max(expected), 4)
    assert conv_output_lengths(torch.tensor([1, 2, 3, 4]), 2).tolist() == [1, 1, 2, 2]


def test_gradients_flow_to_every_parameter():
    model = front_end(stride=2)
    branch = fcn()
    x, lengths = ragged_batch()
    x.requires_grad_(True)
    y, _ = model(x, lengths)
    (y.sum() + branch(x, lengths).sum()).backward()
    for p in [*model.parameters(), *branch.parameters()]:
        assert p.grad is not None and p.grad.abs().sum() > 0
    pad = torch.arange(x.shape[1]) >= lengths.unsqueeze(1)
    # no gradient reaches padded inputs
    assert not x.grad[pad].any()
    assert x.grad[~pad].abs().sum() > 0


def test_group_norm_uses_real_steps_only():
    norm = MaskedGroupNorm(2)
    x = torch.tensor([[[1.0, 3.0, 100.0], [2.0, 4.0, -50.0]]])
    mask = torch.tensor([[True, True, False]])
    out = norm(x, mask)[..., :2]
    torch.testing.assert_close(out.mean(), torch.tensor(0.0))
    torch.testing.assert_close(out.pow(2).mean(), torch.tensor(1.0), atol=1e-4, rtol=0)


def test_output_size_and_shapes():
    front = ConvFrontEnd(2, channels=(8, 16))
    assert front.output_size == 16
    assert FCNBranch(2).output_size == 128


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"input_size": 0}, ValueError),
        ({"input_size": 2.0}, TypeError),
        ({"channels": ()}, ValueError),
        ({"channels": (8, 0)}, ValueError),
        ({"kernel_size": 0}, ValueError),
        ({"kernel_size": (3, 3, 3)}, ValueError),
        ({"stride": True}, TypeError),
        ({"dropout": 1.5}, ValueError),
    ],
)
def test_argument_validation(kwargs, error):
    with pytest.raises(error):
        ConvFrontEnd(**{"input_size": 2, **kwargs})


def test_forward_validation():
    front = ConvFrontEnd(2, channels=(4,))
    with pytest.raises(ValueError, match="x must be"):
        front(torch.zeros(2, 5, 3), torch.tensor([5, 5]))
    with pytest.raises(ValueError, match="lengths"):
        front(torch.zeros(2, 5, 2), torch.tensor([6, 5]))
    with pytest.raises(ValueError, match="lengths"):
        front(torch.zeros(2, 5, 2), torch.tensor([0, 5]))
    with pytest.raises(ValueError, match="num_groups"):
        MaskedGroupNorm(6, num_groups=4)


def test_float_lengths_are_refused_not_truncated():
    # they were cut to integers silently ([9.7, 4.2] -> [9, 4]); the encoder
    # refuses them, and now the front-end does too
    from seqlearn.nn.conv import ConvFrontEnd, FCNBranch

    x = torch.randn(2, 10, 3)
    for module in (ConvFrontEnd(3), FCNBranch(3)):
        with pytest.raises(TypeError, match="lengths must be integers"):
            module(x, torch.tensor([9.7, 4.2]))
        with pytest.raises(ValueError, match=r"lengths must lie in \[1, 10\]"):
            module(x, torch.tensor([11, 4]))
