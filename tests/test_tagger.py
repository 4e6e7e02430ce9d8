import re

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from seqlearn import SequenceTagger
from seqlearn.datasets import load_dutch_ner, make_copy_task
from seqlearn.metrics import entity_f1_scorer, token_accuracy
from seqlearn.preprocessing import VocabularyEncoder


def test_learns_the_delayed_copy_task():
    X, y = make_copy_task(400, lengths=(5, 15), n_symbols=4, delay=1, random_state=0)
    tagger = SequenceTagger(
        embedding_dim=8, hidden_size=32, max_epochs=30, random_state=0
    ).fit(X[:300], y[:300])
    assert tagger.score(X[300:], y[300:]) > 0.95


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "peephole"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_invariance_per_step(cell, bidirectional):
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(t, 2)) for t in rng.integers(2, 10, size=20)]
    y = [np.where(x[:, 0] > 0, "a", "b") for x in X]
    tagger = SequenceTagger(
        cell=cell,
        bidirectional=bidirectional,
        hidden_size=8,
        max_epochs=2,
        random_state=0,
    ).fit(X, y)
    alone = tagger.predict_proba([X[0]])[0]
    among = tagger.predict_proba([rng.normal(size=(25, 2)), X[0]])[1]
    assert alone.shape == (len(X[0]), 2)
    np.testing.assert_allclose(alone, among, atol=1e-6)


def test_output_shapes_follow_the_input():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 6, 2))
    y = (X[..., 0] > 0).astype(int)
    tagger = SequenceTagger(hidden_size=8, max_epochs=2, random_state=0).fit(X, y)
    assert tagger.predict(X).shape == (12, 6)
    assert tagger.predict_proba(X).shape == (12, 6, 2)
    ragged = tagger.predict([X[0, :3], X[1]])
    assert [len(p) for p in ragged] == [3, 6]
    assert 0 <= tagger.score(X, y) <= 1


def test_label_sequence_length_must_match():
    X = [np.ones((3, 1)), np.ones((4, 1))]
    with pytest.raises(ValueError, match=r"y\[1\] has 3 labels but X\[1\] has 4"):
        SequenceTagger().fit(X, [["a"] * 3, ["a"] * 3])
    with pytest.raises(ValueError, match="one label per step"):
        SequenceTagger().fit(X, ["a", "b"])


def test_padding_ids_drop_their_labels_too():
    # id 0 is padding: its label must not be learnt from nor shift the others
    X = np.array([[0, 0, 3, 4], [5, 6, 7, 8]])
    y = np.array([["pad", "pad", "x", "y"], ["x", "y", "x", "y"]])
    tagger = SequenceTagger(embedding_dim=4, hidden_size=8, max_epochs=1).fit(X, y)
    assert "pad" in tagger.classes_  # labels are encoded from y as given
    pred = tagger.predict(X)
    assert [len(p) for p in pred] == [2, 4]


def test_word_pipeline_on_dutch_ner_with_entity_f1_scorer():
    data = load_dutch_ner("sample")
    from sklearn.pipeline import Pipeline

    pipe = Pipeline(
        [
            ("vocab", VocabularyEncoder(analyzer=None, lowercase=False)),
            (
                "tagger",
                SequenceTagger(
                    embedding_dim=16,
                    bidirectional=True,
                    max_epochs=10,
                    lr=0.02,
                    random_state=0,
                ),
            ),
        ]
    )
    tokens, tags = data.tokens[:200], data.tags[:200]
    search = GridSearchCV(
        pipe, {"tagger__hidden_size": [8, 16]}, cv=2, scoring=entity_f1_scorer
    ).fit(tokens, tags)
    pred = search.predict(tokens)
    assert [len(p) for p in pred] == [len(t) for t in tokens]
    # better than tagging everything "O" on the data it was fitted to
    share_o = np.mean(np.concatenate(tags) == "O")
    assert token_accuracy(tags, pred) > share_o + 0.05
    assert search.best_score_ >= 0


# ---------------------------------------------------------------- token strings


def suffix_task(n, seed):
    """Sentences of made-up lowercase words; a word is a place iff it ends in
    "burg" or "dam": only the spelling tells, and test words are all new."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnoprstuvw"))
    X, y = [], []
    for _ in range(n):
        words, tags = [], []
        for _ in range(rng.integers(3, 8)):
            stem = "".join(rng.choice(letters, size=rng.integers(3, 7)))
            place = rng.random() < 0.3
            words.append(stem + rng.choice(["burg", "dam"]) if place else stem)
            tags.append("B-LOC" if place else "O")
        X.append(words)
        y.append(tags)
    return X, y


def test_token_strings_are_encoded_inside_fit():
    X = [["Jan", "woont", "in", "Leiden", "."], ["Piet", "ook", "!"]]
    y = [["B-PER", "O", "O", "B-LOC", "O"], ["B-PER", "O", "O"]]
    tagger = SequenceTagger(hidden_size=8, max_epochs=2, word_min_frequency=1)
    tagger.fit(X, y)
    assert tagger.input_kind_ == "words"
    assert not hasattr(tagger, "n_features_in_")
    assert (
        "leiden" in tagger.word_features_.word_vocabulary_.vocabulary_
    )  # lowercased ids
    assert (
        "L" in tagger.word_features_.char_vocabulary_.vocabulary_
    )  # characters keep case
    pred = tagger.predict([["Onbekend", "woord"], ["Jan"]])  # unseen words are fine
    assert [len(p) for p in pred] == [2, 1]
    assert set(np.concatenate(pred)) <= set(tagger.classes_)
    with pytest.raises(TypeError, match="fitted on text"):
        tagger.predict([np.ones(3)])
    with pytest.raises(TypeError, match="non-string token 3"):
        tagger.predict([["Jan", 3]])
    with pytest.raises(ValueError, match=r"X\[1\] is an empty sequence"):
        tagger.fit([["a"], []], [["O"], []])
    # refitting on numbers forgets the vocabularies
    tagger.fit([np.ones((3, 1))], [["O", "O", "B-PER"]])
    assert tagger.input_kind_ == "sequence" and not hasattr(tagger, "word_features_")


@pytest.mark.parametrize("crf", [False, True])
def test_character_encoder_tags_unseen_words_by_their_spelling(crf):
    X, y = suffix_task(300, seed=0)
    X_test, y_test = suffix_task(100, seed=1)
    params = dict(hidden_size=16, bidirectional=True, max_epochs=8, lr=0.01)
    params.update(crf=crf, char_embedding_dim=8, char_hidden_size=16)
    with_chars = SequenceTagger(**params, random_state=0).fit(X, y)
    without = SequenceTagger(**{**params, "char_hidden_size": None}, random_state=0)
    without.fit(X, y)
    share_o = np.mean(np.concatenate(y_test) == "O")
    assert token_accuracy(y_test, with_chars.predict(X_test)) > 0.97
    assert token_accuracy(y_test, without.predict(X_test)) < share_o + 0.02


def test_word_dropout_replaces_word_ids_by_unknown_in_training_only():
    import torch

    from seqlearn.nn import WordTaggingModel

    torch.manual_seed(0)
    model = WordTaggingModel(
        "lstm",
        8,
        n_outputs=3,
        num_words=10,
        word_embedding_dim=6,
        num_cases=6,
        num_chars=20,
        char_hidden_size=5,
        word_dropout=1.0,
    )
    x = torch.tensor([[[4, 2, 7, 8], [5, 1, 9, 0], [0, 0, 0, 0]]])
    lengths = torch.tensor([2])
    unknown = x.clone()
    unknown[..., 0][x[..., 0] > 0] = 1  # padding stays padding
    model.train()
    dropped = model(x, lengths)
    model.eval()
    torch.testing.assert_close(dropped[:, :2], model(unknown, lengths)[:, :2])
    assert not torch.allclose(model(x, lengths), model(unknown, lengths))
    model.word_dropout = 0.5  # about half the ids, drawn anew each batch
    model.train()
    words = torch.randint(2, 10, (1, 2000, 1))
    x = torch.cat([words, torch.ones_like(words), torch.full_like(words, 3)], -1)
    seen = {}
    model.word_embedding.register_forward_hook(
        lambda m, args, out: seen.__setitem__("ids", args[0])
    )
    model(x, torch.tensor([2000]))
    assert 0.45 < (seen["ids"] == 1).float().mean() < 0.55
    with pytest.raises(ValueError, match="word_dropout must be in"):
        WordTaggingModel("lstm", 8, 3, 10, 6, 6, word_dropout=1.5)


def test_word_dropout_reaches_the_network_and_is_validated():
    X = [["Jan", "woont", "in", "Leiden"], ["Piet", "ook"]] * 5
    y = [["B-PER", "O", "O", "B-LOC"], ["B-PER", "O"]] * 5
    tagger = SequenceTagger(word_dropout=0.3, hidden_size=4, max_epochs=1)
    assert tagger.fit(X, y).net_.module_.word_dropout == 0.3
    with pytest.raises(ValueError, match="word_dropout"):
        SequenceTagger(word_dropout=2.0).fit(X, y)


def test_capitalisation_is_a_feature_even_when_lowercasing():
    # an entity iff capitalised; every test word is unseen
    rng = np.random.default_rng(0)

    def word(i):  # letters only: "w" + the digits of i spelled as letters
        return "w" + "".join("abcdefghij"[int(d)] for d in str(i))

    def sentences(n, offset):
        X, y = [], []
        for i in range(n):
            caps = rng.random(5) < 0.4
            words = [word(offset + 10 * i + j) for j in range(5)]
            X.append([w.title() if c else w for w, c in zip(words, caps, strict=True)])
            y.append(["B-PER" if c else "O" for c in caps])
        return X, y

    X, y = sentences(200, 0)
    X_test, y_test = sentences(50, 100_000)
    tagger = SequenceTagger(
        char_hidden_size=None, hidden_size=8, max_epochs=10, lr=0.02, random_state=0
    ).fit(X, y)
    assert token_accuracy(y_test, tagger.predict(X_test)) > 0.99


def test_crf_tagger_predict_proba_is_marginals_and_decoding_obeys_constraints():
    data = load_dutch_ner("sample")
    X, y = data.tokens[:80], data.tags[:80]
    tagger = SequenceTagger(
        crf=True,
        constraints="iob2",
        bidirectional=True,
        hidden_size=16,
        char_hidden_size=8,
        max_epochs=3,
        random_state=0,
    ).fit(X, y)
    proba = tagger.predict_proba(X)
    for p, x in zip(proba, X, strict=True):
        assert p.shape == (len(x), len(tagger.classes_))
        np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)
    # an untrained-ish CRF would emit O -> I-X; the constraints never do
    for path in tagger.predict(X):
        prev = "O"
        for tag in path:
            assert not tag.startswith("I-") or prev[2:] == tag[2:], path
            prev = tag
    # padding invariance: a sentence alone or beside a longer one
    alone = tagger.predict_proba([X[3]])[0]
    among = tagger.predict_proba([X[0] + X[1], X[3]])[1]
    np.testing.assert_allclose(alone, among, atol=1e-5)
    assert tagger.predict([X[3]])[0].tolist() == tagger.predict(X[:4])[3].tolist()
    assert "train_loss" in tagger.history_[-1]


def test_crf_learns_numeric_input_too():
    X, y = make_copy_task(300, lengths=(5, 15), n_symbols=4, delay=1, random_state=0)
    tagger = SequenceTagger(
        crf=True, embedding_dim=8, hidden_size=32, max_epochs=20, random_state=0
    ).fit(X[:200], y[:200])
    assert tagger.score(X[200:], y[200:]) > 0.95
    proba = tagger.predict_proba(X[200:205])
    np.testing.assert_allclose(np.concatenate(proba).sum(1), 1, atol=1e-5)


def test_crf_parameter_errors_and_scheme_repair():
    X = [["a", "b", "c"], ["d", "e"]]
    with pytest.raises(ValueError, match="class_weight is not supported with crf"):
        SequenceTagger(crf=True, class_weight="balanced").fit(X, [["O"] * 3] * 2)
    with pytest.raises(ValueError, match="needs crf=True"):
        SequenceTagger(constraints="iob2").fit(X, [["O"] * 3, ["O"] * 2])
    with pytest.raises(ValueError, match="does not follow the IOB2 scheme"):
        SequenceTagger(crf=True, constraints="iob2").fit(
            X, [["O", "X", "O"], ["O"] * 2]
        )
    y = [["O", "I-PER", "I-PER"], ["B-PER", "O"]]
    tagger = SequenceTagger(crf=True, constraints="iob2", max_epochs=1, hidden_size=4)
    with pytest.warns(UserWarning, match="1 sequences of y break the IOB2 scheme"):
        tagger.fit(X, y)
    with pytest.raises(ValueError, match=r"y\[0\] is not a valid IOBES tag sequence"):
        SequenceTagger(crf=True, constraints="iobes").fit(
            X, [["O", "B-PER", "O"], ["S-PER", "O"]]
        )


def test_grid_search_over_crf_and_char_encoder_on_token_strings():
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    data = load_dutch_ner("sample")
    tokens, tags = data.tokens[:60], data.tags[:60]
    # a token-string pipeline: normalise digits, then tag
    pipe = Pipeline(
        [
            ("digits", FunctionTransformer(_zero_digits)),
            (
                "tagger",
                SequenceTagger(
                    bidirectional=True, char_hidden_size=8, max_epochs=2, random_state=0
                ),
            ),
        ]
    )
    grid = {
        "tagger__crf": [False, True],
        "tagger__char_embedding_dim": [4, 8],
        "tagger__hidden_size": [8],
    }
    search = GridSearchCV(pipe, grid, cv=2, scoring=entity_f1_scorer).fit(tokens, tags)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    pred = search.predict(tokens[:5])
    assert [len(p) for p in pred] == [len(t) for t in tokens[:5]]


def _zero_digits(X):
    return [[re.sub(r"\d", "0", w) for w in sentence] for sentence in X]


def test_token_string_crf_tagger_is_reproducible_and_picklable():
    import pickle

    from sklearn.base import clone

    data = load_dutch_ner("sample")
    X, y = data.tokens[:40], data.tags[:40]
    params = dict(crf=True, hidden_size=8, char_hidden_size=8, max_epochs=2)
    a = SequenceTagger(**params, random_state=3).fit(X, y)
    b = clone(a).fit(X, y)
    np.testing.assert_array_equal(
        np.concatenate(a.predict_proba(X)), np.concatenate(b.predict_proba(X))
    )
    c = pickle.loads(pickle.dumps(a))
    assert [p.tolist() for p in c.predict(X)] == [p.tolist() for p in a.predict(X)]


def test_problem7_2d_token_ids_give_an_array_back():
    # issue 13 item 7: a 2-D array of token ids returns an ndarray
    rng = np.random.default_rng(0)
    X = rng.integers(1, 6, size=(30, 7))
    y = np.where(X > 3, "hi", "lo")
    tagger = SequenceTagger(
        embedding_dim=4, hidden_size=8, max_epochs=2, random_state=0
    )
    pred = tagger.fit(X, y).predict(X)
    assert isinstance(pred, np.ndarray) and pred.shape == X.shape
    assert tagger.predict_proba(X).shape == (*X.shape, 2)
    # padding id 0 makes rows ragged: they come back as a list of real steps
    X_padded = X.copy()
    X_padded[0, 5:] = 0
    pred = tagger.predict(X_padded)
    assert isinstance(pred, list) and len(pred[0]) == 5 and len(pred[1]) == 7


def test_score_refuses_sample_weight():
    X, y = make_copy_task(20, lengths=(3, 5), n_symbols=3, delay=1, random_state=0)
    tagger = SequenceTagger(embedding_dim=4, hidden_size=4, max_epochs=1).fit(X, y)
    assert 0 <= tagger.score(X, y) <= 1
    with pytest.raises(ValueError, match="sample_weight"):
        tagger.score(X, y, sample_weight=np.ones(len(X)))


def test_text_in_a_pandas_series():
    pd = pytest.importorskip("pandas")
    X = pd.Series([["Jan", "woont"], ["in", "Leiden", "nu"]] * 5)
    y = [["B", "O"], ["O", "B", "O"]] * 5
    tagger = SequenceTagger(hidden_size=4, max_epochs=1, random_state=0).fit(X, y)
    assert tagger.input_kind_ == "words"
    assert [len(p) for p in tagger.predict(X[:2])] == [2, 3]


def test_empty_input_after_a_text_fit_is_named():
    X, y = [["Jan", "woont"], ["in", "Leiden"]] * 5, [["B", "O"], ["O", "B"]] * 5
    tagger = SequenceTagger(hidden_size=4, max_epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"X\[0\] is an empty sequence"):
        tagger.predict([[]])
    with pytest.raises(ValueError, match="0 documents"):
        tagger.predict([])


def test_an_unrepairable_stray_tag_names_the_missing_label():
    X = [["a", "b", "c", "d"], ["a", "b"]] * 10
    y = [["B-PER", "O", "O", "I-LOC"], ["B-PER", "O"]] * 10
    tagger = SequenceTagger(crf=True, constraints="iob2", max_epochs=1)
    with pytest.raises(ValueError, match=r"cannot be read as \['B-LOC'\]"):
        tagger.fit(X, y)


@pytest.mark.parametrize("crf", [False, True])
def test_predict_follows_the_fitted_output_layer_not_the_crf_param(crf):
    X, y = make_copy_task(20, lengths=(3, 5), n_symbols=3, delay=1, random_state=0)
    tagger = SequenceTagger(
        embedding_dim=4, hidden_size=4, max_epochs=2, crf=crf, random_state=0
    ).fit(X, y)
    proba, pred = tagger.predict_proba(X), tagger.predict(X)
    tagger.set_params(crf=not crf)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        tagger.fit(X, y[:-1])  # fails: the fitted CRF (or its absence) stays
    for a, b in zip(proba, tagger.predict_proba(X), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(pred, tagger.predict(X), strict=True):
        np.testing.assert_array_equal(a, b)


def test_score_refuses_labels_of_another_type():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 5, 2))
    y = (X[..., 0] > 0).astype(int)
    tagger = SequenceTagger(hidden_size=4, max_epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="Mix of label input types"):
        tagger.score(X, y.astype(str))
    assert tagger.score(X, y.astype(float)) == tagger.score(X, y)


def test_fit_reads_a_generator_of_sequences():
    X, y = make_copy_task(20, lengths=(3, 5), n_symbols=3, delay=1, random_state=0)
    params = dict(embedding_dim=4, hidden_size=4, max_epochs=1, random_state=0)
    from_list = SequenceTagger(**params).fit(X, y).predict_proba(X)
    tagger = SequenceTagger(**params).fit((x for x in X), y)
    for a, b in zip(from_list, tagger.predict_proba(iter(X)), strict=True):
        np.testing.assert_array_equal(a, b)
    words = [["Jan", "woont"], ["in", "Leiden", "nu"]] * 5
    tags = [["B", "O"], ["O", "B", "O"]] * 5
    tagger = SequenceTagger(hidden_size=4, max_epochs=1).fit(iter(words), tags)
    assert tagger.input_kind_ == "words"


def test_a_single_tag_class_is_refused():
    X = [np.array([1, 2, 3]), np.array([2, 1])]
    with pytest.raises(ValueError, match="only one class: 'O'"):
        SequenceTagger(embedding_dim=4, max_epochs=1).fit(X, [["O"] * 3, ["O"] * 2])


def test_sklearn_tags_say_text_is_read_and_y_required():
    tags = SequenceTagger().__sklearn_tags__()
    assert tags.input_tags.string and tags.target_tags.required


def test_ragged_token_lists_train_the_same_tagger_as_the_padded_array():
    # a list is kept unpadded (its steps concatenated), a 2-D array padded:
    # the batches, and so the fitted tagger, are the same; ids 0 drop their
    # labels in both, and the CRF's scheme repair sees the same tags
    X_list = [[0, 3, 4], [5, 6, 7, 8], [9, 0, 2]] * 10
    X_array = np.array([[0, 3, 4, 0], [5, 6, 7, 8], [9, 0, 2, 0]] * 10)
    tags = [["O", "I-X", "I-X"], ["B-X", "O", "O", "O"], ["O", "O", "I-X"]] * 10
    y_array = np.array([t + ["O"] * (4 - len(t)) for t in tags])
    params = dict(
        embedding_dim=4,
        hidden_size=6,
        max_epochs=3,
        batch_size=8,
        crf=True,
        constraints="iob2",
        random_state=0,
    )
    with pytest.warns(UserWarning, match="break the IOB2 scheme"):
        ragged = SequenceTagger(**params).fit(X_list, tags)
    with pytest.warns(UserWarning, match="break the IOB2 scheme"):
        padded = SequenceTagger(**params).fit(X_array, y_array)
    assert ragged.history_[-1]["train_loss"] == padded.history_[-1]["train_loss"]
    pairs = zip(ragged.predict_proba(X_list), padded.predict_proba(X_list), strict=True)
    for a, b in pairs:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("crf", [False, True])
def test_a_very_long_sentence_among_short_ones_is_tagged_as_alone(crf):
    # inference pads one batch at a time, and the long sentence gets a batch
    # of its own: memory follows the data (benchmarks/bench_memory.py)
    rng = np.random.default_rng(0)
    X = [rng.integers(2, 9, size=4) for _ in range(300)] + [rng.integers(2, 9, 3000)]
    y = [np.where(x > 5, "a", "b") for x in X]
    tagger = SequenceTagger(
        embedding_dim=4, hidden_size=4, max_epochs=1, crf=crf, random_state=0
    ).fit(X, y)
    data = tagger._validate_X(X, reset=False)
    assert data.steps.shape == (sum(map(len, X)),)  # no N x longest array
    proba, labels = tagger.predict_proba(X), tagger.predict(X)
    for i in (0, 300):
        np.testing.assert_allclose(tagger.predict_proba([X[i]])[0], proba[i], atol=1e-5)
        assert tagger.predict([X[i]])[0].tolist() == labels[i].tolist()


def test_text_input_is_kept_unpadded():
    # word, case and character ids of each token, one token after the other
    X = [["Jan", "woont"], ["in", "Leiden", "nu"]] * 5 + [["heel"] * 500]
    y = [["B", "O"], ["O", "B", "O"]] * 5 + [["O"] * 500]
    tagger = SequenceTagger(hidden_size=4, max_epochs=1, random_state=0).fit(X, y)
    data = tagger._validate_X(X, reset=False)
    assert data.steps.shape[0] == sum(map(len, X))
    assert tagger.predict([X[0]])[0].tolist() == tagger.predict(X)[0].tolist()


def test_skorch_scorers_are_refused_with_a_clear_error():
    from skorch.callbacks import BatchScoring, EpochScoring

    rng = np.random.default_rng(0)
    X = [rng.normal(size=(int(rng.integers(3, 8)), 2)) for _ in range(20)]
    y = [(x[:, 0] > 0).astype(int) for x in X]
    for cb in (EpochScoring("accuracy", on_train=True), BatchScoring("accuracy")):
        tagger = SequenceTagger(max_epochs=1, callbacks=[("score", cb)])
        with pytest.raises(ValueError, match=r"callbacks\[0\].*one per step"):
            tagger.fit(X, y)
        assert not hasattr(tagger, "net_")

    # a scoring function of (net, X, y) reads the padded steps itself
    def token_acc(net, X, y):
        pred = net.predict_proba(X).argmax(-1)
        real = y != -100
        return float((pred[real] == y[real]).mean())

    scorer = EpochScoring(token_acc, on_train=True, lower_is_better=False)
    tagger = SequenceTagger(max_epochs=2, callbacks=[("acc", scorer)]).fit(X, y)
    assert 0 <= tagger.history_[-1, "token_acc"] <= 1


def test_a_missing_tag_is_named():
    X = [np.ones((5, 2)) for _ in range(6)]
    y = [np.array(["A", "B", "A", "B", "A"], dtype=object) for _ in range(6)]
    y[3][2] = None
    with pytest.raises(ValueError, match=r"y\[3\]\[2\] is missing \(None\)"):
        SequenceTagger(max_epochs=1).fit(X, y)
