"""Tests of SequenceTranslator, AttentionSeq2Seq and the seq2seq datasets."""

import datetime
import warnings

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.utils import check_random_state

from seqlearn import SequenceTranslator
from seqlearn.base import PAD_TARGET
from seqlearn.data import RaggedSteps
from seqlearn.datasets import make_addition, make_date_normalization, make_reversal
from seqlearn.metrics import edit_error_rate, sequence_accuracy
from seqlearn.nn import AttentionSeq2Seq
from seqlearn.nn.attention import masked_softmax
from seqlearn.nn.constants import UNK_ID
from seqlearn.translator import TranslationDataset

FAST = dict(hidden_size=32, embedding_dim=16, random_state=0, n_threads=1)


def _strings(n, seed, low=1, high=8, alphabet="abcdef"):
    rng = np.random.default_rng(seed)
    return [
        "".join(rng.choice(list(alphabet), rng.integers(low, high + 1)))
        for _ in range(n)
    ]


@pytest.fixture(scope="module")
def reverser():
    """A small model that reverses strings of 1-8 letters (trained once)."""
    X = _strings(1500, 0)
    model = SequenceTranslator(max_epochs=12, batch_size=32, **FAST)
    return model.fit(X, [s[::-1] for s in X])


def _ragged_batch(seed=0, n=6, vocab=12):
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([7, 1, 4, 6, 2, 5][:n])
    x = torch.randint(4, vocab, (n, 7), generator=gen)
    x[torch.arange(7) >= lengths[:, None]] = 0
    return x, lengths


def _module(attention="bahdanau", cell="lstm", seed=0, **kwargs):
    torch.manual_seed(seed)
    return AttentionSeq2Seq(cell, 12, 9, 16, 8, 8, attention=attention, **kwargs).eval()


# ---------------------------------------------------------------- the network
@pytest.mark.parametrize("attention", ["bahdanau", "luong"])
def test_attention_sums_to_one_on_real_steps_and_zero_on_padding(attention):
    model = _module(attention)
    x, lengths = _ragged_batch()
    with torch.no_grad():
        memory, keys, mask, state, feed = model.encode(x, lengths)
        tokens = torch.full((len(x),), model.bos)
        for _ in range(3):
            logits, state, feed, weights = model.step(
                tokens, state, feed, memory, keys, mask
            )
            tokens = logits.argmax(-1)
            assert torch.allclose(weights.sum(1), torch.ones(len(x)))
            assert torch.all(weights[~mask] == 0)
            assert torch.all(weights[mask] > 0)


def test_masked_softmax_is_exactly_zero_on_padding():
    scores = torch.tensor([[1.0, 2.0, 1e4], [0.5, -3.0, 9.0]])
    mask = torch.tensor([[True, True, False], [True, False, False]])
    weights = masked_softmax(scores, mask)
    assert weights[0, 2] == 0 and weights[1, 1:].eq(0).all()
    assert torch.allclose(weights.sum(1), torch.ones(2))


@pytest.mark.parametrize("cell", ["lstm", "gru", "peephole"])
@pytest.mark.parametrize("attention", ["bahdanau", "luong", None])
def test_padding_invariance_of_encoder_and_decoder(cell, attention):
    """Extra padding columns in x change no logit."""
    model = _module(attention, cell, num_layers=2, bidirectional=True)
    x, lengths = _ragged_batch()
    y_in = torch.randint(2, 9, (len(x), 5))
    wide = torch.cat([x, torch.zeros(len(x), 4, dtype=x.dtype)], 1)
    with torch.no_grad():
        a, b = model(x, lengths, y_in), model(wide, lengths, y_in)
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("attention", ["bahdanau", "luong", None])
def test_batched_decoding_equals_one_at_a_time_on_ragged_input(attention):
    model = _module(attention, num_layers=2)
    x, lengths = _ragged_batch()
    limit = torch.tensor([3, 8, 2, 6, 5, 4])
    for decode in (
        lambda *a: model.greedy(*a),
        lambda *a: model.beam_search(*a, beam_size=4, alpha=0.6),
        lambda *a: model.beam_search(*a, beam_size=3, alpha=0.0),
    ):
        tokens, out_len, attn, finished = decode(x, lengths, limit)
        for i in range(len(x)):
            n = int(lengths[i])
            t1, l1, a1, f1 = decode(
                x[i : i + 1, :n], lengths[i : i + 1], limit[i : i + 1]
            )
            L = int(out_len[i])
            assert int(l1[0]) == L
            assert torch.equal(t1[0, :L], tokens[i, :L])
            assert torch.all(tokens[i, L:] == 0)
            torch.testing.assert_close(a1[0, :L], attn[i, :L, :n])
            assert bool(f1[0]) == bool(finished[i])


@pytest.mark.parametrize("attention", ["bahdanau", "luong", None])
def test_beam_size_one_is_greedy(attention):
    model = _module(attention)
    x, lengths = _ragged_batch()
    # a trained-looking bias: the end marker becomes likely after a few steps
    with torch.no_grad():
        model.output.bias[model.eos] += 1.5
    for alpha in (0.0, 1.0):
        g = model.greedy(x, lengths, 9)
        b = model.beam_search(x, lengths, 9, beam_size=1, alpha=alpha)
        for u, v in zip(g, b, strict=True):
            assert torch.equal(u, v)
        assert g[3].any()


def test_beam_search_finds_a_more_probable_output_than_greedy(reverser):
    """Beam search maximises the (normalised) likelihood at least as well."""
    X = _strings(60, 5, 6, 8)
    greedy = reverser.set_params(beam_size=1).predict(X)
    beam = reverser.set_params(beam_size=4, length_penalty=0.0).predict(X)
    reverser.set_params(beam_size=1, length_penalty=0.6)
    lg, lb = reverser.score_samples(X, greedy), reverser.score_samples(X, beam)
    assert np.all(lb >= lg - 1e-4)


def test_beam_stopping_rule_does_not_stop_early():
    """A longer hypothesis beating a short finished one is still found.

    The first step makes the end marker the single most likely token, but
    after any other token the model is certain; with log-probabilities the
    longer output wins, and the search must not stop when the first
    hypothesis finishes.
    """
    model = _module(None)
    V, eos = model.num_targets, model.eos

    def step(tokens, state, feed, memory, keys, mask):
        logits = torch.full((len(tokens), V), -20.0)
        first = tokens == model.bos
        logits[first, eos] = 0.0  # p(eos) ~ 0.33
        logits[first, 5] = -0.1  # 0.30
        logits[first, 6] = -0.1
        logits[~first & (tokens == 5), 7] = 5.0
        logits[~first & (tokens == 7), eos] = 5.0
        logits[~first & (tokens == 6), eos] = 5.0
        return logits, state, feed, None

    model.step = step
    x, lengths = _ragged_batch(n=2)
    # log p: "" -1.03, "6" -1.13, "5 7" -1.13; normalised by ((5 + L) / 6) ** 2
    # "" scores -1.03, "6" -0.83 and "5 7" -0.64, found only after "" ended
    tokens, out_len, _, finished = model.beam_search(x, lengths, 6, 3, alpha=2.0)
    # with a strong length penalty the longer "5 7" ranks above "" and "6"
    assert out_len.tolist() == [2, 2]
    assert tokens[:, :2].tolist() == [[5, 7], [5, 7]]
    g = model.greedy(x, lengths, 6)
    assert g[1].tolist() == [0, 0]


def test_decoding_never_emits_the_unknown_id():
    model = _module(None)
    with torch.no_grad():
        model.output.bias[UNK_ID] += 100.0  # the unknown id dominates every step
    x, lengths = _ragged_batch()
    for tokens, *_ in (
        model.greedy(x, lengths, 5),
        model.beam_search(x, lengths, 5, beam_size=3, alpha=0.6),
    ):
        assert not (tokens == UNK_ID).any()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"bos": 3, "eos": 3}, ValueError, "bos and eos must be different"),
        ({"eos": 9}, ValueError, r"eos must be a target id in \[2, num_targets=9\)"),
        ({"bos": 1}, ValueError, "bos must be a target id"),
        ({"eos": 2.0}, TypeError, "eos must be an int"),
    ],
)
def test_attention_seq2seq_rejects_bad_markers(kwargs, error, match):
    with pytest.raises(error, match=match):
        _module(**kwargs)


def test_decoding_rejects_bad_arguments():
    model = _module()
    x, lengths = _ragged_batch()
    with pytest.raises(ValueError, match="max_length must be >= 0"):
        model.greedy(x, lengths, -1)
    with pytest.raises(ValueError, match="max_length must be >= 0"):
        model.beam_search(x, lengths, torch.tensor([3, 2, -1, 4, 5, 6]), 2)
    with pytest.raises(ValueError, match="beam_size must be positive"):
        model.beam_search(x, lengths, 5, beam_size=0)
    with pytest.raises(TypeError, match="beam_size must be an int"):
        model.beam_search(x, lengths, 5, beam_size=True)
    with pytest.raises(ValueError, match="alpha"):
        model.beam_search(x, lengths, 5, beam_size=2, alpha=-1.0)
    with pytest.raises(ValueError, match="finite"):
        model.beam_search(x, lengths, 5, beam_size=2, alpha=float("inf"))
    with pytest.raises(TypeError, match="alpha must be a number"):
        model.beam_search(x, lengths, 5, beam_size=2, alpha=True)
    for limit in (2.5, True):
        with pytest.raises(TypeError, match="max_length must be an int"):
            model.greedy(x, lengths, limit)
    # 0 is a valid limit: only the end marker fits
    tokens, out_len, _, _ = model.greedy(x, lengths, 0)
    assert tokens.shape == (6, 0) and not out_len.any()


def test_numpy_scalar_hyperparameters():
    """np.arange grids hand the network numpy scalars (GridSearchCV)."""
    module = AttentionSeq2Seq(
        "lstm",
        np.int64(12),
        np.int64(9),
        np.int64(8),
        4,
        np.int64(4),
        num_layers=np.int64(2),
        dropout=np.float64(0.1),
        bos=np.int64(2),
    )
    assert type(module.hidden_size) is int and type(module.num_layers) is int
    x, lengths = _ragged_batch()
    assert module(x, lengths, torch.full((6, 2), 2)).shape == (6, 2, 9)


# ---------------------------------------------------------------- the loss
def test_loss_of_a_zero_model_matches_a_hand_computation():
    """All weights 0 but the output bias: every step predicts softmax(bias)."""
    X = ["ab", "bca", "c"]
    y = ["xy", "y", "zxyz"]
    model = SequenceTranslator(
        max_epochs=1,
        hidden_size=4,
        embedding_dim=3,
        **{k: v for k, v in FAST.items() if k not in ("hidden_size", "embedding_dim")},
    ).fit(X, y)
    module = model.net_.module_
    bias = torch.linspace(-1, 2, module.num_targets)
    with torch.no_grad():
        for p in module.parameters():
            p.zero_()
        module.output.bias.copy_(bias)
    vocab = model.target_encoder_.vocabulary_
    logp = torch.log_softmax(bias, 0).numpy()
    targets = [[vocab[c] for c in t] + [vocab["<eos>"]] for t in y]
    hand = [sum(logp[i] for i in t) for t in targets]
    np.testing.assert_allclose(model.score_samples(X, y), hand, rtol=1e-5)
    # the training criterion: the mean over real target steps, padding ignored
    dataset = model._make_dataset(model._source(X), model._encode_targets(y), None)
    batch, target = dataset.__getitems__(np.arange(3))
    loss = model.net_.get_loss(model.net_.infer(batch), target)
    expected = -sum(hand) / sum(map(len, targets))
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_loss_equals_one_pair_at_a_time_stepping(reverser):
    """The padded, teacher-forced batch loss equals unpadded step-by-step sums."""
    X, y = ["abcdef", "a", "fe"], ["fedcba", "a", "ef"]
    module = reverser.net_.module_.eval()
    vocab = reverser.target_encoder_.vocabulary_
    total, count = 0.0, 0
    with torch.no_grad():
        for src, tgt in zip(X, y, strict=True):
            ids = torch.as_tensor(reverser.source_encoder_.transform([src])[0])[None]
            memory, keys, mask, state, feed = module.encode(
                ids, torch.tensor([len(src)])
            )
            prev = module.bos
            for tok in [vocab[c] for c in tgt] + [module.eos]:
                logits, state, feed, _ = module.step(
                    torch.tensor([prev]), state, feed, memory, keys, mask
                )
                total += torch.log_softmax(logits[0], 0)[tok].item()
                count += 1
                prev = tok
    batch_ll = reverser.score_samples(X, y)
    assert batch_ll.sum() == pytest.approx(total, rel=1e-5)


# ---------------------------------------------------------------- ragged data
def _pad_by_hand(src, tgt, indices):
    """The batch of pairs ``indices`` (``tgt`` holds bos ... eos), padded."""
    S = max(len(src[i]) for i in indices)
    T = max(len(tgt[i]) - 1 for i in indices)
    x = np.zeros((len(indices), S), dtype=np.int64)
    y_in = np.zeros((len(indices), T), dtype=np.int64)
    y_out = np.full((len(indices), T), PAD_TARGET, dtype=np.int64)
    for row, i in enumerate(indices):
        x[row, : len(src[i])] = src[i]
        y_in[row, : len(tgt[i]) - 1] = tgt[i][:-1]
        y_out[row, : len(tgt[i]) - 1] = tgt[i][1:]
    return x, y_in, y_out


def _assert_batch(batch, expected):
    (inputs, y_out), (x, y_in, gold_out) = batch, expected
    for got, want in ((inputs["x"], x), (inputs["y_in"], y_in), (y_out, gold_out)):
        assert got.dtype == torch.int64
        np.testing.assert_array_equal(got.numpy(), want)


def test_translation_dataset_pads_batches_as_padding_everything_would():
    rng = np.random.default_rng(0)
    src = [rng.integers(4, 20, rng.integers(1, 9)) for _ in range(9)]
    # bos + target (empty ones included) + eos
    tgt = [np.r_[2, rng.integers(4, 20, rng.integers(0, 7)), 3] for _ in range(9)]
    dataset = TranslationDataset(
        RaggedSteps(np.concatenate(src), np.array([len(s) for s in src])),
        np.concatenate([t[:-1] for t in tgt]),
        np.concatenate([t[1:] for t in tgt]),
        np.array([len(t) - 1 for t in tgt]),
    )
    for idx in ([0], [3, 1, 4], [8, 0, 8], list(range(9))):
        _assert_batch(dataset.__getitems__(idx), _pad_by_hand(src, tgt, idx))
        assert dataset.__getitems__(idx)[0]["lengths"].tolist() == [
            len(src[i]) for i in idx
        ]
    kept = [7, 2, 5, 2]
    sub = dataset.subset(kept)
    assert len(sub) == 4 and sub.steps.shape == (sum(len(src[i]) for i in kept),)
    for idx in ([0, 1, 2, 3], [2, 0]):
        expected = _pad_by_hand(src, tgt, [kept[i] for i in idx])
        _assert_batch(sub.__getitems__(idx), expected)


def test_training_batches_keep_a_very_long_target_apart():
    from seqlearn.data import BucketBatchIterator

    rng = np.random.default_rng(0)
    n = 200
    src_len = rng.integers(2, 6, n)
    tgt_len = rng.integers(2, 6, n)
    tgt_len[17] = 5000  # a short source with a very long target
    dataset = TranslationDataset(
        RaggedSteps(rng.integers(4, 20, src_len.sum()), src_len),
        rng.integers(4, 20, tgt_len.sum()),
        rng.integers(4, 20, tgt_len.sum()),
        tgt_len,
    )
    torch.manual_seed(0)
    for shuffle in (True, False):
        iterator = BucketBatchIterator(dataset, batch_size=32, shuffle=shuffle)
        batches = iterator.batch_indices()
        assert sorted(np.concatenate(batches).tolist()) == list(range(n))
        assert sorted(map(len, batches)) == sorted(iterator.batch_sizes())
        # no batch pads more than 16 full batches of the mean pair (before,
        # 31 short pairs were padded to the long target: 32 x 5,004 steps)
        budget = 16 * 32 * (src_len + tgt_len).mean()
        for batch in batches:
            assert len(batch) * (src_len[batch] + tgt_len[batch]).max() <= budget
        if shuffle:  # training batches: the long pair is batched apart
            assert [17] in [b.tolist() for b in batches]


def test_encoded_targets_are_ragged_bos_target_and_target_eos(tiny):
    y = ["ab", "", "cab"]
    y_in, y_out, lengths = tiny._encode_targets(y)
    ids = tiny.target_encoder_.vocabulary_
    bos, eos = ids["<bos>"], ids["<eos>"]
    tokens = [[ids[c] for c in t] for t in y]
    assert lengths.tolist() == [3, 1, 4]
    assert y_in.tolist() == sum(([bos, *t] for t in tokens), [])
    assert y_out.tolist() == sum(([*t, eos] for t in tokens), [])


@pytest.mark.filterwarnings("ignore:.*reached the length limit")
def test_a_very_long_input_is_not_padded_with_the_short_ones(tiny, monkeypatch):
    X = _strings(80, 3, 1, 4, "abc")
    X.insert(40, "b" * 2000)
    y = [s[::-1] for s in X]
    data = tiny._source(X)
    assert data.steps.shape == (sum(map(len, X)),)  # not 81 x 2000
    module = tiny.net_.module_
    shapes = []
    greedy, forward = module.greedy, module.forward

    def record_greedy(x, lengths, limit):
        shapes.append(tuple(x.shape))
        return greedy(x, lengths, limit)

    def record_forward(x, lengths, y_in):
        shapes.append((*x.shape, *y_in.shape))
        return forward(x, lengths, y_in)

    monkeypatch.setattr(module, "greedy", record_greedy)
    monkeypatch.setattr(module, "forward", record_forward)
    tiny.set_params(max_length=6)
    try:
        pred, attn = tiny.predict(X, return_attention=True)
        # the long input decodes alone: no batch pads the others to its length
        assert (1, 2000) in shapes and max(s[0] * s[1] for s in shapes) == 2000
        alone, alone_attn = tiny.predict([X[40]], return_attention=True)
        assert pred[40] == alone[0]
        np.testing.assert_allclose(attn[40], alone_attn[0], atol=1e-6)
        assert pred[:40] + pred[41:] == tiny.predict(X[:40] + X[41:])
        shapes.clear()
        # the log-likelihood: neither the long input nor a long target (of a
        # short input) pads the short pairs; the two long ones may share
        scored = tiny.score_samples([*X, "a"], [*y, "c" * 1500])
        assert all(s[0] <= 2 for s in shapes if max(s[1], s[3]) >= 1500)
        for i, a, b in ((40, X[40], y[40]), (81, "a", "c" * 1500), (0, X[0], y[0])):
            assert scored[i] == pytest.approx(tiny.score_samples([a], [b])[0], 1e-5)
    finally:
        tiny.set_params(max_length=None)


# ---------------------------------------------------------------- estimator
def test_reverser_learns_and_predicts_strings(reverser):
    X = _strings(200, 1)
    y = [s[::-1] for s in X]
    pred = reverser.predict(X)
    assert all(isinstance(p, str) for p in pred)
    assert sequence_accuracy(y, pred) >= 0.9
    assert reverser.score(X, y) == pytest.approx(sequence_accuracy(y, pred))
    assert edit_error_rate(y, pred) < 0.05


@pytest.mark.parametrize("beam_size", [1, 3])
def test_predict_batched_equals_one_at_a_time(reverser, beam_size):
    X = _strings(12, 2, 1, 9)
    reverser.set_params(beam_size=beam_size)
    try:
        batched, attn = reverser.predict(X, return_attention=True)
        for i, x in enumerate(X):
            single, a1 = reverser.predict([x], return_attention=True)
            assert single[0] == batched[i]
            np.testing.assert_allclose(a1[0], attn[i], atol=1e-5)
    finally:
        reverser.set_params(beam_size=1)


def test_predict_attention_shapes_and_rows(reverser):
    X = ["abc", "fedcba"]
    pred, attn = reverser.predict(X, return_attention=True)
    for x, p, a in zip(X, pred, attn, strict=True):
        assert a.shape == (len(p), len(x))
        np.testing.assert_allclose(a.sum(1), 1, rtol=1e-5)
    # a reverser attends to the mirrored input position
    assert np.argmax(attn[1], axis=1).tolist() == list(range(5, -1, -1))


def test_predict_never_uses_teacher_forcing(reverser):
    """predict decodes from its own outputs: the teacher-forced forward is unused."""
    module = reverser.net_.module_

    def forbidden(*args, **kwargs):
        raise AssertionError("teacher-forced forward called at predict")

    module.forward = forbidden
    try:
        reverser.predict(["abc", "de"])
        reverser.set_params(beam_size=2).predict(["abc"])
    finally:
        del module.forward
        reverser.set_params(beam_size=1)


def test_validation_scores_free_decoding_not_teacher_forcing():
    """valid_acc is the exact match of greedy predict on the held-out pairs.

    Teacher forcing would feed the gold prefix, so the recorded score would
    be that of a different, easier task (token accuracy given the truth).
    """
    X = _strings(600, 3)
    y = [s[::-1] for s in X]
    model = SequenceTranslator(
        max_epochs=3, early_stopping=True, validation_fraction=0.2, patience=5, **FAST
    ).fit(X, y)
    seed = int(check_random_state(0).randint(2**31 - 1))
    _, valid = train_test_split(np.arange(600), test_size=120, random_state=seed)
    Xv, yv = [X[i] for i in valid], [y[i] for i in valid]
    best = max(model.history_[:, "valid_acc"])
    assert best < 1  # an unfinished model: teacher forcing would score higher
    assert model.score(Xv, yv) == pytest.approx(best)


def test_decoding_parameters_take_effect_without_refit(reverser):
    X = ["abcdef", "abcdefab"]
    with pytest.warns(UserWarning, match="length limit"):
        cut = reverser.set_params(max_length=3).predict(X)
    assert [len(p) for p in cut] == [3, 3]
    reverser.set_params(max_length=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = reverser.predict(X)
    assert [len(p) for p in full] == [6, 8]


def test_outputs_much_longer_than_inputs_are_not_cut():
    """max_length=None scales with the input: 8x longer outputs fit."""
    X = _strings(400, 4, 1, 3, "ab")
    y = ["".join(c * 8 for c in s) for s in X]
    model = SequenceTranslator(max_epochs=15, lr=0.005, batch_size=16, **FAST)
    model.fit(X, y)
    assert model.length_ratio_ == 8
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pred = model.predict(["ab", "bab"])
    assert pred == ["aaaaaaaabbbbbbbb", "bbbbbbbbaaaaaaaabbbbbbbb"]


def test_token_lists_and_word_analyzer():
    X, y = make_reversal(300, max_length=4, n_symbols=5, random_state=0)
    model = SequenceTranslator(
        analyzer=None, target_analyzer=None, max_epochs=1, **FAST
    )
    pred = model.fit(X, y).predict(X[:3])
    assert all(isinstance(p, list) for p in pred)
    words = [" ".join(x) for x in X]
    model = SequenceTranslator(
        analyzer="word", target_analyzer="word", max_epochs=1, **FAST
    )
    pred = model.fit(words, [" ".join(t) for t in y]).predict(words[:3])
    assert all(isinstance(p, str) for p in pred)
    assert model.source_encoder_.tokens_[2:] == sorted(
        model.source_encoder_.tokens_[2:],
        key=lambda t: -model.source_encoder_.token_counts_[t],
    )


def test_reproducible_with_random_state():
    X = _strings(200, 6)
    y = [s[::-1] for s in X]
    a = SequenceTranslator(max_epochs=2, **FAST).fit(X, y)
    b = SequenceTranslator(max_epochs=2, **FAST).fit(X, y)
    assert a.history_[:, "train_loss"] == b.history_[:, "train_loss"]
    np.testing.assert_array_equal(a.score_samples(X, y), b.score_samples(X, y))


def test_warmup_cosine_schedule_anneals_the_learning_rate():
    # the budget parameters are shared: lr_schedule="warmup_cosine" ends the
    # fit at 1 % of lr; "auto" keeps a constant lr on token input
    X = _strings(200, 6)
    y = [s[::-1] for s in X]
    params = dict(max_epochs=2, lr=0.01, **FAST)
    model = SequenceTranslator(lr_schedule="warmup_cosine", **params).fit(X, y)
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-4)
    model = SequenceTranslator(**params).fit(X, y)
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.01)


def test_quiet_by_default(capsys):
    X = _strings(100, 7)
    SequenceTranslator(max_epochs=2, early_stopping=True, patience=1, **FAST).fit(
        X, [s[::-1] for s in X]
    )
    assert capsys.readouterr().out == ""


def test_grid_search_uses_exact_match():
    X = _strings(120, 8, 1, 4)
    y = [s[::-1] for s in X]
    search = GridSearchCV(
        SequenceTranslator(max_epochs=1, **FAST), {"attention": ["luong", None]}, cv=2
    ).fit(X, y)
    assert set(search.cv_results_["mean_test_score"]) <= set(np.linspace(0, 1, 61))
    assert 0 <= search.best_score_ <= 1


def test_invalid_input():
    with pytest.raises(ValueError, match="one output sequence per input"):
        SequenceTranslator(max_epochs=1).fit(["ab", "c"], ["ba"])
    with pytest.raises(TypeError, match="list of tokens"):
        SequenceTranslator(analyzer=None, max_epochs=1).fit(["ab"], ["ba"])
    with pytest.raises(ValueError, match="attention"):
        SequenceTranslator(attention="dot", max_epochs=1).fit(["ab"], ["ba"])


@pytest.fixture(scope="module")
def tiny():
    """A translator trained for one epoch, for the checks of the inputs."""
    X = ["abc", "ab", "ca", "bca"] * 4
    model = SequenceTranslator(**{**FAST, "hidden_size": 8}, max_epochs=1)
    return model.fit(X, [s[::-1] for s in X])


def test_predict_never_emits_unknown(tiny):
    module = tiny.net_.module_
    with torch.no_grad():
        module.output.bias[UNK_ID] += 100.0
    try:
        for beam_size in (1, 3):
            pred = tiny.set_params(beam_size=beam_size, max_length=4).predict(
                ["abc", "ca"]
            )
            assert not any("<unk>" in p for p in pred)
    finally:
        with torch.no_grad():
            module.output.bias[UNK_ID] -= 100.0
        tiny.set_params(beam_size=1, max_length=None)


def test_score_and_score_samples_check_the_number_of_outputs(tiny):
    X = ["abc", "ab", "ca"]
    for method in (tiny.score, tiny.score_samples):
        with pytest.raises(ValueError, match="X has 3, y has 2"):
            method(X, ["cba", "ba"])
        with pytest.raises(ValueError, match="X has 3, y is None"):
            method(X, None)
        with pytest.raises(ValueError, match="X has 3, y is a str"):
            method(X, "cba")


def test_fit_errors_about_y_name_y():
    X = ["ab", "c"]
    with pytest.raises(TypeError, match=r"y\[0\] contains the non-string token 1"):
        SequenceTranslator(max_epochs=1).fit(X, [[1, 2], [3]])
    with pytest.raises(TypeError, match=r"y\[0\] is the string 'x'.*target_analyzer"):
        SequenceTranslator(target_analyzer=None, max_epochs=1).fit(X, ["x", "yz"])
    with pytest.raises(ValueError, match=r"y\[1\] holds the token '<eos>'"):
        SequenceTranslator(target_analyzer=None, max_epochs=1).fit(
            X, [["x"], ["<eos>"]]
        )


def test_empty_inputs_are_named(tiny):
    for X in ([""], ["abc", ""]):
        with pytest.raises(ValueError, match=rf"X\[{len(X) - 1}\] is an empty seq"):
            tiny.predict(X)
    words = SequenceTranslator(analyzer="word", hidden_size=4, max_epochs=1)
    words.fit(["a b", "b"], ["x", "y"])
    with pytest.raises(ValueError, match=r"X\[0\] is an empty sequence"):
        words.predict(["   "])
    with pytest.raises(ValueError, match=r"X\[1\] is an empty sequence"):
        SequenceTranslator(max_epochs=1).fit(["a", ""], ["x", "y"])


def test_empty_outputs_are_learned_and_predicted():
    """An empty output is just the end marker; the model can emit it first."""
    X, y = ["ab", "c", "ba"], ["", "x", ""]
    model = SequenceTranslator(**{**FAST, "hidden_size": 4}, max_epochs=1).fit(X, y)
    assert model.length_ratio_ == 1
    with torch.no_grad():
        model.net_.module_.output.bias[model.net_.module_.eos] += 100.0
    assert model.predict(X) == ["", "", ""]
    assert model.score(X, y) == pytest.approx(2 / 3)


# ---------------------------------------------------------------- datasets
def test_make_addition_follows_the_keras_recipe():
    X, y = make_addition(2000, random_state=0)
    pairs = [tuple(sorted(map(int, x.split("+")))) for x in X]
    assert len(set(pairs)) == 2000
    assert all(sum(p) == int(t) for p, t in zip(pairs, y, strict=True))
    assert max(max(p) for p in pairs) < 1000
    assert make_addition(50, random_state=1) == make_addition(50, random_state=1)


def test_make_date_normalization_is_well_posed():
    X, y = make_date_normalization(3000, random_state=0)
    assert len(set(X)) == 3000
    assert all("," not in x and x == x.lower() for x in X)
    dates = [datetime.date.fromisoformat(d) for d in y]
    assert min(dates).year >= 1970 and max(dates).year <= 2019


def test_make_reversal():
    X, y = make_reversal(500, min_length=26, max_length=30, random_state=0)
    assert all(26 <= len(x) <= 30 and t == x[::-1] for x, t in zip(X, y, strict=True))
    assert len({s for x in X for s in x}) == 50


# ---------------------------------------------------------------- tasks learn
@pytest.mark.slow
def test_addition_learns():
    """The Keras recipe at a fraction of its size (the benchmark runs it all)."""
    X, y = make_addition(22000, random_state=0)
    model = SequenceTranslator(max_epochs=8, random_state=0, n_threads=1)
    model.fit(X[:20000], y[:20000])
    assert model.score(X[20000:], y[20000:]) >= 0.8


def test_dates_learn():
    X, y = make_date_normalization(3000, random_state=0)
    model = SequenceTranslator(max_epochs=6, batch_size=32, lr=0.005, **FAST)
    assert model.fit(X[:2500], y[:2500]).score(X[2500:], y[2500:]) >= 0.97


def test_reversal_learns():
    X, y = make_reversal(3000, max_length=8, n_symbols=10, random_state=0)
    Xt, yt = make_reversal(200, max_length=8, n_symbols=10, random_state=1)
    model = SequenceTranslator(
        analyzer=None,
        target_analyzer=None,
        max_epochs=10,
        lr=0.005,
        **{**FAST, "hidden_size": 64},
    )
    assert model.fit(X, y).score(Xt, yt) >= 0.9


def test_sklearn_contract():
    from sklearn.base import clone
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
    )

    est = SequenceTranslator()
    check_no_attributes_set_in_init("SequenceTranslator", est)
    check_parameters_default_constructible("SequenceTranslator", est)
    check_get_params_invariance("SequenceTranslator", est)
    params = clone(SequenceTranslator(beam_size=3, attention=None)).get_params()
    assert params["beam_size"] == 3 and params["attention"] is None


@pytest.mark.parametrize("exc", [KeyboardInterrupt, RuntimeError("boom")])
def test_failed_or_interrupted_fit_keeps_the_previous_model(exc):
    from skorch.callbacks import Callback

    class Raise(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise exc

    X = ["ab", "abc", "ba", "cab", "bca"] * 4
    y = [x[::-1] for x in X]
    model = SequenceTranslator(**FAST, max_epochs=3).fit(X, y)
    before, net = model.predict(X), model.net_
    model.set_params(callbacks=[("raise", Raise())], random_state=1)
    with pytest.raises(type(exc) if isinstance(exc, Exception) else exc):
        model.fit(X, y)
    assert model.net_ is net and model.predict(X) == before


@pytest.mark.parametrize("early_stopping", [False, True])
def test_callbacks_without_a_name(early_stopping):
    from skorch.callbacks import Callback

    class Count(Callback):
        def initialize(self):
            self.epochs = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs += 1

    X, y = make_addition(40, random_state=0)
    model = SequenceTranslator(
        hidden_size=8, max_epochs=2, early_stopping=early_stopping, random_state=0
    )
    model.set_params(callbacks=[Count()]).fit(X, y)
    assert len(model.history_) == 2


def test_fit_reads_a_generator_of_inputs():
    X = ["abc", "ab", "ca", "bca"] * 4
    y = [s[::-1] for s in X]
    params = {**FAST, "hidden_size": 8, "max_epochs": 1}
    from_list = SequenceTranslator(**params).fit(X, y)
    model = SequenceTranslator(**params).fit((x for x in X), iter(y))
    assert model.source_encoder_.tokens_ == from_list.source_encoder_.tokens_
    assert model.score_samples(iter(X), y).tolist() == (
        from_list.score_samples(X, y).tolist()
    )


def test_predict_joins_words_as_fitted_whatever_target_analyzer_says():
    X = ["a b", "b a"] * 4
    y = ["a b a b a b", "b a b a b a"] * 4
    model = SequenceTranslator(
        analyzer="word", target_analyzer="word", max_epochs=1, max_length=4, **FAST
    ).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # cut at max_length
        pred = model.predict(X[:2])
        model.set_params(target_analyzer="char")
        assert model.predict(X[:2]) == pred
    assert all(p.count(" ") == len(p.split()) - 1 >= 1 for p in pred)


def test_sklearn_tags_say_y_is_required():
    tags = SequenceTranslator().__sklearn_tags__()
    assert tags.target_tags.required and tags.input_tags.string


def test_user_callbacks_named_like_the_early_stopping_ones_stay_without_it():
    # the translator dropped any callback named "early_stopping" or
    # "valid_acc", even with early_stopping=False
    from skorch.callbacks import Callback

    class Mark(Callback):
        def on_epoch_end(self, net, **kwargs):
            net.history.record("marked", 1)

    X, y = ["ab", "abc", "b", "ca"] * 3, ["ba", "cba", "b", "ac"] * 3
    for name in ("early_stopping", "valid_acc"):
        model = SequenceTranslator(
            max_epochs=1, hidden_size=4, callbacks=[(name, Mark())], random_state=0
        ).fit(X, y)
        assert model.history_[-1, "marked"] == 1
