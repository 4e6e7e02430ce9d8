"""Linear-chain conditional random field: likelihood, Viterbi, marginals.

A linear-chain CRF scores a tag path ``y`` of a sequence with per-step
emission scores ``E`` (from a network) and learned transition scores::

    score(y) = start[y_0] + sum_t E[t, y_t] + sum_t trans[y_{t-1}, y_t] + end[y_T-1]

and ``p(y | x) = exp(score(y)) / Z``.  Everything here is vectorised over the
batch and loops over time steps only; ragged batches are handled with the
sequence lengths, so padding never changes a result.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor, nn

from seqlearn._docstrings import fill_doc
from seqlearn.nn._validation import check_positive_int
from seqlearn.nn.constants import PAD_TARGET
from seqlearn.nn.encoder import check_lengths

__all__ = ["CRF", "CRFLoss", "allowed_transitions", "repair_scheme"]

SCHEMES = ("iob1", "iob2", "iobes")

#: Allowed transitions, starts and ends, as :func:`allowed_transitions` returns.
Allowed = tuple[Tensor, Tensor, Tensor]

# Score added to a forbidden transition: finite, so that log-sum-exp and its
# gradient stay finite, yet far below any path a network can score.
FORBIDDEN = -1e4


def _split_tag(tag: str, scheme: str) -> tuple[str, str | None]:
    """Return ``(prefix, type)`` of a tag, e.g. ``"B-PER" -> ("B", "PER")``."""
    if tag == "O":
        return "O", None
    prefix, sep, kind = str(tag).partition("-")
    allowed = "BIES" if scheme == "iobes" else "BI"
    if not sep or prefix not in allowed or not kind:
        raise ValueError(
            f"The tag {tag!r} does not follow the {scheme.upper()} scheme: tags must "
            f"be 'O' or '<prefix>-<type>' with a prefix in {list(allowed)}."
        )
    return prefix, kind


def _allowed(prev: tuple | None, cur: tuple | None, scheme: str) -> bool:
    """Whether the tag ``cur`` may follow ``prev`` (None: sequence start/end)."""
    if cur is None:  # prev -> end of sequence
        return scheme != "iobes" or prev[0] in ("O", "E", "S")
    prefix, kind = cur
    if scheme == "iob1":
        # B- only separates two adjacent entities of the same type
        return prefix != "B" or (prev is not None and prev[1] == kind)
    if scheme == "iob2":
        return prefix != "I" or (
            prev is not None and prev[0] in ("B", "I") and prev[1] == kind
        )
    # iobes: inside an entity only I-/E- of its type may follow
    if prev is not None and prev[0] in ("B", "I"):
        return prefix in ("I", "E") and kind == prev[1]
    return prefix in ("O", "B", "S")


def allowed_transitions(
    labels: Sequence[str], scheme: str
) -> tuple[Tensor, Tensor, Tensor]:
    """Which tag transitions a tagging scheme allows.

    Parameters
    ----------
    labels : sequence of str
        The tags, in the order of the CRF's tag ids, e.g. ``["B-PER", "I-PER",
        "O"]``.
    scheme : {"iob1", "iob2", "iobes"}
        Tagging scheme.  IOB2: ``I-X`` only after ``B-X`` or ``I-X``; IOB1:
        ``B-X`` only right after a ``X`` entity; IOBES: ``B-X`` and ``I-X`` are
        followed by ``I-X`` or ``E-X``, and a sequence cannot end inside an entity.

    Returns
    -------
    transitions : Tensor of shape (C, C), bool
        ``transitions[i, j]``: tag ``j`` may follow tag ``i``.
    start : Tensor of shape (C,), bool
        Tags a sequence may start with.
    end : Tensor of shape (C,), bool
        Tags a sequence may end with.

    Examples
    --------
    >>> from seqlearn.nn import allowed_transitions
    >>> trans, start, end = allowed_transitions(["B-PER", "I-PER", "O"], "iob2")
    >>> trans.int().tolist()  # O -> I-PER is forbidden
    [[1, 1, 1], [1, 1, 1], [1, 0, 1]]
    >>> start.tolist()
    [True, False, True]
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}.")
    tags = [_split_tag(tag, scheme) for tag in labels]
    transitions = torch.tensor([[_allowed(p, c, scheme) for c in tags] for p in tags])
    start = torch.tensor([_allowed(None, c, scheme) for c in tags])
    end = torch.tensor([_allowed(p, None, scheme) for p in tags])
    return transitions.reshape(len(tags), len(tags)), start, end


def _mask_of(lengths, max_length):
    return torch.arange(max_length, device=lengths.device) < lengths.unsqueeze(1)


def _alphas(emissions, mask, trans, start):
    """Forward log-scores ``(L, N, C)``: all paths up to step t ending in a tag.

    Carried unchanged over padding, so the last row is each sequence's last
    real step.
    """
    alpha = start + emissions[:, 0]
    alphas = [alpha]
    real = mask.unsqueeze(2)
    for t in range(1, emissions.shape[1]):
        step = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
        alpha = torch.where(real[:, t], step, alpha)
        alphas.append(alpha)
    return torch.stack(alphas)


def _betas(emissions, mask, trans, end):
    """Backward log-scores ``(L, N, C)``: all paths after step t from a tag."""
    beta = end.expand_as(emissions[:, 0])
    betas = [beta]
    real = mask.unsqueeze(2)
    for t in range(emissions.shape[1] - 2, -1, -1):
        step = torch.logsumexp(trans + (emissions[:, t + 1] + beta).unsqueeze(1), 2)
        beta = torch.where(real[:, t + 1], step, end)
        betas.append(beta)
    return torch.stack(betas[::-1])


class _LogPartition(torch.autograd.Function):
    """``log Z`` by a scaled forward recursion, with a hand-written backward.

    The recursion runs in probability space, renormalised at every step
    (Rabiner's scaling): one small matrix product and four element-wise
    operations per step instead of a log-sum-exp over ``(N, C, C)``, in float64
    so that no realistic score gap underflows.  The gradient of ``log Z`` is
    the expected counts: the marginals for the emissions, the pairwise
    marginals for the transitions, from one backward recursion.  Under
    ``create_graph=True`` the gradient comes from autograd through the
    log-space recursion instead, so that it can be differentiated again
    (gradient penalties, Hessian-vector products).
    """

    @staticmethod
    def forward(ctx, emissions, trans, start, end, mask):
        e = emissions.double()
        real = mask.T.unsqueeze(2)  # (L, N, 1)
        peak = e.amax(dim=2, keepdim=True)  # (N, L, 1)
        probs = (e - peak).exp().transpose(0, 1)  # (L, N, C)
        trans_max = trans.max().double()
        expt = (trans.double() - trans_max).exp()
        start_max = start.max().double()
        first = (start.double() - start_max + e[:, 0] - peak[:, 0]).exp()
        scale = first.sum(1, keepdim=True)
        a = first / scale
        alphas, sums = [a], [scale]
        for t in range(1, e.shape[1]):
            step = (a @ expt) * probs[t]
            step_sum = step.sum(1, keepdim=True)
            a = torch.where(real[t], step / step_sum, a)
            sums.append(torch.where(real[t], step_sum, 1.0))
            alphas.append(a)
        end_max = end.max().double()
        last = (a * (end.double() - end_max).exp()).sum(1)
        steps_shift = ((peak.transpose(0, 1)[1:] + trans_max) * real[1:]).sum((0, 2))
        log_z = (
            torch.cat(sums, 1).log().sum(1)
            + peak[:, 0, 0]
            + start_max
            + steps_shift
            + last.log()
            + end_max
        )
        alphas = torch.stack(alphas)
        ctx.save_for_backward(
            probs, expt, end, real, alphas, emissions, trans, start, mask
        )
        return log_z.to(emissions.dtype)

    @staticmethod
    def backward(ctx, grad):
        probs, expt, end, real, alphas, emissions, trans, start, mask = (
            ctx.saved_tensors
        )
        if torch.is_grad_enabled():  # create_graph=True: a differentiable gradient
            inputs = (emissions, trans, start, end)
            wanted = [i for i in range(4) if ctx.needs_input_grad[i]]
            alphas = _alphas(emissions, mask, trans, start)
            log_z = torch.logsumexp(alphas[-1] + end, dim=1)
            grads = torch.autograd.grad(
                log_z, [inputs[i] for i in wanted], grad, create_graph=True
            )
            out = [None] * 5
            for i, g in zip(wanted, grads, strict=True):
                out[i] = g
            return tuple(out)
        g = grad.double().unsqueeze(1)  # (N, 1)
        last = (end.double() - end.max().double()).exp().expand_as(alphas[0])
        b = last / last.sum(1, keepdim=True)
        betas = [b]
        for t in range(probs.shape[0] - 2, -1, -1):
            step = (probs[t + 1] * b) @ expt.T
            b = torch.where(real[t + 1], step / step.sum(1, keepdim=True), betas[0])
            betas.append(b)
        betas = torch.stack(betas[::-1])
        unary = alphas * betas
        unary = unary / unary.sum(2, keepdim=True) * real * g
        pair = alphas[:-1].unsqueeze(3) * expt * (probs[1:] * betas[1:]).unsqueeze(2)
        pair = pair / pair.sum((2, 3), keepdim=True) * real[1:].unsqueeze(3)
        grad_trans = (pair * g.view(1, -1, 1, 1)).sum((0, 1))
        final = alphas[-1] * last
        grad_end = (final / final.sum(1, keepdim=True) * g).sum(0)
        dtype = grad.dtype
        return (
            unary.transpose(0, 1).to(dtype),
            grad_trans.to(dtype),
            unary[0].sum(0).to(dtype),
            grad_end.to(dtype),
            None,
        )


# The arguments the CRF's methods share, described once.
_ARGUMENT_DOCS = {
    "emissions": "emissions : Tensor of shape (N, L, C)\n    Per-step tag scores.",
    "tags": "tags : Tensor of shape (N, L)\n    Tag ids; padded steps are ignored.",
    "lengths": "lengths : Tensor of shape (N,)\n    Real steps of every sequence.",
}


def _parameters_doc(*names):
    """Fill the ``{parameters}`` line of a docstring with the named arguments."""
    entries = [_ARGUMENT_DOCS[name] for name in names]
    return fill_doc(parameters="\n".join(["Parameters", "----------", *entries]))


class CRF(nn.Module):
    """Linear-chain conditional random field over per-step emission scores.

    Parameters
    ----------
    num_tags : int
        Number of tags ``C``.
    allowed : tuple of (Tensor (C, C), Tensor (C,), Tensor (C,)) of bool, \
default=None
        Allowed transitions, starts and ends, as returned by
        :func:`allowed_transitions`.  Forbidden ones get a fixed score of
        ``-1e4``, so they are never decoded and carry (numerically) no
        probability, in training as in prediction.  None allows everything.

    Attributes
    ----------
    transitions : torch.nn.Parameter of shape (C, C)
        ``transitions[i, j]``: score of tag ``j`` following tag ``i``.
    start_transitions, end_transitions : torch.nn.Parameter of shape (C,)
        Scores of starting and ending a sequence with each tag.

    Notes
    -----
    Shapes: ``emissions`` ``(N, L, C)``; ``tags`` ``(N, L)`` int64 (values at
    padded steps are ignored); ``lengths`` ``(N,)``, each in ``[1, L]``.
    ``forward`` returns the per-sequence negative log-likelihood ``(N,)``.

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn import CRF
    >>> _ = torch.manual_seed(0)
    >>> crf = CRF(3)
    >>> emissions, lengths = torch.randn(2, 4, 3), torch.tensor([4, 2])
    >>> crf(emissions, torch.zeros(2, 4, dtype=torch.long), lengths).shape
    torch.Size([2])
    >>> crf.decode(emissions, lengths).shape
    torch.Size([2, 4])
    >>> torch.allclose(crf.marginals(emissions, lengths)[1, :2].sum(-1), torch.ones(2))
    True
    """

    def __init__(self, num_tags: int, allowed: Allowed | None = None) -> None:
        super().__init__()
        num_tags = check_positive_int(num_tags, "num_tags")
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))
        self.start_transitions = nn.Parameter(torch.zeros(num_tags))
        self.end_transitions = nn.Parameter(torch.zeros(num_tags))
        shapes = [(num_tags, num_tags), (num_tags,), (num_tags,)]
        if allowed is None:
            allowed = [torch.ones(shape, dtype=torch.bool) for shape in shapes]
        for name, mask, shape in zip(
            ("trans", "start", "end"), allowed, shapes, strict=True
        ):
            mask = torch.as_tensor(mask, dtype=torch.bool)
            if mask.shape != shape:
                raise ValueError(
                    f"allowed {name} mask must have shape {shape}, got "
                    f"{tuple(mask.shape)}."
                )
            penalty = torch.zeros(shape).masked_fill(~mask, FORBIDDEN)
            self.register_buffer(f"_{name}_penalty", penalty)

    # ------------------------------------------------------------ scores
    def _scores(self):
        """Transition, start and end scores with the forbidden ones masked."""
        return (
            self.transitions + self._trans_penalty,
            self.start_transitions + self._start_penalty,
            self.end_transitions + self._end_penalty,
        )

    def _check(self, emissions, lengths):
        """Return the checked lengths, the mask of real steps and :meth:`_scores`."""
        if emissions.dim() != 3 or emissions.shape[2] != self.num_tags:
            raise ValueError(
                f"emissions must have shape (N, L, {self.num_tags}), got "
                f"{tuple(emissions.shape)}."
            )
        N, L, _ = emissions.shape
        lengths = check_lengths(lengths, N, L, emissions.device)
        return lengths, _mask_of(lengths, L), *self._scores()

    def _check_tags(self, tags, emissions, mask):
        """Tag ids ``(N, L)`` in ``[0, C)`` at real steps; padded steps set to 0."""
        if not isinstance(tags, Tensor) or tags.shape != emissions.shape[:2]:
            shape = tuple(tags.shape) if isinstance(tags, Tensor) else type(tags)
            raise ValueError(
                f"tags must be a tensor of shape {tuple(emissions.shape[:2])} "
                f"(N, L), as the emissions; got {shape}."
            )
        tags = tags.to(emissions.device).long()
        bad = mask & ((tags < 0) | (tags >= self.num_tags))
        if bad.any():
            n, t = (int(i) for i in bad.nonzero()[0])
            raise ValueError(
                f"tags must be ids in [0, {self.num_tags - 1}] at every real "
                f"step; sequence {n} has {int(tags[n, t])} at step {t}."
            )
        return tags.masked_fill(~mask, 0)

    @_parameters_doc("emissions", "tags", "lengths")
    def score(self, emissions: Tensor, tags: Tensor, lengths: Tensor) -> Tensor:
        """Return the unnormalised score of the given tag paths.

        The start score of the first tag, the emission scores, the transition
        scores between consecutive tags and the end score of the last tag.

        {parameters}

        Returns
        -------
        Tensor of shape (N,)
            ``score(tags)`` of every sequence.
        """
        lengths, mask, trans, start, end = self._check(emissions, lengths)
        tags = self._check_tags(tags, emissions, mask)
        emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)
        steps = (trans[tags[:, :-1], tags[:, 1:]] * mask[:, 1:]).sum(1)
        last = tags.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1)
        return start[tags[:, 0]] + (emitted * mask).sum(1) + steps + end[last]

    @_parameters_doc("emissions", "lengths")
    def log_partition(self, emissions: Tensor, lengths: Tensor) -> Tensor:
        """Return ``log Z``, the log-sum-exp of the scores of all tag paths.

        A scaled forward recursion in float64, with a hand-written backward
        pass that yields the expected tag and transition counts (under
        ``create_graph=True``, autograd's through the log-space recursion, so
        that second derivatives are right).  Where the scaled recursion
        underflows (a forbidden tag outscoring every allowed one by over about
        700), the log-space recursion takes over, with autograd's backward.

        {parameters}

        Returns
        -------
        Tensor of shape (N,)
            ``log Z`` of every sequence.
        """
        lengths, mask, trans, start, end = self._check(emissions, lengths)
        log_z = _LogPartition.apply(emissions, trans, start, end, mask)
        if not torch.isfinite(log_z).all():  # NaN emissions stay NaN
            log_z = torch.logsumexp(_alphas(emissions, mask, trans, start)[-1] + end, 1)
        return log_z

    @_parameters_doc("emissions", "tags", "lengths")
    def forward(self, emissions: Tensor, tags: Tensor, lengths: Tensor) -> Tensor:
        """Return the negative log-likelihood of every sequence's tag path.

        The loss a CRF tagger minimises: ``log Z - score(tags)``.

        {parameters}

        Returns
        -------
        Tensor of shape (N,)
            ``log Z - score(tags)``, non-negative.
        """
        return self.log_partition(emissions, lengths) - self.score(
            emissions, tags, lengths
        )

    # ------------------------------------------------------------ inference
    @torch.no_grad()
    @_parameters_doc("emissions", "lengths")
    def decode(self, emissions: Tensor, lengths: Tensor) -> Tensor:
        """Return the most probable tag path of every sequence (Viterbi).

        One max-product step per time step, vectorised over the batch and the
        tags, then one pass back along the stored best predecessors.

        {parameters}

        Returns
        -------
        Tensor of shape (N, L), int64
            Best tags; padded steps hold 0.
        """
        lengths, mask, trans, start, end = self._check(emissions, lengths)
        N, L, _ = emissions.shape
        score = start + emissions[:, 0]
        pointers = []
        for t in range(1, L):
            best, arg = (score.unsqueeze(2) + trans).max(dim=1)
            # over padding, point each tag to itself and keep the score
            keep = torch.arange(self.num_tags, device=arg.device).expand_as(arg)
            pointers.append(torch.where(mask[:, t, None], arg, keep))
            score = torch.where(mask[:, t, None], best + emissions[:, t], score)
        tag = (score + end).argmax(dim=1)
        path = [tag]
        for arg in reversed(pointers):
            tag = arg.gather(1, tag.unsqueeze(1)).squeeze(1)
            path.append(tag)
        path = torch.stack(path[::-1], dim=1)
        return path.masked_fill(~mask, 0)

    @torch.no_grad()
    @_parameters_doc("emissions", "lengths")
    def marginals(self, emissions: Tensor, lengths: Tensor) -> Tensor:
        """Return ``p(y_t = c | x)`` for every step (forward-backward).

        ``exp(alpha_t(c) + beta_t(c) - log Z)`` from the forward and backward
        log-scores.

        {parameters}

        Returns
        -------
        Tensor of shape (N, L, C)
            Marginal probabilities; each real step sums to 1, padded steps
            are 0.  Computed without gradient (``torch.no_grad``): for a loss
            on them, differentiate :meth:`log_partition` (its gradient with
            respect to the emissions is these marginals).
        """
        lengths, mask, trans, start, end = self._check(emissions, lengths)
        alphas = _alphas(emissions, mask, trans, start)
        betas = _betas(emissions, mask, trans, end)
        log_z = torch.logsumexp(alphas[-1] + end, dim=1)
        log_marginals = alphas + betas - log_z.unsqueeze(1)
        return log_marginals.transpose(0, 1).exp() * mask.unsqueeze(2)


class CRFLoss(nn.Module):
    """CRF negative log-likelihood as a skorch criterion; it owns the CRF.

    skorch optimises a criterion's parameters along with the module's, so the
    network produces emission scores and this loss learns the transitions.

    Parameters
    ----------
    num_tags : int
        Number of tags.
    allowed : tuple of bool Tensors, default=None
        Allowed transitions, see :class:`CRF`.

    Attributes
    ----------
    crf : CRF
        The trained CRF, used for decoding.

    Notes
    -----
    ``forward(y_pred, y_true)``: ``y_pred`` ``(N, L, C)`` emissions, ``y_true``
    ``(N, L)`` tag ids padded at the end with -100 (or ``{"y": ...,
    "sample_weight": (N,)}``); a -100 inside a sequence is an error.
    Returns the weighted sum of the sequences' negative log-likelihoods
    divided by the number of real steps, the scale of a per-token
    cross-entropy.

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn import CRFLoss
    >>> loss = CRFLoss(3)
    >>> y = torch.tensor([[0, 2, 1], [1, 1, -100]])
    >>> loss(torch.zeros(2, 3, 3), y).item() > 0
    True
    """

    def __init__(self, num_tags: int, allowed: Allowed | None = None) -> None:
        super().__init__()
        self.crf = CRF(num_tags, allowed)

    def forward(self, y_pred: Tensor, y_true: Tensor | dict) -> Tensor:
        """Return the mean per-step negative log-likelihood of a batch.

        Parameters
        ----------
        y_pred : Tensor of shape (N, L, C)
            Emission scores of the network.
        y_true : Tensor of shape (N, L) or dict
            Tag ids padded with -100, or ``{"y": tags, "sample_weight": (N,)}``.

        Returns
        -------
        Tensor of shape ()
            The weighted sum of the sequences' negative log-likelihoods
            divided by the number of real steps.
        """
        weight = None
        if isinstance(y_true, dict):
            y_true, weight = y_true["y"], y_true["sample_weight"]
        y_true = y_true.to(y_pred.device).long()
        real = y_true != PAD_TARGET
        lengths = real.sum(1)
        inside = real & ~_mask_of(lengths, real.shape[1])
        if inside.any():  # a real tag after a -100: -100 inside the sequence
            n = int(inside.nonzero()[0, 0])
            raise ValueError(
                f"y_true has -100 inside sequence {n}, not only after its last "
                "tag: the CRF scores whole tag paths, so -100 may only pad the end "
                "(it cannot skip a step, e.g. a sub-word)."
            )
        nll = self.crf(y_pred.float(), y_true, lengths)  # float32 under autocast
        if weight is not None:
            nll = nll * weight.to(nll)
        return nll.sum() / lengths.sum().clamp(min=1)


def repair_scheme(tags, lengths, labels, scheme, *, stacklevel=4):
    """Return tag ids with stray tags read as seqeval reads them.

    Real annotations break their scheme now and then ("O I-LOC"); seqeval
    reads such a stray ``I-X`` as the start of an entity, so in IOB2 it
    becomes ``B-X`` (in IOB1 a stray ``B-X`` becomes ``I-X``), with a
    warning.  What cannot be repaired so raises a ValueError: the CRF's
    constraints would forbid it.

    Parameters
    ----------
    tags : ndarray of shape (N, L) or (sum of lengths,), int
        Tag ids: padded (``PAD_TARGET`` after each sequence's end), or the
        sequences' tags one after the other.
    lengths : ndarray of shape (N,)
        Real steps of each sequence.
    labels : list of str
        The tag of each id.
    scheme : {"iob1", "iob2", "iobes"}
        Tagging scheme, as in :func:`allowed_transitions`.
    stacklevel : int, default=4
        Of the warning.

    Returns
    -------
    tags : ndarray of the shape of ``tags``
        The tags, repaired.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from seqlearn.nn.crf import repair_scheme
    >>> with warnings.catch_warnings(record=True):
    ...     repair_scheme(np.array([[2, 1]]), np.array([2]), ["B-X", "I-X", "O"],
    ...                   "iob2").tolist()
    [[2, 0]]
    """
    lengths = np.asarray(lengths)
    if tags.ndim == 2:  # padded: repaired as the concatenated real steps
        real = np.arange(tags.shape[1]) < lengths[:, None]
        out = tags.copy()
        out[real] = repair_scheme(
            tags[real], lengths, labels, scheme, stacklevel=stacklevel + 1
        )
        return out
    trans, start, end = (m.numpy() for m in allowed_transitions(labels, scheme))
    swap = {"iob2": ("I-", "B-"), "iob1": ("B-", "I-")}.get(scheme)
    repair = np.arange(len(labels))
    unfixable = {}  # stray tags whose repair is no label: id -> wanted label
    if swap is not None:
        for i, tag in enumerate(map(str, labels)):
            fixed = swap[1] + tag[2:]
            if tag.startswith(swap[0]) and fixed in labels:
                repair[i] = labels.index(fixed)
            elif tag.startswith(swap[0]):
                unfixable[i] = fixed
    firsts = np.cumsum(lengths) - lengths
    lasts = firsts + lengths - 1
    seq = np.repeat(np.arange(len(lengths)), lengths)

    def invalid(y):
        bad = np.zeros(y.shape, dtype=bool)
        bad[1:] = ~trans[y[:-1], y[1:]]
        bad[firsts] = ~start[y[firsts]]
        return bad

    bad = invalid(tags)
    if bad.any():
        tags = np.where(bad, repair[tags], tags)
        still = np.bincount(seq[invalid(tags)], minlength=len(lengths)) > 0
        still |= ~end[tags[lasts]]
        for i in np.flatnonzero(still)[:1]:
            own = tags[firsts[i] : lasts[i] + 1]
            path = " ".join(str(labels[t]) for t in own)
            # a stray tag is repaired only into a label that exists
            missing = sorted({unfixable[t] for t in own if t in unfixable})
            why = (
                f" (its stray tags cannot be read as {missing}: no such label in y)"
                if missing
                else ""
            )
            raise ValueError(
                f"y[{i}] is not a valid {scheme.upper()} tag sequence ({path!r}){why}, "
                f"so constraints={scheme!r} would forbid it; fix the tags or use "
                "constraints=None."
            )
        n_bad = int((np.bincount(seq[bad], minlength=len(lengths)) > 0).sum())
        warnings.warn(
            f"{n_bad} sequences of y break the {scheme.upper()} "
            f"scheme; their stray {swap[0]} tags were read as {swap[1]} tags (as "
            "seqeval reads them).",
            UserWarning,
            stacklevel=stacklevel,
        )
    return tags
