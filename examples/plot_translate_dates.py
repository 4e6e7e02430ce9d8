"""
Normalising dates with an encoder-decoder: where does the model look?
=====================================================================

The reader learns how :class:`seqlearn.SequenceTranslator` maps strings to
strings of another length: "saturday march 9 1991" to "1991-03-09".  A
bidirectional LSTM reads the characters of the human-written date, a decoder
with additive (Bahdanau) attention writes the ISO date one character at a
time, and early stopping keeps the weights with the best exact match on a
held-out tenth of the training pairs, decoded freely (never teacher forced).
The attention map of a prediction shows which input characters the model
read to write each output character: the year digits look at the year, the
month at the month name.

Data: deeplearning.ai's date-normalisation task regenerated offline with
:func:`seqlearn.datasets.make_date_normalization` (babel's ``en_US``
formats, dates from 1970 to 2019, de-duplicated inputs).
"""

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from seqlearn import SequenceTranslator
from seqlearn.datasets import make_date_normalization
from seqlearn.metrics import edit_error_rate
from seqlearn.plotting import plot_attention

X, y = make_date_normalization(10000, random_state=0)
X_train, y_train, X_test, y_test = X[:9000], y[:9000], X[9000:], y[9000:]
for x, t in zip(X[:4], y[:4], strict=True):
    print(f"{x!r:>32} -> {t}")

# %%
# Characters in, characters out.  The output length (10) differs from the
# input's (8 to 30 characters); the model learns where to stop from the end
# marker the vocabulary adds to every target.
model = SequenceTranslator(
    analyzer="char",
    target_analyzer="char",
    attention="bahdanau",
    hidden_size=64,
    embedding_dim=16,
    max_epochs=4,
    early_stopping=True,
    random_state=0,
)
model.fit(X_train, y_train)
print("held-out exact match per epoch:", model.history_[:, "valid_acc"])

# %%
# Exact match counts a date as right only if all ten characters are; the
# character error rate says how far the misses are.
pred = model.predict(X_test)
print(f"test exact match: {model.score(X_test, y_test):.3f}")
print(f"test character error rate: {edit_error_rate(y_test, pred):.4f}")
for x in ["3 may 1979", "tuesday july 8 2008", "08.09.71", "march 21 2001"]:
    print(f"{x!r:>24} -> {model.predict([x])[0]}")

# %%
# Beam search keeps several hypotheses per input; on a task this clean it
# rarely changes the answer.  ``beam_size`` is a decoding parameter: no refit.
model.set_params(beam_size=4)
print(f"beam-4 test exact match: {model.score(X_test, y_test):.3f}")
model.set_params(beam_size=1)

# %%
# The attention map: one row per output character, one column per input
# character; each row sums to 1 over the input.
source = "saturday march 9 1991"
(output,), (attention,) = model.predict([source], return_attention=True)
ax = plot_attention(attention, source, output)
ax.set_title(f"{source!r} -> {output!r}")
plt.tight_layout()
plt.savefig("translate_dates_attention.png", dpi=100)
