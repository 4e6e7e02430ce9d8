"""The linear-chain CRF against brute-force enumeration of all tag paths."""

import itertools

import numpy as np
import pytest
import torch

from seqlearn.nn import CRF, CRFLoss, allowed_transitions
from seqlearn.nn.crf import _LogPartition

C = 3


def make_crf(seed=0, allowed=None, num_tags=C):
    torch.manual_seed(seed)
    crf = CRF(num_tags, allowed)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    return crf


def brute_force(crf, emissions, length):
    """Scores of every tag path of one sequence, by enumeration."""
    trans, start, end = (s.detach().double() for s in crf._scores())
    e = emissions[:length].double()
    paths = list(itertools.product(range(crf.num_tags), repeat=length))
    scores = []
    for path in paths:
        s = start[path[0]] + end[path[-1]] + sum(e[t, k] for t, k in enumerate(path))
        s = s + sum(trans[a, b] for a, b in itertools.pairwise(path))
        scores.append(s)
    return paths, torch.stack(scores)


@pytest.fixture
def batch():
    torch.manual_seed(1)
    lengths = torch.tensor([4, 1, 3, 2])
    emissions = torch.randn(4, 4, C) * 2
    tags = torch.randint(0, C, (4, 4))
    return emissions, tags, lengths


def test_likelihood_and_partition_equal_brute_force(batch):
    emissions, tags, lengths = batch
    crf = make_crf()
    nll = crf(emissions, tags, lengths)
    for i, n in enumerate(lengths.tolist()):
        paths, scores = brute_force(crf, emissions[i], n)
        log_z = torch.logsumexp(scores, 0)
        gold = scores[paths.index(tuple(tags[i, :n].tolist()))]
        torch.testing.assert_close(nll[i].double(), log_z - gold, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(
            crf.log_partition(emissions, lengths)[i].double(),
            log_z,
            rtol=1e-5,
            atol=1e-5,
        )
    assert (nll >= 0).all()


def test_viterbi_equals_brute_force_argmax(batch):
    emissions, _, lengths = batch
    for seed in range(5):
        crf = make_crf(seed)
        decoded = crf.decode(emissions, lengths)
        for i, n in enumerate(lengths.tolist()):
            paths, scores = brute_force(crf, emissions[i], n)
            assert tuple(decoded[i, :n].tolist()) == paths[int(scores.argmax())]
            assert decoded[i, n:].eq(0).all()


def test_marginals_equal_brute_force_and_sum_to_one(batch):
    emissions, _, lengths = batch
    crf = make_crf()
    marginals = crf.marginals(emissions, lengths)
    for i, n in enumerate(lengths.tolist()):
        paths, scores = brute_force(crf, emissions[i], n)
        prob = torch.softmax(scores, 0)
        expected = torch.zeros(n, C, dtype=torch.float64)
        for path, p in zip(paths, prob, strict=True):
            expected[torch.arange(n), torch.tensor(path)] += p
        torch.testing.assert_close(
            marginals[i, :n].double(), expected, atol=1e-5, rtol=0
        )
        assert marginals[i, n:].eq(0).all()
    real = torch.arange(4) < lengths[:, None]
    torch.testing.assert_close(marginals.sum(-1)[real], torch.ones(int(real.sum())))


def test_gradient_of_log_partition_is_the_marginals(batch):
    # forward-backward and autograd through the forward algorithm must agree
    emissions, _, lengths = batch
    crf = make_crf()
    emissions = emissions.clone().requires_grad_()
    crf.log_partition(emissions, lengths).sum().backward()
    torch.testing.assert_close(emissions.grad, crf.marginals(emissions, lengths))


def test_padding_invariance(batch):
    emissions, tags, lengths = batch
    crf = make_crf()
    # garbage in the padding, and one extra padded step, change nothing
    noisy = torch.cat([emissions, torch.zeros(4, 1, C)], 1)
    noisy[torch.arange(5) >= lengths[:, None]] = 1e3
    noisy_tags = torch.cat([tags, torch.full((4, 1), 2)], 1)
    torch.testing.assert_close(
        crf(noisy, noisy_tags, lengths), crf(emissions, tags, lengths)
    )
    assert torch.equal(
        crf.decode(noisy, lengths)[:, :4], crf.decode(emissions, lengths)
    )
    torch.testing.assert_close(
        crf.marginals(noisy, lengths)[:, :4], crf.marginals(emissions, lengths)
    )
    # each sequence alone gives what it gives in the batch
    for i, n in enumerate(lengths.tolist()):
        alone = crf.decode(emissions[i : i + 1, :n], lengths[i : i + 1])
        assert torch.equal(alone[0], crf.decode(emissions, lengths)[i, :n])


LABELS = ["B-LOC", "B-PER", "I-LOC", "I-PER", "O"]


def transitions_of(path, labels):
    return [(labels[a], labels[b]) for a, b in itertools.pairwise(path)]


@pytest.mark.parametrize(
    "scheme, labels, forbidden",
    [
        ("iob2", LABELS, [("O", "I-PER"), ("B-LOC", "I-PER"), ("I-LOC", "I-PER")]),
        (
            "iob1",
            ["B-PER", "I-LOC", "I-PER", "O"],
            [("O", "B-PER"), ("I-LOC", "B-PER")],
        ),
        (
            "iobes",
            ["B-PER", "E-PER", "I-PER", "O", "S-PER"],
            [("O", "I-PER"), ("B-PER", "O"), ("I-PER", "S-PER"), ("E-PER", "E-PER")],
        ),
    ],
)
def test_constrained_decoding_never_emits_a_forbidden_transition(
    scheme, labels, forbidden
):
    trans, start, end = allowed_transitions(labels, scheme)
    index = {tag: i for i, tag in enumerate(labels)}
    for a, b in forbidden:
        assert not trans[index[a], index[b]]
    crf = make_crf(allowed=(trans, start, end), num_tags=len(labels))
    torch.manual_seed(0)
    lengths = torch.randint(1, 12, (200,))
    # emissions that push hard towards forbidden paths
    emissions = torch.randn(200, 12, len(labels)) * 5
    paths = crf.decode(emissions, lengths)
    free = make_crf(num_tags=len(labels)).decode(emissions, lengths)
    n_free_violations = 0
    for path, free_path, n in zip(
        paths.tolist(), free.tolist(), lengths.tolist(), strict=True
    ):
        pairs = transitions_of(path[:n], labels)
        assert all(trans[index[a], index[b]] for a, b in pairs)
        assert start[path[0]] and end[path[n - 1]]
        n_free_violations += sum(
            not trans[index[a], index[b]]
            for a, b in transitions_of(free_path[:n], labels)
        )
    assert n_free_violations > 0  # the test would catch an unconstrained decoder
    # forbidden transitions carry no probability mass either
    marginals = crf.marginals(emissions, lengths)
    first = marginals[:, 0]
    assert first[:, ~start].max() < 1e-6


def test_bad_scheme_and_tags_are_rejected():
    with pytest.raises(ValueError, match="scheme must be one of"):
        allowed_transitions(["O"], "bilou")
    with pytest.raises(ValueError, match="does not follow the IOB2 scheme"):
        allowed_transitions(["O", "E-PER"], "iob2")
    with pytest.raises(ValueError, match="emissions must have shape"):
        CRF(3).decode(torch.zeros(2, 4, 5), torch.tensor([4, 4]))
    with pytest.raises(ValueError, match="allowed trans mask must have shape"):
        CRF(3, (torch.ones(2, 2), torch.ones(3), torch.ones(3)))


def test_loss_learns_transitions_and_honours_weights():
    # a deterministic alternation that only transitions can explain
    y = torch.tensor([[0, 1, 0, 1, 0, 1], [1, 0, 1, 0, -100, -100]])
    lengths = torch.tensor([6, 4])
    loss = CRFLoss(2)
    emissions = torch.zeros(2, 6, 2)
    before = float(loss(emissions, y).detach())
    optimizer = torch.optim.Adam(loss.parameters(), lr=0.1)
    for _ in range(100):
        optimizer.zero_grad()
        loss(emissions, y).backward()
        optimizer.step()
    assert float(loss(emissions, y).detach()) < before / 4
    hint = emissions.clone()
    hint[:, 0, 0] = 3.0  # only the first tag is given; transitions do the rest
    decoded = loss.crf.decode(hint, lengths)
    assert decoded[0].tolist() == [0, 1, 0, 1, 0, 1]
    weighted = loss(emissions, {"y": y, "sample_weight": torch.tensor([1.0, 0.0])})
    alone = loss.crf(emissions[:1], y[:1], lengths[:1]).sum() / 10
    np.testing.assert_allclose(weighted.item(), alone.item(), rtol=1e-5)


def test_hand_written_backward_matches_numerical_gradients(batch):
    emissions, tags, lengths = batch
    crf = make_crf(allowed=allowed_transitions(LABELS[:3], "iob2"))
    crf = crf.double()
    emissions = emissions[:, :, :3].double().requires_grad_()

    def nll(emissions, transitions, start, end):
        params = {
            "transitions": transitions,
            "start_transitions": start,
            "end_transitions": end,
        }
        return torch.func.functional_call(
            crf, params, (emissions, tags.clamp(max=2), lengths)
        )

    params = [p.detach().clone().requires_grad_() for p in crf.parameters()]
    assert torch.autograd.gradcheck(nll, (emissions, *params))


def test_scaled_recursion_survives_large_score_gaps(batch):
    # the forward recursion runs in (rescaled) probability space: gaps of
    # hundreds between tag scores must neither underflow nor overflow
    emissions, tags, lengths = batch
    crf = make_crf()
    emissions = emissions * 150
    log_z = crf.log_partition(emissions, lengths)
    for i, n in enumerate(lengths.tolist()):
        _, scores = brute_force(crf, emissions[i], n)
        expected = torch.logsumexp(scores, 0)
        torch.testing.assert_close(log_z[i].double(), expected, rtol=1e-5, atol=1e-3)


def test_validation_accuracy_scores_the_viterbi_path_with_a_crf():
    from types import SimpleNamespace

    from seqlearn.base import ValidationAccuracy

    criterion = CRFLoss(2)
    with torch.no_grad():  # tag 1 can never follow tag 0
        criterion.crf.transitions[0, 1] = -100.0
    # emissions favour 0 then 1; the best allowed path is 0, 0 (or 1, 1)
    emissions = torch.tensor([[[2.0, 0.0], [0.0, 1.0]]])
    y = torch.tensor([[0, 1]])
    recorded = {}
    net = SimpleNamespace(
        criterion_=criterion,
        history=SimpleNamespace(record=recorded.__setitem__),
    )
    callback = ValidationAccuracy()
    callback.on_epoch_begin(net)
    callback.on_batch_end(net, (None, y), training=False, y_pred=emissions)
    callback.on_epoch_end(net)
    viterbi = criterion.crf.decode(emissions, torch.tensor([2]))
    assert viterbi.tolist() == [[0, 0]]  # argmax of the emissions: [0, 1]
    assert recorded["valid_acc"] == 0.5  # the argmax would score 1.0


def test_repair_scheme_reads_concatenated_tags_like_padded_rows():
    import warnings

    from seqlearn.nn.crf import repair_scheme

    labels = ["B-X", "I-X", "O"]
    rows = [[1, 1, 2], [2, 1], [0, 1, 2, 1]]  # a stray I-X in every row
    lengths = np.array([len(r) for r in rows])
    padded = np.full((3, 4), -100)
    for i, r in enumerate(rows):
        padded[i, : len(r)] = r
    flat = np.concatenate(rows)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fixed_padded = repair_scheme(padded, lengths, labels, "iob2")
        fixed_flat = repair_scheme(flat, lengths, labels, "iob2")
    assert [str(w.message)[:1] for w in caught] == ["3", "3"]
    assert fixed_padded[0].tolist() == [0, 1, 2, -100]
    assert fixed_padded[2].tolist() == [0, 1, 2, 0]
    real = np.arange(4) < lengths[:, None]
    np.testing.assert_array_equal(fixed_padded[real], fixed_flat)


def test_second_derivatives_of_the_likelihood_are_right():
    # gradient penalties and Hessian-vector products differentiate the
    # gradient again: it must be that of the log-space recursion
    torch.manual_seed(0)
    crf = CRF(3, allowed_transitions(["B-X", "I-X", "O"], "iob2")).double()
    torch.nn.init.normal_(crf.transitions)
    lengths = torch.tensor([3, 2])

    mask = torch.arange(3) < lengths.unsqueeze(1)

    def log_z(emissions, trans, start, end):
        return _LogPartition.apply(emissions, trans, start, end, mask)

    emissions = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
    scores = [x.detach().clone().requires_grad_(True) for x in crf._scores()]
    assert torch.autograd.gradgradcheck(log_z, (emissions, *scores))
    # and against the reference recursion, with a gradient penalty
    (grad,) = torch.autograd.grad(
        crf.log_partition(emissions, lengths).sum(), emissions, create_graph=True
    )
    trans, start, end = crf._scores()
    ref_z = torch.logsumexp(_masked_alphas(emissions, mask, trans, start) + end, 1)
    (ref,) = torch.autograd.grad(ref_z.sum(), emissions, create_graph=True)
    penalty = torch.autograd.grad((grad**2).sum(), emissions)[0]
    torch.testing.assert_close(
        penalty, torch.autograd.grad((ref**2).sum(), emissions)[0]
    )


def _masked_alphas(emissions, mask, trans, start):
    alpha = start + emissions[:, 0]
    for t in range(1, emissions.shape[1]):
        step = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
        alpha = torch.where(mask[:, t, None], step, alpha)
    return alpha


def test_tags_out_of_range_or_of_another_shape_are_errors():
    crf = CRF(3)
    emissions, lengths = torch.randn(2, 3, 3), torch.tensor([3, 2])
    with pytest.raises(ValueError, match="sequence 0 has 7 at step 1"):
        crf(emissions, torch.tensor([[0, 7, 1], [0, 1, 0]]), lengths)
    with pytest.raises(ValueError, match="sequence 1 has -5 at step 0"):
        crf(emissions, torch.tensor([[0, 2, 1], [-5, 1, 0]]), lengths)
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        crf(emissions, torch.tensor([0, 1, 2]), lengths)
    # values at padded steps are ignored, as documented
    tags = torch.tensor([[0, 2, 1], [1, 1, 99]])
    assert torch.isfinite(crf(emissions, tags, lengths)).all()


def test_crf_loss_refuses_minus_100_inside_a_sequence():
    loss = CRFLoss(3)
    with pytest.raises(ValueError, match="-100 inside sequence 0"):
        loss(torch.zeros(1, 4, 3), torch.tensor([[0, -100, 2, 1]]))
    assert loss(torch.zeros(1, 4, 3), torch.tensor([[0, 2, -100, -100]])) > 0


def test_log_partition_survives_a_forbidden_tag_far_ahead():
    # the scaled recursion underflows when a forbidden tag outscores every
    # allowed one by more than ~700: the log-space recursion takes over
    crf = CRF(3, allowed_transitions(["B-X", "I-X", "O"], "iob2"))
    for emissions, lengths in [
        (torch.tensor([[[-800.0, 0.0, -800.0]]]), torch.tensor([1])),
        (torch.tensor([[[0.0, 800.0, 0.0], [0.0, 0.0, 0.0]]]), torch.tensor([2])),
    ]:
        emissions.requires_grad_(True)
        trans, start, end = crf._scores()
        mask = torch.ones(emissions.shape[:2], dtype=torch.bool)
        alphas = torch.stack([a for a in _reference_alphas(emissions, trans, start)])
        expected = torch.logsumexp(alphas[-1] + end, dim=1)
        log_z = crf.log_partition(emissions, lengths)
        assert torch.isfinite(log_z).all() and mask.all()
        torch.testing.assert_close(log_z, expected)
        log_z.sum().backward()
        assert torch.isfinite(emissions.grad).all()


def _reference_alphas(emissions, trans, start):
    alpha = start + emissions[:, 0]
    out = [alpha]
    for t in range(1, emissions.shape[1]):
        alpha = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
        out.append(alpha)
    return out
