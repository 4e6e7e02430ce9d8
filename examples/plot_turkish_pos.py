"""
Part-of-speech tagging of Turkish web text, against the most frequent tag
=========================================================================

Turkish is agglutinative: one stem takes many suffixes, so a word form met at
test time has often never been seen in training.  The data are the web section
of the Turkish treebanks package (Apache-2.0, tagged with 14 universal
part-of-speech tags): 2,033 training and 254 test sentences.

The reader learns to tag with :class:`~seqlearn.SequenceTagger` straight from
token strings, as for named entities, and why its character encoder matters:
the baseline, each word's most frequent tag in training (the overall most
frequent tag for an unseen word), is strong on known words and weak on
unseen ones, and the comparison is printed for both.
"""

# %%
import os
import time
from collections import Counter, defaultdict

os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")

import conllu
import matplotlib.pyplot as plt
import numpy as np
from turkish_treebanks.read import as_conllu

from seqlearn import SequenceTagger
from seqlearn.metrics import token_accuracy


def load(split):
    sentences = conllu.parse(as_conllu(section="web", split=split))
    tokens = [[word["form"] for word in sentence] for sentence in sentences]
    tags = [[word["upos"] for word in sentence] for sentence in sentences]
    return tokens, tags


X_train, y_train = load("train")
X_test, y_test = load("test")
print(f"{len(X_train)} training and {len(X_test)} test sentences")
print(list(zip(X_train[0], y_train[0], strict=True)))

# %%
# The baseline: a lookup table of each word's most frequent tag.
counts = defaultdict(Counter)
for tokens, tags in zip(X_train, y_train, strict=True):
    for token, tag in zip(tokens, tags, strict=True):
        counts[token][tag] += 1
most_frequent = {token: c.most_common(1)[0][0] for token, c in counts.items()}
overall = Counter(tag for tags in y_train for tag in tags).most_common(1)[0][0]
y_lookup = [[most_frequent.get(t, overall) for t in tokens] for tokens in X_test]

# %%
# The tagger reads every word through a lowercased word embedding, its
# capitalisation and a character encoder of its spelling; ``bidirectional``
# lets the words after a word inform its tag.
start = time.perf_counter()
tagger = SequenceTagger(
    bidirectional=True,
    embedding_dim=50,
    hidden_size=64,
    dropout=0.3,
    word_dropout=0.05,
    max_epochs=10,
    random_state=0,
).fit(X_train, y_train)
print(f"fitted in {time.perf_counter() - start:.0f} s")
y_pred = tagger.predict(X_test)

# %%
# Accuracy on all test words, and on the words never seen in training.
unseen = [np.array([t not in counts for t in tokens]) for tokens in X_test]


def accuracies(y_hat):
    right = np.concatenate(
        [np.asarray(p) == np.asarray(t) for p, t in zip(y_hat, y_test, strict=True)]
    )
    mask = np.concatenate(unseen)
    return token_accuracy(y_test, y_hat), right[mask].mean()


rows = {"most frequent tag": accuracies(y_lookup), "SequenceTagger": accuracies(y_pred)}
print(f"unseen test words: {np.concatenate(unseen).mean():.1%}")
print(f"{'':>18} {'all words':>10} {'unseen words':>13}")
for name, (acc_all, acc_unseen) in rows.items():
    print(f"{name:>18} {acc_all:10.3f} {acc_unseen:13.3f}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.2))
x = np.arange(2)
for i, (name, values) in enumerate(rows.items()):
    ax.bar(x + 0.38 * i, values, width=0.38, label=name)
ax.set_xticks(x + 0.19, ["all words", "unseen words"])
ax.set_ylabel("token accuracy")
ax.set_ylim(0, 1)
ax.legend(loc="lower left")
ax.set_title("Turkish UPOS tagging (web section)")
fig.tight_layout()
plt.show()
