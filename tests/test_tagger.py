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
