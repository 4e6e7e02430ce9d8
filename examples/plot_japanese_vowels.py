"""
Ragged sequences: speakers from Japanese vowels, against 1-nearest-neighbour
============================================================================

Nine male speakers each uttered the Japanese vowels /ae/; every recording is a
sequence of 12 LPC cepstrum coefficients, 7 to 29 frames long.  The task is to
tell the speaker from one recording (270 training and 370 test recordings,
bundled with sktime).  On so small a set the two classifiers below end close
together; the point is how little the ragged input asks of the user.

The reader learns that ragged input needs no padding and no mask: a list of
``(T_i, 12)`` arrays goes straight into :class:`~seqlearn.RNNClassifier`.  The
baseline is the 1-nearest-neighbour classifier that time-series papers
report, here on recordings resampled to one length so that a Euclidean
distance applies.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.neighbors import KNeighborsClassifier
from sktime.datasets import load_japanese_vowels

from seqlearn import RNNClassifier

X_train_df, y_train = load_japanese_vowels(split="train", return_type="df-list")
X_test_df, y_test = load_japanese_vowels(split="test", return_type="df-list")
X_train = [frame.to_numpy(dtype=np.float32) for frame in X_train_df]
X_test = [frame.to_numpy(dtype=np.float32) for frame in X_test_df]
lengths = [len(x) for x in X_train]
print(f"{len(X_train)} training recordings, {len(X_test)} test recordings")
print(f"frames per recording: {min(lengths)} to {max(lengths)}, 12 coefficients each")

# %%
# The baseline: resample every recording to 29 frames (linear interpolation
# of each coefficient) and classify by the nearest training recording.


def resample(x, n=29):
    old = np.linspace(0, 1, len(x))
    new = np.linspace(0, 1, n)
    return np.stack([np.interp(new, old, x[:, j]) for j in range(x.shape[1])], 1)


knn = KNeighborsClassifier(n_neighbors=1)
knn.fit(np.stack([resample(x).ravel() for x in X_train]), y_train)
knn_acc = knn.score(np.stack([resample(x).ravel() for x in X_test]), y_test)
print(f"1-NN on resampled recordings: test accuracy {knn_acc:.3f}")

# %%
# The recurrent classifier reads each recording at its own length, with its
# default settings (an LSTM of 64 units, 100 epochs).
start = time.perf_counter()
clf = RNNClassifier(random_state=0).fit(X_train, y_train)
rnn_acc = clf.score(X_test, y_test)
print(
    f"RNNClassifier: test accuracy {rnn_acc:.3f} ({time.perf_counter() - start:.0f} s)"
)

# %%
# Which speakers are confused with which.
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ConfusionMatrixDisplay.from_predictions(
    y_test, clf.predict(X_test), ax=ax, colorbar=False
)
ax.set_title(f"RNN {rnn_acc:.3f} vs 1-NN {knn_acc:.3f}")
fig.tight_layout()
plt.show()
