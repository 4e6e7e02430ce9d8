"""
Data-parallel training of one classifier on several processes
=============================================================

Train one :class:`~seqlearn.RNNClassifier` on the ragged, multivariate
Japanese vowels recordings with every process computing the gradient of its
slice of each batch: the engine is skorch's ``AccelerateMixin`` on top of
Hugging Face ``accelerate`` (``pip install ".[accelerate]"`` from a clone).  The
same script runs on one process (``python examples/ddp_train.py``) or on
several, on CPUs (gloo) or one GPU per process::

    torchrun --standalone --nproc_per_node 2 examples/ddp_train.py
    accelerate launch --num_processes 2 examples/ddp_train.py

Every process builds the same estimator with the same ``random_state``, so all
draw the same batches; the averaged gradient equals the whole batch's, and the
fitted weights match a one-process fit (see ``seqlearn.parallel`` for when they
differ slightly).
"""

# %%
# A data-parallel classifier is the estimator with a mixin on its left.  Define
# it at module level so the fitted model pickles.
import os

import numpy as np
from sktime.datasets import load_japanese_vowels

from seqlearn import RNNClassifier
from seqlearn.parallel import DataParallelMixin

os.environ.setdefault("OMP_NUM_THREADS", "1")


class DataParallelClassifier(DataParallelMixin, RNNClassifier):
    """RNNClassifier trained data-parallel with accelerate."""


def load(split):
    """Japanese vowels as a list of (T_i, 12) arrays and speaker labels."""
    X, y = load_japanese_vowels(split=split, return_type="df-list")
    return [np.asarray(x, dtype=np.float32) for x in X], y


# %%
# Fit as usual: every process runs this line on the same data.
X_train, y_train = load("train")
X_test, y_test = load("test")
clf = DataParallelClassifier(
    hidden_size=32, max_epochs=15, batch_size=32, random_state=0
).fit(X_train, y_train)

# %%
# After training the module is unwrapped: predicting and pickling work as for
# the plain estimator (``seqlearn.save`` does not take the data-parallel
# subclass: pickle it).  Report (and pickle) from the first process only.
rank = int(os.environ.get("RANK", 0))
world_size = int(os.environ.get("WORLD_SIZE", 1))
accuracy = clf.score(X_test, y_test)
if rank == 0:
    print(f"{world_size} process(es): test accuracy {accuracy:.3f}")
