"""
Named entities in historical Dutch newspapers: an LSTM-CRF on token strings
===========================================================================

The reader learns how to tag named entities with ``SequenceTagger`` straight
from token strings, as with sklearn-crfsuite: the word and character
vocabularies are learnt inside ``fit``, every word is read through its
lowercased word embedding, its capitalisation and a character encoder (so
names never seen in training still have features), and ``crf=True`` with
``constraints="iob2"`` decodes whole tag paths that never contain an invalid
``O -> I-PER`` transition.  The test documents are held out as a whole, as a
new newspaper page would be, and the result is a seqeval-style
classification report.

Data: the Dutch NER documents of the Koninklijke Bibliotheek (CC-0), read by
``seqlearn.datasets.load_dutch_ner``: all 80 documents ship with seqlearn.
On one CPU thread the fit takes a few minutes; ``benchmarks/bench_ner.py``
trains longer and compares with sklearn-crfsuite; here the baseline is the
most frequent tag of each word in the training documents.
"""

# %%
import time
from collections import Counter, defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.model_selection import GroupShuffleSplit

from seqlearn import SequenceTagger
from seqlearn.datasets import load_dutch_ner
from seqlearn.metrics import entity_classification_report, entity_f1_score

data = load_dutch_ner()
train, test = next(
    GroupShuffleSplit(1, test_size=0.2, random_state=0).split(
        data.tokens, groups=data.document_ids
    )
)
X_train, y_train = [data.tokens[i] for i in train], [data.tags[i] for i in train]
X_test, y_test = [data.tokens[i] for i in test], [data.tags[i] for i in test]
print(f"{len(X_train)} training and {len(X_test)} test sentences")
print(X_train[0][:8], y_train[0][:8])

# %%
# Token strings in, tag strings out.  ``embedding_dim`` is the size of the
# word embedding; the character encoder is on by default
# (``char_hidden_size=50``).  ``word_dropout`` hides 5 % of the word ids in
# training, so the tagger learns to read unseen names from their spelling
# and context (it added 0.02-0.03 entity F1 in ``benchmarks/bench_ner.py``'s
# selection on the training documents).
tagger = SequenceTagger(
    crf=True,
    constraints="iob2",
    bidirectional=True,
    embedding_dim=50,
    hidden_size=100,
    dropout=0.5,
    word_dropout=0.05,
    max_epochs=8,
    random_state=0,
)
start = time.perf_counter()
tagger.fit(X_train, y_train)
print(f"fitted in {time.perf_counter() - start:.0f} s")

# %%
# The entity-level report counts an entity as found only if its type and its
# exact span are right.
y_pred = tagger.predict(X_test)
print(entity_classification_report(y_test, y_pred, digits=3))

# %%
# The baseline: tag every word with its most frequent tag in the training
# documents (``O`` for a word never seen), a lookup table with no context.
counts = defaultdict(Counter)
for tokens, tags in zip(X_train, y_train, strict=True):
    for token, tag in zip(tokens, tags, strict=True):
        counts[token][tag] += 1
most_frequent = {token: c.most_common(1)[0][0] for token, c in counts.items()}
y_lookup = [[most_frequent.get(token, "O") for token in tokens] for tokens in X_test]
print(
    f"entity F1: LSTM-CRF {entity_f1_score(y_test, y_pred):.3f}, "
    f"most frequent tag per word {entity_f1_score(y_test, y_lookup):.3f}"
)

# %%
# ``predict_proba`` gives the CRF's marginal probability of every tag at every
# word: a confidence for each decision.
# the test sentence with the most entity words
best = max(range(len(X_test)), key=lambda i: sum(t != "O" for t in y_test[i]))
sentence = X_test[best]
proba = tagger.predict_proba([sentence])[0]
for word, tag, p in zip(sentence, tagger.predict([sentence])[0], proba, strict=True):
    print(f"{word:>15} {tag:6} {p.max():.2f}")

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(range(1, len(tagger.history_) + 1), tagger.history_[:, "train_loss"], "o-")
ax.set_xlabel("epoch")
ax.set_ylabel("CRF negative log-likelihood per word")
ax.set_title("Training an LSTM-CRF on Dutch NER")
fig.tight_layout()
fig.savefig("dutch_ner_training.png")
