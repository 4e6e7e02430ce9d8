"""Tests for seqlearn.nn against numpy references written from the equations."""

import pickle

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from seqlearn.nn import (
    CRF,
    CharEncoder,
    PeepholeLSTM,
    Pooling,
    RecurrentEncoder,
    RecurrentLanguageModel,
    Seq2SeqModel,
    SequenceModel,
    TaggingModel,
    WordTaggingModel,
)
from seqlearn.nn._validation import check_dropout, check_positive_int
from seqlearn.nn.forecast import EnsembleRecurrent
from seqlearn.nn.peephole import _PeepholeLayer

CELLS = ["rnn", "lstm", "gru", "peephole"]
POOLING = ["last", "mean", "max", "attention"]


# ---------------------------------------------------------------------------
# numpy references, one step at a time, from the documented equations
# ---------------------------------------------------------------------------


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def params_of(module, suffix="_l0"):
    """A single-layer, single-direction module's parameters as float64 arrays."""
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ch"]
    return {
        name: getattr(module, name + suffix).detach().double().numpy()
        for name in names
        if hasattr(module, name + suffix)
    }


def rnn_step(p, x, state):
    (h,) = state
    h = np.tanh(p["weight_ih"] @ x + p["bias_ih"] + p["weight_hh"] @ h + p["bias_hh"])
    return h, (h,)


def lstm_step(p, x, state):
    """Peephole LSTM (Gers et al. 2002); nn.LSTM when the peepholes are zero."""
    h, c = state
    H = h.shape[0]
    w_ci, w_cf, w_co = np.split(p.get("weight_ch", np.zeros(3 * H)), 3)
    a = p["weight_ih"] @ x + p["bias_ih"] + p["weight_hh"] @ h + p["bias_hh"]
    a_i, a_f, a_g, a_o = np.split(a, 4)
    i = sigmoid(a_i + w_ci * c)
    f = sigmoid(a_f + w_cf * c)
    g = np.tanh(a_g)
    c = f * c + i * g
    o = sigmoid(a_o + w_co * c)
    h = o * np.tanh(c)
    return h, (h, c)


def gru_step(p, x, state):
    (h,) = state
    gi = p["weight_ih"] @ x + p["bias_ih"]
    gh = p["weight_hh"] @ h + p["bias_hh"]
    i_r, i_z, i_n = np.split(gi, 3)
    h_r, h_z, h_n = np.split(gh, 3)
    r = sigmoid(i_r + h_r)
    z = sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    h = (1 - z) * n + z * h
    return h, (h,)


STEPS = {"rnn": rnn_step, "lstm": lstm_step, "gru": gru_step, "peephole": lstm_step}


def run_reference(step, p, xs, state, reverse=False):
    """Run one direction over a (T, F) sequence; return (T, H) outputs, state."""
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    out = [None] * len(xs)
    for t in order:
        out[t], state = step(p, xs[t], state)
    return np.stack(out), state


def encoder_reference(encoder, xs):
    """Numpy RecurrentEncoder on one unpadded (T, F) sequence."""
    step = STEPS[encoder.cell]
    H = encoder.hidden_size
    D = 2 if encoder.bidirectional else 1
    zero = (
        (np.zeros(H), np.zeros(H))
        if encoder.cell in ("lstm", "peephole")
        else (np.zeros(H),)
    )
    for layer in range(encoder.num_layers):
        outs = []
        for d in range(D):
            p = params_of(encoder.rnns[layer * D + d])
            outs.append(run_reference(step, p, xs, zero, reverse=bool(d))[0])
        xs = np.concatenate(outs, axis=1)
    summary = xs[-1].copy()
    if D == 2:
        summary[H:] = xs[0, H:]
    return xs, summary


def ragged_batch(n_features, lengths, pad_value=0.0, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    L = max(lengths)
    x = torch.randn(len(lengths), L, n_features, generator=gen, dtype=dtype)
    for n, length in enumerate(lengths):
        x[n, length:] = pad_value
    return x, torch.tensor(lengths)


def randomize_peepholes(module, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in module.named_parameters():
            if "weight_ch" in name:
                param.copy_(torch.rand(param.shape, generator=gen) - 0.5)


# ---------------------------------------------------------------------------
# numerical agreement with the references
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_encoder_matches_numpy_reference(cell, bidirectional):
    torch.manual_seed(0)
    encoder = RecurrentEncoder(cell, 3, 4, num_layers=2, bidirectional=bidirectional)
    encoder = encoder.double().eval()
    randomize_peepholes(encoder)
    lengths = [5, 1, 3, 7]
    x, lengths_t = ragged_batch(3, lengths)
    with torch.no_grad():
        output, summary = encoder(x, lengths_t)
    for n, length in enumerate(lengths):
        ref_out, ref_summary = encoder_reference(encoder, x[n, :length].numpy())
        np.testing.assert_allclose(output[n, :length].numpy(), ref_out, atol=1e-5)
        np.testing.assert_allclose(summary[n].numpy(), ref_summary, atol=1e-5)


def peephole_reference(lstm, x, h0, c0):
    """Numpy PeepholeLSTM over a time-major (L, N, F) batch, sample by sample."""
    D = 2 if lstm.bidirectional else 1
    x = x.numpy()
    h_n = np.zeros(h0.shape)
    c_n = np.zeros(c0.shape)
    outputs = []
    for n in range(x.shape[1]):
        xs = x[:, n]
        for layer in range(lstm.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                p = params_of(lstm, suffix)
                state = (h0[k, n].numpy(), c0[k, n].numpy())
                out, (h, c) = run_reference(lstm_step, p, xs, state, reverse=bool(d))
                outs.append(out)
                h_n[k, n], c_n[k, n] = h, c
            xs = np.concatenate(outs, axis=1)
        outputs.append(xs)
    return np.stack(outputs, axis=1), h_n, c_n


def test_peephole_matches_numpy_reference():
    torch.manual_seed(0)
    lstm = PeepholeLSTM(3, 4, num_layers=2, bidirectional=True).double()
    randomize_peepholes(lstm)
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    h0 = torch.randn(4, 2, 4, dtype=torch.float64)
    c0 = torch.randn(4, 2, 4, dtype=torch.float64)
    with torch.no_grad():
        output, (h_n, c_n) = lstm(x, (h0, c0))
    ref_out, ref_h, ref_c = peephole_reference(lstm, x, h0, c0)
    np.testing.assert_allclose(output.numpy(), ref_out, atol=1e-5)
    np.testing.assert_allclose(h_n.numpy(), ref_h, atol=1e-5)
    np.testing.assert_allclose(c_n.numpy(), ref_c, atol=1e-5)


def copy_to_lstm(peephole):
    lstm = nn.LSTM(
        peephole.input_size,
        peephole.hidden_size,
        num_layers=peephole.num_layers,
        bias=peephole.bias,
        batch_first=peephole.batch_first,
        bidirectional=peephole.bidirectional,
    ).to(next(peephole.parameters()).dtype)
    state = {k: v for k, v in peephole.state_dict().items() if "weight_ch" not in k}
    lstm.load_state_dict(state)
    return lstm


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_peephole_with_zero_peepholes_equals_lstm(bidirectional, batch_first, bias):
    torch.manual_seed(0)
    peephole = PeepholeLSTM(
        3,
        5,
        num_layers=2,
        bias=bias,
        batch_first=batch_first,
        bidirectional=bidirectional,
    ).double()
    lstm = copy_to_lstm(peephole)
    # Same names, same shapes: nn.LSTM's layout is kept.
    for name, param in lstm.named_parameters():
        assert getattr(peephole, name).shape == param.shape
    D = 2 if bidirectional else 1
    shape = (4, 6, 3) if batch_first else (6, 4, 3)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    hx = tuple(torch.randn(2 * D, 4, 5, dtype=torch.float64) for _ in range(2))
    results = []
    for module in (peephole, lstm):
        output, (h_n, c_n) = module(x, hx)
        x.grad = None
        (output.sum() + 2 * h_n.sum() + 3 * c_n.sum()).backward()
        results.append((output, h_n, c_n, x.grad))
    for ours, theirs in zip(*results, strict=True):
        torch.testing.assert_close(ours, theirs, atol=1e-10, rtol=1e-10)
    for name, param in lstm.named_parameters():
        torch.testing.assert_close(getattr(peephole, name).grad, param.grad)


def test_peephole_float32_close_to_lstm_and_unbatched():
    torch.manual_seed(0)
    peephole = PeepholeLSTM(3, 8)
    lstm = copy_to_lstm(peephole)
    x = torch.randn(7, 2, 3)
    torch.testing.assert_close(peephole(x)[0], lstm(x)[0], atol=1e-5, rtol=1e-5)
    # Unbatched (L, H_in) input, as nn.LSTM accepts it.
    out, (h_n, c_n) = peephole(x[:, 0])
    assert out.shape == (7, 8) and h_n.shape == (1, 8) and c_n.shape == (1, 8)
    torch.testing.assert_close(out, peephole(x)[0][:, 0])


def test_peephole_init():
    torch.manual_seed(0)
    lstm = PeepholeLSTM(3, 16, num_layers=2, bidirectional=True)
    bound = 1 / 16**0.5
    for name, param in lstm.named_parameters():
        if name.startswith("weight_ch"):
            assert param.shape == (48,)
            assert torch.all(param == 0)
        else:
            assert param.abs().max() <= bound
            assert param.abs().max() > bound / 2


@pytest.mark.parametrize("reverse", [False, True])
def test_peephole_gradcheck(reverse):
    torch.manual_seed(0)
    L, N, F, H = 4, 3, 2, 2

    def arg(*shape):
        return torch.randn(*shape, dtype=torch.float64, requires_grad=True)

    args = (arg(L, N, F), arg(4 * H, F), arg(4 * H), arg(4 * H, H), arg(3 * H))
    args += (arg(N, H), arg(N, H))
    assert torch.autograd.gradcheck(
        lambda *a: _PeepholeLayer.apply(*a, reverse, True), args
    )


def test_peephole_module_gradcheck():
    torch.manual_seed(0)
    lstm = PeepholeLSTM(2, 2, num_layers=2, bidirectional=True).double()
    randomize_peepholes(lstm)
    x = torch.randn(3, 2, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
    params = tuple(lstm.parameters())

    def f(x, h0, c0, *_):
        output, (h_n, c_n) = lstm(x, (h0, c0))
        return output, h_n, c_n

    assert torch.autograd.gradcheck(f, (x, h0, c0, *params))


# ---------------------------------------------------------------------------
# padding
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("pad_value", [1e6, float("nan")])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_padding_invariance(cell, bidirectional, pad_value):
    torch.manual_seed(0)
    encoder = RecurrentEncoder(cell, 3, 4, num_layers=2, bidirectional=bidirectional)
    encoder = encoder.double()
    randomize_peepholes(encoder)
    x, lengths = ragged_batch(3, [2, 6, 4], pad_value=pad_value)
    x.requires_grad_(True)
    output, summary = encoder(x, lengths)
    (output.sum() + summary.sum()).backward()
    for n, length in enumerate(lengths.tolist()):
        alone = x[n : n + 1, :length].detach().requires_grad_(True)
        out_alone, summary_alone = encoder(alone, torch.tensor([length]))
        (out_alone.sum() + summary_alone.sum()).backward()
        torch.testing.assert_close(output[n, :length], out_alone[0], atol=1e-6, rtol=0)
        torch.testing.assert_close(summary[n], summary_alone[0], atol=1e-6, rtol=0)
        # Nothing flows back into the padding, and real steps get the same
        # gradient alone or padded.
        assert torch.all(x.grad[n, length:] == 0)
        torch.testing.assert_close(x.grad[n, :length], alone.grad[0], atol=1e-6, rtol=0)


@pytest.mark.parametrize("mode", POOLING)
def test_pooling_padding_invariance(mode):
    torch.manual_seed(0)
    model = SequenceModel("gru", 3, 4, 2, bidirectional=True, pooling=mode).double()
    x, lengths = ragged_batch(3, [2, 6, 4], pad_value=1e6)
    batch = model(x, lengths)
    for n, length in enumerate(lengths.tolist()):
        alone = model(x[n : n + 1, :length], torch.tensor([length]))
        torch.testing.assert_close(batch[n], alone[0], atol=1e-6, rtol=0)
    # Garbage in the encoder output's padding must not reach any pooling.
    pool = Pooling(mode, 4).double()
    output = torch.randn(3, 5, 4, dtype=torch.float64)
    lengths = torch.tensor([5, 2, 3])
    garbage = output.clone()
    for n, length in enumerate(lengths.tolist()):
        garbage[n, length:] = 1e6
    summary = output[:, 0]
    torch.testing.assert_close(
        pool(output.masked_fill(garbage == 1e6, 0), summary, lengths),
        pool(garbage, summary, lengths),
    )


def test_pooling_values():
    output = torch.tensor([[[1.0], [3.0], [50.0]], [[2.0], [-1.0], [4.0]]])
    summary = torch.tensor([[7.0], [8.0]])
    lengths = torch.tensor([2, 3])
    assert Pooling("last", 1)(output, summary, lengths).tolist() == [[7.0], [8.0]]
    mean = Pooling("mean", 1)(output, summary, lengths)
    torch.testing.assert_close(mean, torch.tensor([[2.0], [5 / 3]]))
    assert Pooling("max", 1)(output, summary, lengths).tolist() == [[3.0], [4.0]]
    attention = Pooling("attention", 1)
    pooled = attention(output, summary, lengths)
    # A convex combination of the real steps only.
    assert 1.0 <= pooled[0, 0] <= 3.0
    assert -1.0 <= pooled[1, 0] <= 4.0


@pytest.mark.parametrize("cell", CELLS)
def test_output_zero_at_padding(cell):
    encoder = RecurrentEncoder(cell, 3, 4, bidirectional=True)
    x, lengths = ragged_batch(3, [1, 5, 3], pad_value=5.0, dtype=torch.float32)
    output, summary = encoder(x, lengths)
    assert output.shape == (3, 5, 8) and summary.shape == (3, 8)
    for n, length in enumerate(lengths.tolist()):
        assert torch.all(output[n, length:] == 0)
        assert torch.all(output[n, :length] != 0)
    assert encoder.output_size == 8


def test_embedding_input_ignores_padding_ids():
    torch.manual_seed(0)
    model = TaggingModel(
        "lstm", None, 4, 3, bidirectional=True, num_embeddings=10, embedding_dim=5
    )
    ids = torch.tensor([[3, 4, 5, 6], [7, 8, 0, 0]])
    lengths = torch.tensor([4, 2])
    clean = model(ids, lengths)
    # Out-of-vocabulary garbage in the padding would fail in nn.Embedding.
    dirty = model(ids.masked_fill(ids == 0, 12345), lengths)
    torch.testing.assert_close(clean, dirty)
    assert clean.shape == (2, 4, 3)


# ---------------------------------------------------------------------------
# gradients, dropout, models
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("pooling", POOLING)
@pytest.mark.parametrize("cell", CELLS)
def test_gradients_reach_every_parameter(cell, pooling):
    torch.manual_seed(0)
    model = SequenceModel(
        cell, 3, 4, 2, num_layers=2, bidirectional=True, pooling=pooling
    )
    x, lengths = ragged_batch(3, [2, 6, 4], dtype=torch.float32)
    model(x=x, lengths=lengths).pow(2).sum().backward()
    names = [name for name, _ in model.named_parameters()]
    if cell == "peephole":
        assert any("weight_ch" in name for name in names)
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.any(param.grad != 0), name


def test_tagging_model_gradients_and_shapes():
    torch.manual_seed(0)
    model = TaggingModel("peephole", None, 4, 3, num_embeddings=10, embedding_dim=5)
    ids = torch.tensor([[3, 4, 5], [7, 0, 0]])
    out = model(x=ids, lengths=torch.tensor([3, 1]))
    assert out.shape == (2, 3, 3)
    out.sum().backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and torch.any(param.grad != 0), name


def test_dropout_only_in_training():
    torch.manual_seed(0)
    encoder = RecurrentEncoder("lstm", 3, 16, num_layers=2, dropout=0.5)
    x, lengths = ragged_batch(3, [4, 2], dtype=torch.float32)
    first, second = encoder(x, lengths)[0], encoder(x, lengths)[0]
    assert not torch.equal(first, second)
    # Dropout never resurrects the padding.
    assert torch.all(first[1, 2:] == 0)
    encoder.eval()
    torch.testing.assert_close(encoder(x, lengths), encoder(x, lengths))


@pytest.mark.parametrize("model_class", [SequenceModel, TaggingModel])
def test_models_are_picklable_and_deterministic(model_class):
    x, lengths = ragged_batch(3, [4, 2], dtype=torch.float32)

    def build():
        torch.manual_seed(42)
        return model_class("peephole", 3, 4, 2, bidirectional=True).eval()

    model = build()
    expected = model(x=x, lengths=lengths)
    torch.testing.assert_close(build()(x=x, lengths=lengths), expected, rtol=0, atol=0)
    clone = pickle.loads(pickle.dumps(model))
    torch.testing.assert_close(clone(x=x, lengths=lengths), expected, rtol=0, atol=0)


def test_lengths_on_cpu_as_list_or_other_int_dtype():
    encoder = RecurrentEncoder("gru", 3, 4)
    x, lengths = ragged_batch(3, [4, 2], dtype=torch.float32)
    reference = encoder(x, lengths)[1]
    torch.testing.assert_close(encoder(x, lengths.int())[1], reference)
    torch.testing.assert_close(encoder(x, [4, 2])[1], reference)


# ---------------------------------------------------------------------------
# argument validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"hidden_size": 0}, ValueError),
        ({"hidden_size": -3}, ValueError),
        ({"input_size": 0}, ValueError),
        ({"num_layers": 0}, ValueError),
        ({"dropout": 1.5}, ValueError),
        ({"dropout": -0.1}, ValueError),
        ({"hidden_size": 2.5}, TypeError),
        ({"dropout": "0.1"}, TypeError),
    ],
)
def test_peephole_validation(kwargs, error):
    params = {"input_size": 3, "hidden_size": 4, **kwargs}
    with pytest.raises(error):
        PeepholeLSTM(**params)


def test_peephole_input_validation():
    lstm = PeepholeLSTM(3, 4)
    x = torch.randn(5, 2, 3)
    packed = pack_padded_sequence(x, torch.tensor([5, 3]))
    with pytest.raises(TypeError, match="PackedSequence"):
        lstm(packed)
    with pytest.raises(ValueError, match="features"):
        lstm(torch.randn(5, 2, 4))
    with pytest.raises(ValueError, match="2-D or 3-D"):
        lstm(torch.randn(5, 2, 3, 1))
    with pytest.raises(ValueError, match="at least one time step"):
        lstm(torch.randn(0, 2, 3))
    with pytest.raises(ValueError, match="hx"):
        lstm(x, (torch.zeros(1, 3, 4), torch.zeros(1, 3, 4)))


def test_peephole_rejects_a_dtype_other_than_its_weights():
    # as nn.LSTM does, instead of quietly mixing float64 and float32
    lstm = PeepholeLSTM(3, 4)
    x = torch.randn(5, 2, 3)
    with pytest.raises(ValueError, match="dtype"):
        lstm(x.double())
    with pytest.raises(ValueError, match="dtype"):
        lstm(x, tuple(torch.zeros(1, 2, 4, dtype=torch.float64) for _ in range(2)))
    out, _ = lstm.double()(x.double())
    assert out.dtype == torch.float64


def test_checks_accept_numpy_scalars_and_return_python_ones():
    # a grid built with np.arange hands the modules numpy scalars
    assert type(check_positive_int(np.int64(3), "n")) is int
    assert type(check_dropout(np.float64(0.5))) is float
    assert check_dropout(np.int64(0)) == 0.0
    with pytest.raises(TypeError, match="must be an int"):
        check_positive_int(True, "n")
    with pytest.raises(TypeError, match="must be an int"):
        check_positive_int(np.float64(3.0), "n")
    with pytest.raises(TypeError, match="must be a number"):
        check_dropout(np.bool_(True))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        check_dropout(np.float64(1.5))


@pytest.mark.parametrize("cell", CELLS)
def test_modules_accept_numpy_scalars(cell):
    i64, f64 = np.int64, np.float64
    x, lengths = torch.randn(2, 6, 3), torch.tensor([6, 4])
    kw = {"num_layers": i64(2), "dropout": f64(0.1)}
    encoder = RecurrentEncoder(cell, i64(3), i64(4), bidirectional=True, **kw)
    assert type(encoder.hidden_size) is int and type(encoder.num_layers) is int
    assert encoder(x, lengths)[0].shape == (2, 6, 8)
    model = SequenceModel(
        cell, i64(3), i64(4), i64(2), conv_channels=[i64(5)], conv_kernel_size=i64(3)
    )
    assert model(x, lengths).shape == (2, 2)
    tagger = TaggingModel(cell, i64(3), i64(4), i64(2), **kw)
    assert tagger(x, lengths).shape == (2, 6, 2)
    lm = RecurrentLanguageModel(cell, i64(7), i64(4), embedding_dim=i64(3), **kw)
    assert lm(torch.randint(7, (2, 5)))[0].shape == (2, 5, 7)
    assert PeepholeLSTM(i64(3), i64(4), **kw)(x)[0].shape == (2, 6, 4)


def test_other_modules_accept_numpy_scalars():
    i64 = np.int64
    assert CharEncoder(i64(9), i64(3), i64(4), i64(3))(
        torch.tensor([[[3, 4, 0]]])
    ).shape == (1, 1, 4)
    assert CRF(i64(3)).num_tags == 3
    assert Pooling("attention", i64(4)).input_size == 4
    ensemble = EnsembleRecurrent(i64(3), i64(4), i64(2), n_models=i64(2))
    assert ensemble.rnn.hidden_size == 8
    words = WordTaggingModel(
        "lstm", i64(4), i64(3), 10, 6, 4, num_chars=i64(9), char_hidden_size=i64(4)
    )
    assert words.encoder.input_size == 6 + 4 + 4


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (("cnn", 3, 4), {}, "cell must be one of"),
        (("lstm", 3, 0), {}, "hidden_size"),
        (("lstm", None, 4), {}, "input_size"),
        (("lstm", 3, 4), {"dropout": 2.0}, "dropout"),
        (("lstm", None, 4), {"embedding_dim": 5}, "num_embeddings"),
        (("lstm", 3, 4), {"num_embeddings": 5}, "embedding_dim"),
    ],
)
def test_encoder_validation(args, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        RecurrentEncoder(*args, **kwargs)


def test_forward_validation():
    encoder = RecurrentEncoder("lstm", 3, 4)
    x = torch.randn(2, 5, 3)
    with pytest.raises(ValueError, match="lengths must lie in"):
        encoder(x, torch.tensor([5, 0]))
    with pytest.raises(ValueError, match="lengths must lie in"):
        encoder(x, torch.tensor([6, 2]))
    with pytest.raises(ValueError, match="1-D"):
        encoder(x, torch.tensor([5, 2, 1]))
    with pytest.raises(TypeError, match="integers"):
        encoder(x, torch.tensor([5.0, 2.0]))
    with pytest.raises(ValueError, match="features"):
        encoder(torch.randn(2, 5), torch.tensor([5, 2]))


def test_pooling_and_model_validation():
    with pytest.raises(ValueError, match="'last', 'mean', 'max', 'attention'"):
        Pooling("sum", 4)
    with pytest.raises(ValueError, match="n_outputs"):
        SequenceModel("lstm", 3, 4, 0)
    with pytest.raises(ValueError, match="mode"):
        SequenceModel("lstm", 3, 4, 2, pooling="median")
    with pytest.raises(ValueError, match="n_outputs"):
        TaggingModel("gru", 3, 4, -1)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "peephole"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_run_equals_padded_run(cell, bidirectional, monkeypatch):
    import seqlearn.nn.encoder as encoder_module

    calls = []
    real_pack = encoder_module.pack_padded_sequence

    def counting_pack(*args, **kwargs):
        calls.append(1)
        return real_pack(*args, **kwargs)

    monkeypatch.setattr(encoder_module, "pack_padded_sequence", counting_pack)
    torch.manual_seed(0)
    padded = RecurrentEncoder(cell, 3, 5, num_layers=2, bidirectional=bidirectional)
    packed = RecurrentEncoder(
        cell, 3, 5, num_layers=2, bidirectional=bidirectional, pack=True
    )
    packed.load_state_dict(padded.state_dict())
    x = torch.randn(4, 7, 3)
    lengths = torch.tensor([7, 2, 5, 1])
    out_a, sum_a = padded(x, lengths)
    assert not calls  # "auto" never packs on CPU
    out_b, sum_b = packed(x, lengths)
    # PeepholeLSTM takes no PackedSequence: it always runs padded
    assert len(calls) == (0 if cell == "peephole" else 2 * (1 + bidirectional))
    torch.testing.assert_close(out_a, out_b, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(sum_a, sum_b, atol=1e-6, rtol=1e-5)
    sum_b.sum().backward()
    assert all(p.grad is not None for p in packed.parameters())


def test_pack_argument_is_validated():
    with pytest.raises(ValueError, match="pack"):
        RecurrentEncoder("lstm", 3, 5, pack="sometimes")


ENCODER_KW = dict(
    num_layers=2, bidirectional=True, dropout=0.25, num_embeddings=11, embedding_dim=3
)


@pytest.mark.parametrize(
    "make",
    [
        lambda: SequenceModel("gru", None, 5, 2, **ENCODER_KW),
        lambda: TaggingModel("gru", None, 5, 2, **ENCODER_KW),
        lambda: Seq2SeqModel("gru", None, 5, 4, horizon=2, **ENCODER_KW),
    ],
)
def test_models_pass_every_encoder_argument(make):
    # encoder_args(locals()) must hand each constructor argument on by name
    encoder = make().encoder
    assert (encoder.cell, encoder.hidden_size, encoder.num_layers) == ("gru", 5, 2)
    assert encoder.bidirectional and encoder.dropout == 0.25
    assert encoder.embedding.num_embeddings == 11
    assert encoder.embedding.embedding_dim == 3


def test_word_tagging_encoder_reads_the_word_features():
    model = WordTaggingModel(
        "gru",
        5,
        3,
        num_words=10,
        word_embedding_dim=6,
        num_cases=4,
        case_embedding_dim=2,
        num_layers=2,
        bidirectional=False,
        dropout=0.5,
    )
    encoder = model.encoder
    assert (encoder.input_size, encoder.hidden_size, encoder.num_layers) == (8, 5, 2)
    assert not encoder.bidirectional and encoder.dropout == 0.5
    assert encoder.embedding is None


def test_peephole_lstm_on_an_empty_batch_and_a_bad_hx():
    for batch_first in (False, True):
        m = PeepholeLSTM(
            2, 3, num_layers=2, bidirectional=True, batch_first=batch_first
        )
        ref = nn.LSTM(2, 3, num_layers=2, bidirectional=True, batch_first=batch_first)
        x = torch.randn(0, 4, 2) if batch_first else torch.randn(4, 0, 2)
        out, (h, c) = m(x)
        ref_out, (ref_h, ref_c) = ref(x)
        assert out.shape == ref_out.shape and h.shape == ref_h.shape == c.shape
    m.flatten_parameters()  # nn.LSTM code calls it: a no-op here
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        m(torch.randn(1, 4, 2), torch.zeros(4, 1, 3))


def test_ensemble_refuses_lengths_it_would_ignore():
    model = EnsembleRecurrent(1, 4, 2, n_models=3)
    x = torch.randn(5, 7, 1)
    assert model(x, torch.full((5,), 7)).shape == (5, 3, 2)
    with pytest.raises(ValueError, match="equal-length windows"):
        model(x, torch.tensor([4, 7, 7, 7, 7]))


def test_pooling_checks_the_feature_size_and_encoder_its_flags():
    for mode in ("last", "mean", "max", "attention"):
        with pytest.raises(ValueError, match=r"\(N, L, 5\)"):
            Pooling(mode, 5)(
                torch.randn(2, 4, 3), torch.randn(2, 3), torch.tensor([4, 2])
            )
    with pytest.raises(TypeError, match="bidirectional must be a bool"):
        RecurrentEncoder("gru", 3, 4, bidirectional="yes")
    with pytest.raises(ValueError, match="pack must be"):
        RecurrentEncoder("gru", 3, 4, pack=1)
    RecurrentEncoder("gru", 3, 4, bidirectional=np.True_, pack=False)


def test_attention_seq2seq_takes_lengths_as_a_list():
    from seqlearn.nn import AttentionSeq2Seq

    torch.manual_seed(0)
    model = AttentionSeq2Seq("gru", 10, 8, 6, 4, 4).eval()
    x = torch.tensor([[5, 6, 7], [5, 6, 0]])
    y_in = torch.tensor([[2, 4], [2, 5]])
    with torch.no_grad():
        listed = model(x, [3, 2], y_in)
        tensor = model(x, torch.tensor([3, 2]), y_in)
    torch.testing.assert_close(listed, tensor)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "peephole"])
def test_encoder_names_a_wrong_feature_count(cell):
    encoder = RecurrentEncoder(cell, 3, 4)
    with pytest.raises(ValueError, match="x has 2 features per step.*input_size=3"):
        encoder(torch.randn(2, 5, 2), torch.tensor([5, 3]))
