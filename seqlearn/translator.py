"""SequenceTranslator: an output sequence of another length (encoder-decoder)."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable, Iterator

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, EarlyStopping

from seqlearn._compat import Interval, StrOptions
from seqlearn._docstrings import fill_doc
from seqlearn.base import (
    _POSITIVE_INT,
    PAD_TARGET,
    BaseSequenceEstimator,
    _torch_context,
    fit_method,
    param,
    resolve_device,
)
from seqlearn.data import (
    BatchDataset,
    RaggedSteps,
    _check_no_empty,
    _kept_positions,
    _ragged_positions,
    check_sequences,
    predict_batches,
)
from seqlearn.nn.attention import AttentionSeq2Seq
from seqlearn.preprocessing import VocabularyEncoder

__all__ = ["SequenceTranslator"]

_BOS, _EOS = "<bos>", "<eos>"


def length_limits(lengths, length_ratio, max_length=None) -> np.ndarray:
    """Most output tokens per input: ``max_length``, or scaled with the input.

    None gives ``ceil(1.5 * length_ratio * length) + 5`` per input.
    """
    lengths = np.asarray(lengths)
    if max_length is not None:
        return np.full(len(lengths), max_length, dtype=np.int64)
    return (np.ceil(1.5 * length_ratio * lengths) + 5).astype(np.int64)


class TranslationDataset(BatchDataset):
    """Source ids with teacher-forcing decoder inputs and shifted targets.

    Sources and targets are stored ragged (their steps concatenated, no
    padding): memory follows the data, and each batch alone is padded.
    ``__getitems__`` returns ``({"x", "lengths", "y_in"}, y_out)`` padded to
    the longest source and target of the batch: ``x`` is the source ids (0
    after the end), ``y_in`` is ``bos`` + target (0 after the end),
    ``y_out`` is target + ``eos`` (-100 after the end, ignored by the loss).
    ``batch_lengths`` (source plus target length) is what a batch of pairs
    pads, so the training batches keep a very long target apart as they do a
    very long source.

    Parameters
    ----------
    source : RaggedSteps
        Source token ids of every pair.
    y_in : ndarray of shape (sum of target_lengths,) int64
        ``bos`` + target ids of every pair, one pair after the other.
    y_out : ndarray of shape (sum of target_lengths,) int64
        Target + ``eos`` ids of every pair, aligned with ``y_in``.
    target_lengths : ndarray of shape (N,) int64
        Length of each pair's ``y_in`` and ``y_out`` (target length + 1).
    """

    def __init__(self, source: RaggedSteps, y_in, y_out, target_lengths):
        self.steps = torch.as_tensor(source.steps)
        self.lengths = torch.as_tensor(source.lengths, dtype=torch.int64)
        self.starts = torch.as_tensor(source.starts)
        self.y_in = torch.as_tensor(y_in)
        self.y = torch.as_tensor(y_out)
        self.target_lengths = torch.as_tensor(target_lengths, dtype=torch.int64)
        self.target_starts = self.target_lengths.cumsum(0) - self.target_lengths
        # what a batch pads: its longest source plus its longest target (the
        # training batches keep a very long target apart, as a long source)
        self.batch_lengths = (self.lengths + self.target_lengths).numpy()

    def __getitems__(self, indices):
        idx = torch.as_tensor(indices, dtype=torch.int64)
        lengths = self.lengths[idx]
        at, real = _ragged_positions(self.starts[idx], lengths, int(lengths.max()))
        x = self.steps[at].masked_fill(~real, 0)
        target_lengths = self.target_lengths[idx]
        at, real = _ragged_positions(
            self.target_starts[idx], target_lengths, int(target_lengths.max())
        )
        y_in = self.y_in[at].masked_fill(~real, 0)
        y_out = self.y[at].masked_fill(~real, PAD_TARGET)
        return {"x": x, "lengths": lengths, "y_in": y_in}, y_out

    def subset(self, indices) -> TranslationDataset:
        """Return the pairs at ``indices`` as a new dataset."""
        idx = torch.as_tensor(indices, dtype=torch.int64)
        lengths, target_lengths = self.lengths[idx], self.target_lengths[idx]
        at = _kept_positions(self.starts[idx], lengths)
        target_at = _kept_positions(self.target_starts[idx], target_lengths)
        return TranslationDataset(
            RaggedSteps(self.steps[at].numpy(), lengths.numpy()),
            self.y_in[target_at],
            self.y[target_at],
            target_lengths,
        )


class ValidationSequenceAccuracy(Callback):
    """Record ``valid_acc``: exact match of freely decoded validation outputs.

    The validation loss is teacher forced (it is the likelihood of the given
    targets); this score is not: each validation input is greedily decoded from
    the model's own predictions, as ``predict`` would.

    Parameters
    ----------
    length_ratio : float
        Largest output/input length ratio of the training pairs.
    max_length : int or None
        The translator's ``max_length`` (see :func:`length_limits`).
    """

    def __init__(self, length_ratio, max_length):
        self.length_ratio = length_ratio
        self.max_length = max_length

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        """Decode the validation pairs and write their exact-match rate."""
        if dataset_valid is None or not len(dataset_valid):
            return
        module = net.module_
        was_training = module.training
        module.eval()
        correct = 0
        n = len(dataset_valid)
        for idx in predict_batches(dataset_valid.lengths.numpy(), 256):
            batch, y_out = dataset_valid.__getitems__(idx)
            lengths = batch["lengths"]
            limit = length_limits(lengths.numpy(), self.length_ratio, self.max_length)
            tokens, out_len, _, _ = module.greedy(
                batch["x"].to(net.device),
                lengths,
                torch.as_tensor(limit, device=net.device),
            )
            target = y_out.to(net.device)
            real = target != PAD_TARGET
            # a match: the same tokens and the end marker where the target ends
            T = max(tokens.shape[1], target.shape[1])
            pred = torch.nn.functional.pad(tokens, (0, T - tokens.shape[1] + 1))
            pred.scatter_(1, out_len.unsqueeze(1), module.eos)
            gold = torch.nn.functional.pad(
                target.masked_fill(~real, 0), (0, T - target.shape[1] + 1)
            )
            correct += int((pred == gold).all(1).sum())
        module.train(was_training)
        net.history.record("valid_acc", correct / n)


def _pairs_doc(y):
    """Return the Parameters section for inputs X and outputs y (see fill_doc)."""
    return (
        "Parameters\n----------\nX : list of str or of token lists\n"
        f"    Input sequences.\ny : list of str or of token lists\n    {y}\n"
    )


def _analyzer_param(doc):
    """Declare a ``{"char", "word"} or None`` parameter, "char" by default."""
    return param(
        "char", '{"char", "word"} or None', [StrOptions({"char", "word"}), None], doc
    )


class SequenceTranslator(BaseSequenceEstimator):
    """Encoder-decoder with attention: map sequences to sequences of another length.

    ``fit(X, y)`` learns to translate each input sequence (a string or a token
    list) into its output sequence, whose length may differ: transliteration,
    spelling to sound, normalisation of dates or numbers, arithmetic written
    out, word-level translation.  A recurrent encoder reads the input (padding
    never reaches it); a bridge turns its summary into the decoder's initial
    state; a recurrent decoder attends over the encoder states at every step
    and feeds its attentional vector back as input (input feeding).  Training
    uses teacher forcing; prediction and validation decode freely, greedily or
    with a beam search batched over the inputs.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    source_encoder_ : VocabularyEncoder
        Input vocabulary (padding 0, unknown 1).
    target_encoder_ : VocabularyEncoder
        Output vocabulary (padding 0, unknown 1, ``<bos>`` 2, ``<eos>`` 3).
    length_ratio_ : float
        Largest output/input length ratio among the training pairs.
    target_is_text_ : bool
        Whether ``y`` was strings (``predict`` then returns strings).
    net_ : skorch.NeuralNet
        The trained network (its module is a
        :class:`~seqlearn.nn.AttentionSeq2Seq`).
    history_ : skorch.History
        Per epoch: ``train_loss``, ``dur`` and, with early stopping,
        ``valid_loss`` (teacher forced) and ``valid_acc`` (exact match of free
        decoding).

    Examples
    --------
    >>> from seqlearn import SequenceTranslator
    >>> X = ["abc", "ab", "ca", "bca", "cab", "a"] * 10
    >>> y = [s[::-1] for s in X]
    >>> model = SequenceTranslator(hidden_size=16, lr=0.02, max_epochs=20,
    ...                            random_state=0)
    >>> model.fit(X, y).predict(["abc", "ca"])
    ['cba', 'ac']
    """

    _param_groups = ("own", "recurrent", "bidirectional", "training", "budget")
    _param_docs = {
        "max_epochs": "Number of passes over the training pairs (``min_updates`` "
        "may add more).",
        "early_stopping": "Hold out ``validation_fraction`` of the training pairs "
        "and stop when the share of them decoded exactly right (greedy decoding, "
        "``valid_acc``) has not improved for ``patience`` epochs, restoring the "
        "best weights.",
        "patience": "Epochs without a better ``valid_acc`` before stopping.",
        "min_updates": "Minimum number of optimizer steps: a small data set trains "
        "for more than ``max_epochs`` epochs until it has had this many updates. "
        '"auto" is 0 here (the automatic budget is for long numeric series).',
        "lr_schedule": '"warmup_cosine" warms the learning rate up over the first '
        "10 % of the optimizer steps, then lowers it along a cosine to 1 % of "
        '``lr`` (:class:`~seqlearn.callbacks.WarmupCosineLR`); "constant" and '
        '"auto" (the automatic schedule is for long numeric series) keep ``lr``.',
    }
    # defaults that differ from the other estimators'
    hidden_size = 128
    bidirectional = True
    max_epochs = 30
    batch_size = 64
    lr = 0.002
    patience = 5

    analyzer: str | None = _analyzer_param(
        "How an input string is split into tokens: characters, or words split "
        "on whitespace. None: every input is already a list of string tokens. ",
    )
    target_analyzer: str | None = _analyzer_param(
        "The same for the outputs ``y``. ``predict`` joins char outputs with "
        '"" and word outputs with " " when ``y`` was strings. ',
    )
    attention: str | None = param(
        "bahdanau",
        '{"bahdanau", "luong"} or None',
        [StrOptions({"bahdanau", "luong"}), None],
        "Attention score: additive (Bahdanau et al., 2015), bilinear (Luong et "
        'al., 2015, "general"), or None for a plain encoder-decoder that '
        "decodes from the bridged summary alone. ",
    )
    beam_size: int = param(
        1,
        "int",
        _POSITIVE_INT,
        "1 decodes greedily; more runs beam search with that many hypotheses "
        "per input. A decoding parameter: ``set_params`` on a fitted model "
        "takes effect at the next ``predict``. ",
    )
    length_penalty: float = param(
        0.6,
        "float",
        [Interval(numbers.Real, 0, None, closed="left")],
        "Exponent ``alpha`` of the GNMT length penalty ``((5 + L) / 6) ** "
        "alpha`` dividing each finished hypothesis's log-probability in beam "
        "search; 0 ranks by log-probability (which favours short outputs). "
        "Decoding parameter. ",
    )
    max_length: int | None = param(
        None,
        "int or None",
        [*_POSITIVE_INT, None],
        "Most output tokens. None: a limit per input that scales with its "
        "length, ``ceil(1.5 * r * len(x)) + 5`` with ``r`` the largest "
        "output/input length ratio among the training pairs. A warning says "
        "when a limit cut an output. Decoding parameter. ",
    )
    embedding_dim: int = param(
        32, "int", _POSITIVE_INT, "Size of the input token embeddings. "
    )
    target_embedding_dim: int | None = param(
        None,
        "int or None",
        [*_POSITIVE_INT, None],
        "Size of the output token embeddings; None uses ``embedding_dim``. ",
    )

    # ------------------------------------------------------------ encoding
    @staticmethod
    def _vocabulary(analyzer, **markers):
        if analyzer == "word":
            return VocabularyEncoder(
                analyzer="word", tokenizer=str.split, lowercase=False, **markers
            )
        return VocabularyEncoder(analyzer=analyzer, lowercase=False, **markers)

    def _source(self, X, *, reset=False) -> RaggedSteps:
        if isinstance(X, Iterator):
            X = list(X)  # a generator: fit reads X twice
        if reset:
            self.source_encoder_ = self._vocabulary(self.analyzer).fit(X)
            self.input_kind_ = "tokens"
        ids = self.source_encoder_.transform(X)
        # named here: check_sequences cannot name a sample when all are empty
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        _check_no_empty(lengths, "X", "no tokens")
        return check_sequences(ids, tokens=True, pad=False)

    @staticmethod
    def _check_outputs(y, n_samples) -> list:
        """Return y as a list, raising unless it holds one output per input."""
        if y is not None and not isinstance(y, str | bytes) and isinstance(y, Iterable):
            y = list(y)
            if len(y) == n_samples:
                return y
            got = f"has {len(y)}"
        else:
            got = "is None" if y is None else f"is a {type(y).__name__}"
        raise ValueError(
            "SequenceTranslator needs one output sequence per input: X has "
            f"{n_samples}, y {got}."
        )

    def _target_ids(self, y) -> list[np.ndarray]:
        """Encode the outputs y: ``bos`` + ids + ``eos``; errors name y."""
        return self.target_encoder_._transform(y, "y", "target_analyzer")

    # ------------------------------------------------------------ net hooks
    def _make_module(self, data: RaggedSteps, n_outputs: int) -> torch.nn.Module:
        return AttentionSeq2Seq(
            self.cell,
            len(self.source_encoder_.tokens_),
            n_outputs,
            self.hidden_size,
            self.embedding_dim,
            self.target_embedding_dim or self.embedding_dim,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            attention=self.attention,
            bos=self.target_encoder_.vocabulary_[_BOS],
            eos=self.target_encoder_.vocabulary_[_EOS],
        )

    def _make_dataset(self, data: RaggedSteps, y, sample_weight):
        return TranslationDataset(data, *y)

    def _build_net(self, module, seed, **kwargs):
        net = super()._build_net(module, seed, **kwargs)
        # token accuracy and loss-based stopping of the core are teacher
        # forced: with early stopping, stop on the exact match of freely
        # decoded outputs instead (without it, a user's callbacks of these
        # names are theirs and stay)
        callbacks = list(net.callbacks)
        if self.early_stopping:
            callbacks = [
                cb
                for cb in callbacks
                if not (
                    isinstance(cb, tuple) and cb[0] in ("valid_acc", "early_stopping")
                )
            ]
            callbacks[:0] = [
                (
                    "valid_acc",
                    ValidationSequenceAccuracy(self.length_ratio_, self.max_length),
                ),
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_acc",
                        lower_is_better=False,
                        patience=self.patience,
                        load_best=True,
                    ),
                ),
            ]
        net.callbacks = callbacks
        return net

    def _encode_targets(self, y):
        """Return ``(y_in, y_out, lengths)``, ragged: bos + target, target + eos.

        ``y_in`` and ``y_out`` hold every pair's ids one after the other (no
        padding); ``lengths`` is each pair's target length + 1, their length.
        """
        ids = self._target_ids(y)  # bos ... eos
        full = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.concatenate(ids)
        ends = np.cumsum(full)
        y_in = np.delete(flat, ends - 1)  # drop each eos
        y_out = np.delete(flat, ends - full)  # drop each bos
        return y_in, y_out, full - 1

    # ------------------------------------------------------------ fit
    @fit_method
    def fit(self, X, y):
        """Learn to translate the sequences X into the sequences y.

        Parameters
        ----------
        X : list of str or of token lists
            Input sequences (split by ``analyzer``).
        y : list of str or of token lists
            Output sequences of any lengths (split by ``target_analyzer``).
            An empty output (``""`` or ``[]``) is allowed: the model learns
            to emit the end marker first, and ``predict`` returns it empty.

        Returns
        -------
        self : SequenceTranslator
            The fitted translator.
        """
        data = self._source(X, reset=True)
        y = self._check_outputs(y, data.n_samples)
        self.target_is_text_ = isinstance(y[0], str)
        self.target_encoder_ = self._vocabulary(
            self.target_analyzer, bos_token=_BOS, eos_token=_EOS
        )._fit(y, "y", "target_analyzer")
        y_in, y_out, target_lengths = self._encode_targets(y)
        # target_lengths count the end marker
        self.length_ratio_ = float(np.max((target_lengths - 1) / data.lengths))
        return self._fit_net(
            data,
            (y_in, y_out, target_lengths),
            None,
            len(self.target_encoder_.tokens_),
        )

    # ------------------------------------------------------------ decoding
    def _decode(self, data: RaggedSteps):
        """Decode the encoded inputs; return token id arrays and attention."""
        self._validate_params()
        limits = length_limits(data.lengths, self.length_ratio_, self.max_length)
        module = self.net_.module_
        module.eval()
        device = self.net_.device
        n = data.n_samples
        tokens, attention, cut = [None] * n, [None] * n, np.zeros(n, bool)
        chunk = max(8, 512 // self.beam_size)
        with _torch_context(None, resolve_device(device), self.n_threads):
            # length-sorted batches: one very long input gets its own
            for idx in predict_batches(data.lengths, chunk):
                lengths = torch.as_tensor(data.lengths[idx])
                x = torch.as_tensor(data.padded(idx))
                limit = torch.as_tensor(limits[idx], device=device)
                if self.beam_size == 1:
                    out = module.greedy(x.to(device), lengths, limit)
                else:
                    out = module.beam_search(
                        x.to(device),
                        lengths,
                        limit,
                        self.beam_size,
                        self.length_penalty,
                    )
                ids, out_len, attn, finished = (t.cpu().numpy() for t in out)
                for j, i in enumerate(idx):
                    tokens[i] = ids[j, : out_len[j]]
                    attention[i] = attn[j, : out_len[j], : data.lengths[i]].astype(
                        np.float64
                    )
                cut[idx] = ~finished
        if cut.any():
            warnings.warn(
                f"{int(cut.sum())} of {n} outputs reached the length limit "
                "before their end marker and were cut; raise max_length (None "
                "scales the limit with each input's length).",
                UserWarning,
                stacklevel=3,
            )
        return tokens, attention

    def _to_output(self, ids):
        toks = self.target_encoder_.inverse_transform(ids)
        if not self.target_is_text_:
            return toks
        # the fitted analyzer: target_analyzer may have changed since fit
        sep = " " if self.target_encoder_.analyzer == "word" else ""
        return [sep.join(t) for t in toks]

    def predict(self, X, return_attention=False):
        """Translate each input sequence.

        Parameters
        ----------
        X : list of str or of token lists
            Input sequences.
        return_attention : bool, default=False
            Also return the attention weights of every output.

        Returns
        -------
        y : list of str or of token lists
            Strings when ``y`` was strings at fit, token lists otherwise.
        attention : list of ndarray of shape (n_output_tokens, n_input_tokens)
            Only with ``return_attention=True``: row ``t`` holds the weights
            over the input tokens when output token ``t`` was emitted (each
            row sums to 1; zeros when ``attention=None``).
        """
        check_is_fitted(self)
        tokens, attention = self._decode(self._source(X))
        y = self._to_output(tokens)
        return (y, attention) if return_attention else y

    @fill_doc(parameters=_pairs_doc("Reference outputs."))
    def score(self, X, y):
        """Return the exact-match accuracy: the fraction translated exactly.

        {parameters}

        Returns
        -------
        score : float
            Fraction of the inputs whose output tokens are exactly ``y``'s,
            as the target analyzer splits them (with ``target_analyzer="word"``
            the outputs ``"a  b"`` and ``"a b"`` are the same).
        """
        check_is_fitted(self)
        data = self._source(X)
        gold = self._target_ids(self._check_outputs(y, data.n_samples))
        pred, _ = self._decode(data)
        hits = [np.array_equal(p, g[1:-1]) for p, g in zip(pred, gold, strict=True)]
        return float(np.mean(hits))

    @fill_doc(parameters=_pairs_doc("Candidate outputs, one per input."))
    def score_samples(self, X, y):
        """Log-likelihood of the given outputs under the model (for rescoring).

        {parameters}

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            ``sum_t log p(y_t | y_<t, x)`` over the output tokens and the end
            marker (natural logarithm), under the distribution training fits
            (over every id: minus the teacher-forced training loss).  Greedy
            and beam search renormalise it without the padding, unknown and
            start ids, which no output holds, so their scores of the same
            output are a little higher; a token never seen in training reads
            as the unknown id.
        """
        check_is_fitted(self)
        data = self._source(X)
        y_in, y_out, target_lengths = self._encode_targets(
            self._check_outputs(y, data.n_samples)
        )
        dataset = TranslationDataset(data, y_in, y_out, target_lengths)
        module = self.net_.module_
        module.eval()
        device = self.net_.device
        out = np.zeros(data.n_samples)
        with _torch_context(None, resolve_device(device), self.n_threads):
            with torch.no_grad():
                # sorted by the longer of source and target, so that neither
                # is padded far beyond the others of its batch
                longer = np.maximum(data.lengths, target_lengths)
                for idx in predict_batches(longer, 256):
                    batch, target = dataset.__getitems__(idx)
                    batch = {k: v.to(device) for k, v in batch.items()}
                    logp = torch.log_softmax(module(**batch).float(), -1)
                    target = target.to(device)
                    real = target != PAD_TARGET
                    picked = logp.gather(-1, target.clamp(min=0).unsqueeze(-1))
                    out[idx] = (picked.squeeze(-1) * real).sum(1).double().cpu()
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # strings or token lists only
        tags.input_tags.string = True
        tags.input_tags.two_d_array = tags.input_tags.three_d_array = False
        tags.target_tags.required = True
        return tags
