"""
Quick start: classify electricity-demand curves with an LSTM
============================================================

ItalyPowerDemand (bundled with sktime) holds 24-hour electricity demand curves
from Italy; the task is to tell winter days from summer days.  The reader learns
the one conversion seqlearn needs from sktime's layout and that the default
``RNNClassifier`` trains well without tuning; the baseline is the nearest
neighbour of each test curve among the training curves.
"""

# %%
from sklearn.neighbors import KNeighborsClassifier
from sktime.datasets import load_italy_power_demand

from seqlearn import RNNClassifier

# sktime stores series channels-first (n, channels, time); seqlearn wants
# (n, time, features)
X_train, y_train = load_italy_power_demand(split="train", return_type="numpy3D")
X_test, y_test = load_italy_power_demand(split="test", return_type="numpy3D")
X_train, X_test = X_train.transpose(0, 2, 1), X_test.transpose(0, 2, 1)

# %%
# The baseline: the nearest training curve (1-NN, Euclidean distance), the
# classic reference on this archive.
knn = KNeighborsClassifier(n_neighbors=1).fit(X_train[:, :, 0], y_train)
print(f"1-NN baseline accuracy: {knn.score(X_test[:, :, 0], y_test):.3f}")

# %%
clf = RNNClassifier(random_state=0).fit(X_train, y_train)
print(f"train sequences: {len(X_train)}, test sequences: {len(X_test)}")
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")
