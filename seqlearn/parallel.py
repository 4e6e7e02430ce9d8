"""Data-parallel training of one estimator with Hugging Face ``accelerate``.

Each process launched by ``accelerate launch`` or ``torchrun`` builds the same
estimator with the same ``random_state`` and calls ``fit`` on the same data.
Seeded alike, every process draws the same batches in the same order; each
takes its slice of every batch (``batch[rank::world_size]``), and DDP averages
the gradients, so one step sees the whole batch as in a one-process fit.  The
engine is skorch's :class:`~skorch.hf.AccelerateMixin`; ``accelerate`` is an
optional dependency (``pip install ".[accelerate]"`` from a clone).

Differences from a one-process fit with the same ``batch_size``: the gradient
is the mean of the per-process mean losses, equal to the whole-batch mean when
every slice holds as many sequences (per-sequence losses, a batch size divisible
by the number of processes) and otherwise weighted slightly differently (the
last, short batch; per-step losses of :class:`~seqlearn.SequenceTagger`, which
average over real steps); dropout draws different masks; a batch smaller than
the number of processes is skipped.
"""

from __future__ import annotations

import torch
from skorch import NeuralNet
from skorch.hf import AccelerateMixin

from seqlearn.base import SeqNet

__all__ = ["DataParallelMixin", "DataParallelNet", "ShardedBatchIterator"]


def _print_on_main(*args, **kwargs):
    """Print from the first process only (a picklable PrintLog sink)."""
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0:
        print(*args, **kwargs)


class ShardedBatchIterator:
    """One process's slice of every batch of a length-bucketing iterator.

    Parameters
    ----------
    iterator : BucketBatchIterator
        The iterator every process builds alike (same seed, same batches).
    rank : int
        Index of this process.
    world_size : int
        Number of processes.

    Examples
    --------
    >>> import numpy as np
    >>> from seqlearn.data import BucketBatchIterator, SequenceDataset
    >>> data = SequenceDataset(np.zeros((8, 3, 1), np.float32), np.full(8, 3))
    >>> shard = ShardedBatchIterator(BucketBatchIterator(data, 4), 1, 2)
    >>> [batch[0]["x"].shape[0] for batch in shard]
    [2, 2]
    """

    def __init__(self, iterator, rank, world_size):
        self.iterator = iterator
        self.rank = rank
        self.world_size = world_size

    def __len__(self) -> int:
        # only the batches with a sequence for every process are yielded
        sizes = self.iterator.batch_sizes()
        return sum(size >= self.world_size for size in sizes)

    def __iter__(self):
        dataset = self.iterator.dataset
        for idx in self.iterator.batch_indices():
            # every process sees the same idx, so all skip the same batches
            # (an empty slice would leave one process without a step)
            if len(idx) >= self.world_size:
                yield dataset.__getitems__(idx[self.rank :: self.world_size])


class DataParallelNet(AccelerateMixin, SeqNet):
    """skorch ``NeuralNet`` trained data-parallel by ``accelerate``.

    Parameters
    ----------
    *args, **kwargs
        Passed to :class:`skorch.NeuralNet`.
    accelerator : accelerate.Accelerator, default=None
        None creates ``Accelerator(device_placement=False)`` (with ``cpu=True``
        when CUDA is unavailable, so a CPU launch uses gloo): skorch places the
        module and batches on ``accelerator.device``, the device accelerate
        assigned to this process (the ``device`` argument is ignored).

    Notes
    -----
    The loss has no parameters, so it is not wrapped for DDP (torch rejects
    a module without trainable parameters).  After training the module is
    unwrapped and the accelerator is dropped from pickles, so the fitted net
    predicts and pickles like a plain ``NeuralNet``.
    """

    # mixed precision goes through Accelerator(mixed_precision="bf16")
    bf16 = False

    def __init__(self, *args, accelerator=None, device=None, **kwargs):
        if accelerator is None:
            from accelerate import Accelerator

            # without cpu=True accelerate ignores a multi-process CPU launch
            cpu = not torch.cuda.is_available()
            accelerator = Accelerator(cpu=cpu, device_placement=False)
        # skorch moves module and batches unless accelerate places them
        device = None if accelerator.device_placement else str(accelerator.device)
        # skorch's PrintLog calls any sink but ``print`` even when verbose=0
        sink = _print_on_main if kwargs.get("verbose", 1) else print
        kwargs.setdefault("callbacks__print_log__sink", sink)
        super().__init__(*args, accelerator=accelerator, device=device, **kwargs)

    def _initialize_accelerator(self):
        criteria, self._criteria = self._criteria, []
        try:
            return super()._initialize_accelerator()
        finally:
            self._criteria = criteria

    def get_iterator(self, dataset, training=False):
        """Return the plain iterator, or this process's shard when training."""
        iterator = NeuralNet.get_iterator(self, dataset, training=training)
        if not training:
            return iterator
        state = self.accelerator.state
        return ShardedBatchIterator(iterator, state.process_index, state.num_processes)

    def evaluation_step(self, batch, training=False):
        """Evaluate a batch in this process (no gathering across processes)."""
        return NeuralNet.evaluation_step(self, batch, training=training)

    def __getstate__(self):
        state = super().__getstate__()
        state["accelerator"] = None  # holds the process group: not picklable
        return state


class DataParallelMixin:
    """Make a seqlearn estimator train data-parallel (mix in on the left).

    Examples
    --------
    Define the class at module level (so it pickles) and launch the script on
    every process with ``torchrun --nproc_per_node 2 script.py``; in a single
    process it trains like the plain estimator.

    >>> import numpy as np
    >>> from seqlearn import SequenceRegressor
    >>> from seqlearn.parallel import DataParallelMixin
    >>> class DataParallelRegressor(DataParallelMixin, SequenceRegressor):
    ...     pass
    >>> X = np.random.default_rng(0).normal(size=(32, 5, 1))
    >>> reg = DataParallelRegressor(hidden_size=4, max_epochs=1, random_state=0)
    >>> reg.fit(X, X.sum(axis=(1, 2))).predict(X[:2]).shape
    (2,)
    """

    _net_cls = DataParallelNet
