"""Training schedules: a warm-up + cosine learning rate and an update budget.

Small data sets give few optimizer steps per epoch (50 sequences in batches of
32 are 2 steps), so a budget counted in epochs starves them.
:func:`budget_epochs` turns a minimum number of updates into epochs, and
:class:`WarmupCosineLR` anneals the learning rate over those updates.
"""

import math
import numbers

from skorch.callbacks import Callback, EarlyStopping

__all__ = [
    "StopTraining",
    "WarmEarlyStopping",
    "WarmupCosineLR",
    "budget_epochs",
    "lr_at_step",
]


class StopTraining(Exception):  # noqa: N818 (a signal, not an error)
    """Raise from a callback to end training early and keep the model.

    ``KeyboardInterrupt`` (Ctrl-C) propagates out of ``fit`` and leaves the
    estimator as it was; a callback that wants to stop and keep what was
    learnt so far raises this instead.

    Examples
    --------
    >>> from skorch.callbacks import Callback
    >>> from seqlearn.callbacks import StopTraining
    >>> class StopBelow(Callback):
    ...     def on_epoch_end(self, net, **kwargs):
    ...         if net.history[-1, "train_loss"] < 0.1:
    ...             raise StopTraining
    """


def lr_at_step(step, total_steps, base_lr, warmup_fraction=0.1, final_lr_ratio=0.01):
    """Learning rate of optimizer ``step`` (0-based) of ``total_steps``.

    Linear warm-up from ``base_lr / warmup_steps`` to ``base_lr`` over the
    first ``ceil(warmup_fraction * total_steps)`` steps, then cosine decay to
    ``final_lr_ratio * base_lr`` at the last step; held there beyond it.  The
    first step of the schedule is never decayed: a one-step schedule without
    warm-up runs at ``base_lr``.

    Parameters
    ----------
    step : int
        Optimizer step, counted from 0.
    total_steps : int
        Steps of the whole schedule (>= 1).
    base_lr : float
        Peak learning rate.
    warmup_fraction : float, default=0.1
        Fraction of the steps spent warming up, in [0, 1).
    final_lr_ratio : float, default=0.01
        Final learning rate as a fraction of ``base_lr``.

    Returns
    -------
    float
        The learning rate of that step.

    Raises
    ------
    ValueError
        If ``total_steps`` is not an integer >= 1.
    """
    if not isinstance(total_steps, numbers.Integral) or total_steps < 1:
        raise ValueError(f"total_steps must be an integer >= 1, got {total_steps!r}.")
    warmup = math.ceil(warmup_fraction * total_steps)
    if step < warmup:
        return base_lr * (step + 1) / warmup
    # steps from the peak to the last step; with none, any later step is final
    decay = total_steps - warmup - 1
    progress = min((step - warmup) / decay, 1.0) if decay > 0 else float(step > 0)
    ratio = final_lr_ratio + (1 - final_lr_ratio) * 0.5 * (
        1 + math.cos(math.pi * progress)
    )
    return base_lr * ratio


def budget_epochs(
    n_samples, batch_size, max_epochs, min_updates=0, validation_fraction=0.0
):
    """Epochs that give at least ``min_updates`` optimizer steps.

    ``max(max_epochs, ceil(min_updates / batches_per_epoch))``: large data
    sets keep ``max_epochs``; small ones train for more epochs, so that every
    data set sees enough updates.

    Parameters
    ----------
    n_samples : int
        Sequences in the training data.
    batch_size : int
        Sequences per mini-batch.
    max_epochs : int
        The epoch budget asked for.
    min_updates : int, default=0
        Minimum number of optimizer steps.
    validation_fraction : float, default=0.0
        Fraction held out for validation (not trained on).

    Returns
    -------
    int
        The number of epochs to train.

    Raises
    ------
    ValueError
        If ``batch_size`` is below 1.

    Examples
    --------
    >>> from seqlearn.callbacks import budget_epochs
    >>> budget_epochs(50, 32, max_epochs=100, min_updates=600)  # 2 batches/epoch
    300
    >>> budget_epochs(5000, 32, max_epochs=100, min_updates=600)
    100
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
    n_train = max(n_samples - math.ceil(validation_fraction * n_samples), 1)
    batches = math.ceil(n_train / batch_size)
    return max(max_epochs, math.ceil(min_updates / batches))


class WarmEarlyStopping(EarlyStopping):
    """skorch's :class:`~skorch.callbacks.EarlyStopping`, blind to a warm-up.

    During the first ``start`` epochs the best score and weights are still
    recorded, but an epoch without improvement is not a miss: a learning
    rate still warming up (:class:`WarmupCosineLR`) is no reason to stop.

    Parameters
    ----------
    start : int, default=0
        Epochs before misses count (0: skorch's behaviour).
    **kwargs
        Passed to :class:`~skorch.callbacks.EarlyStopping` (``monitor``,
        ``patience``, ``load_best``, ...).

    Examples
    --------
    >>> from seqlearn.callbacks import WarmEarlyStopping
    >>> stop = WarmEarlyStopping(start=30, monitor="valid_loss", patience=30)
    """

    def __init__(self, start=0, **kwargs):
        super().__init__(**kwargs)
        self.start = start

    def on_epoch_end(self, net, **kwargs):
        """Record the score; count a miss only after ``start`` epochs."""
        if len(net.history) > self.start:
            return super().on_epoch_end(net, **kwargs)
        patience, self.patience = self.patience, math.inf
        try:  # records the best score and weights, never stops
            super().on_epoch_end(net, **kwargs)
        finally:
            self.patience, self.misses_ = patience, 0


class WarmupCosineLR(Callback):
    """Set the learning rate before every optimizer step: warm-up, then cosine.

    The schedule spans ``net.max_epochs`` epochs of the training split (the
    part left after the validation split), counted in optimizer steps; its
    peak is ``net.lr``.  See :func:`lr_at_step`.  Early stopping may end
    training before the schedule does.

    Parameters
    ----------
    warmup_fraction : float, default=0.1
        Fraction of the steps spent warming up linearly, in [0, 1).
    final_lr_ratio : float, default=0.01
        Learning rate at the end as a fraction of the peak.

    Attributes
    ----------
    total_steps_ : int
        Steps of the schedule, set when training begins.
    step_ : int
        Optimizer steps taken so far.

    Examples
    --------
    >>> from seqlearn import RNNClassifier
    >>> from seqlearn.callbacks import WarmupCosineLR
    >>> clf = RNNClassifier(callbacks=[("lr", WarmupCosineLR())])
    """

    def __init__(self, warmup_fraction=0.1, final_lr_ratio=0.01):
        self.warmup_fraction = warmup_fraction
        self.final_lr_ratio = final_lr_ratio

    def initialize(self):
        """Check the arguments (skorch calls this when the net is built).

        Returns
        -------
        self : WarmupCosineLR
            The callback.
        """
        if not 0 <= self.warmup_fraction < 1:
            raise ValueError(
                f"warmup_fraction must be in [0, 1), got {self.warmup_fraction!r}."
            )
        if not 0 <= self.final_lr_ratio <= 1:
            raise ValueError(
                f"final_lr_ratio must be in [0, 1], got {self.final_lr_ratio!r}."
            )
        return super().initialize()

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Count the optimizer steps of the schedule."""
        dataset_train, _ = net.get_split_datasets(X, y)
        batches = len(net.get_iterator(dataset_train, training=True))
        self.total_steps_ = max(net.max_epochs * batches, 1)
        self.step_ = 0

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        """Set the learning rate of the coming training step."""
        if not training:
            return
        lr = lr_at_step(
            self.step_,
            self.total_steps_,
            net.lr,
            self.warmup_fraction,
            self.final_lr_ratio,
        )
        for group in net.optimizer_.param_groups:
            group["lr"] = lr
        self.step_ += 1
