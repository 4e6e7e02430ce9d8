"""Encoder-decoder with attention, greedy and beam-search decoding (pure PyTorch)."""

from __future__ import annotations

import numbers

import torch
from torch import nn

from seqlearn.nn._validation import check_positive_int, check_recurrent
from seqlearn.nn.constants import N_RESERVED_IDS, PAD_ID, UNK_ID
from seqlearn.nn.encoder import RecurrentEncoder, check_lengths
from seqlearn.nn.peephole import PeepholeLSTM

__all__ = ["AttentionSeq2Seq", "masked_softmax"]

ATTENTIONS = ("bahdanau", "luong", None)


def masked_softmax(scores, mask):
    """Softmax over the last axis that is exactly 0 where ``mask`` is False.

    Parameters
    ----------
    scores : Tensor of shape (N, S)
        Unnormalised scores.
    mask : Tensor of shape (N, S) bool
        True at real steps; every row needs at least one.

    Returns
    -------
    weights : Tensor of shape (N, S)
        Rows sum to 1 over the real steps.
    """
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return weights.masked_fill(~mask, 0.0)


class _DecoderStack(nn.Module):
    """Stacked recurrent cells advanced one step at a time.

    ``nn.LSTMCell`` and friends: a step of ``nn.LSTM`` on a length-1 sequence
    costs about twice as much (forward and backward) on CPU.  The peephole
    cell has no single-step variant and runs as a length-1 ``PeepholeLSTM``.
    The state is ``h`` (``(num_layers, N, H)``) or ``(h, c)`` for LSTMs, as in
    ``torch.nn.LSTM``.
    """

    def __init__(self, cell, input_size, hidden_size, num_layers, dropout):
        super().__init__()
        self.cell = cell
        self.lstm = cell in ("lstm", "peephole")
        sizes = [input_size] + [hidden_size] * (num_layers - 1)
        if cell == "peephole":
            layers = [PeepholeLSTM(n, hidden_size) for n in sizes]
        else:
            cls = {"lstm": nn.LSTMCell, "gru": nn.GRUCell, "rnn": nn.RNNCell}[cell]
            layers = [cls(n, hidden_size) for n in sizes]
        self.layers = nn.ModuleList(layers)
        self.drop = nn.Dropout(dropout)

    def forward(self, inp, state):
        """Advance one step: ``inp`` ``(N, H_in)`` -> ``(h_top, new state)``."""
        hs, cs = [], []
        for i, layer in enumerate(self.layers):
            if i:
                inp = self.drop(inp)
            if self.cell == "peephole":
                h0, c0 = state[0][i : i + 1], state[1][i : i + 1]
                _, (h, c) = layer(inp.unsqueeze(0), (h0, c0))
                h, c = h[0], c[0]
            elif self.lstm:
                h, c = layer(inp, (state[0][i], state[1][i]))
            else:
                h, c = layer(inp, state[i]), None
            hs.append(h)
            cs.append(c)
            inp = h
        h = torch.stack(hs)
        return inp, ((h, torch.stack(cs)) if self.lstm else h)


def length_penalty(length, alpha):
    """GNMT length penalty ``((5 + length) / 6) ** alpha`` (Wu et al., 2016)."""
    return ((5.0 + length) / 6.0) ** alpha


def _check_marker(value, name, num_targets):
    """Return ``value`` as an int, raising unless it is a non-reserved target id."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}.")
    if not N_RESERVED_IDS <= value < num_targets:
        raise ValueError(
            f"{name} must be a target id in [{N_RESERVED_IDS}, num_targets="
            f"{num_targets}) (ids {PAD_ID} and {UNK_ID} are padding and "
            f"unknown), got {value!r}."
        )
    return int(value)


def _check_max_length(max_length, N, device):
    """Return ``max_length`` (an int or a tensor of ints >= 0) as ``(N,)`` int64."""
    limit = torch.as_tensor(max_length, device=device)
    if limit.dtype.is_floating_point or limit.dtype == torch.bool:
        raise TypeError(
            f"max_length must be an int or a tensor of ints, got {max_length!r}."
        )
    if limit.numel() and int(limit.min()) < 0:
        raise ValueError(f"max_length must be >= 0, got {max_length!r}.")
    return limit.expand(N).long()


class AttentionSeq2Seq(nn.Module):
    r"""Recurrent encoder-decoder with attention and input feeding.

    The encoder is :class:`~seqlearn.nn.RecurrentEncoder` (padding never reaches
    it).  A bridge maps its summary to the decoder's initial state (every layer;
    hidden and, for LSTMs, cell state).  At each output step the decoder reads
    the embedding of the previous token concatenated with the previous
    attentional vector (input feeding, Luong et al. 2015), attends over the
    encoder states with the new state as query -- an additive score
    (``"bahdanau"``) or a bilinear one (``"luong"``, Luong's *general*
    score) -- and combines state and context into the attentional vector
    ``tanh(W_c [h; c])`` from which the next token's logits are computed.  The
    attention weights are exactly 0 on padded input steps.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn", "peephole"}
        Recurrent cell of the encoder and the decoder.
    num_embeddings : int
        Source vocabulary size (id 0 is padding).
    num_targets : int
        Target vocabulary size (id 0 is padding).
    hidden_size : int
        Hidden features per direction of the encoder and of the decoder.
    embedding_dim : int
        Source token embedding size.
    target_embedding_dim : int
        Target token embedding size.
    num_layers : int, default=1
        Layers of the encoder and of the decoder.
    bidirectional : bool, default=True
        Whether the encoder reads both directions.
    dropout : float, default=0.0
        Dropout between layers, on the encoder output and before the output
        projection.
    attention : {"bahdanau", "luong", None}, default="bahdanau"
        Attention score; None decodes from the bridged summary alone.
    bos, eos : int, default=2 and 3
        Ids of the begin- and end-of-sequence target tokens: two different
        ids in ``[2, num_targets)``.

    Raises
    ------
    ValueError
        If ``bos`` and ``eos`` are equal, reserved (0 or 1) or not below
        ``num_targets``.

    Notes
    -----
    Shapes: ``x`` ``(N, S)`` source ids, ``lengths`` ``(N,)``, ``y_in`` ``(N, T)``
    target ids starting with ``bos`` (0 after the end); ``forward`` returns the
    logits ``(N, T, num_targets)``.  Decoding loops over output steps (each
    depends on the previous token) but never over samples or beams.

    Target ids 0 (padding) and 1 (unknown, as in
    :class:`~seqlearn.preprocessing.VocabularyEncoder`) are reserved: decoding
    never emits them, nor ``bos``.

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn import AttentionSeq2Seq
    >>> model = AttentionSeq2Seq("gru", 10, 8, 16, 4, 4)
    >>> x, lengths = torch.randint(4, 10, (3, 5)), torch.tensor([5, 2, 4])
    >>> model(x, lengths, torch.randint(2, 8, (3, 6))).shape
    torch.Size([3, 6, 8])
    >>> tokens, out_lengths, attn, finished = model.greedy(x, lengths, 7)
    >>> attn.shape[0], bool(attn[1, :, 2:].eq(0).all())
    (3, True)
    """

    def __init__(
        self,
        cell: str,
        num_embeddings: int,
        num_targets: int,
        hidden_size: int,
        embedding_dim: int,
        target_embedding_dim: int,
        num_layers: int = 1,
        bidirectional: bool = True,
        dropout: float = 0.0,
        attention: str | None = "bahdanau",
        bos: int = 2,
        eos: int = 3,
    ) -> None:
        super().__init__()
        if attention not in ATTENTIONS:
            raise ValueError(
                f"attention must be one of {ATTENTIONS}, got {attention!r}."
            )
        num_targets = check_positive_int(num_targets, "num_targets")
        target_embedding_dim = check_positive_int(
            target_embedding_dim, "target_embedding_dim"
        )
        hidden_size, num_layers, dropout = check_recurrent(
            hidden_size, num_layers, dropout
        )
        bos = _check_marker(bos, "bos", num_targets)
        eos = _check_marker(eos, "eos", num_targets)
        if bos == eos:
            raise ValueError(f"bos and eos must be different ids, got {bos} for both.")
        self.encoder = RecurrentEncoder(
            cell,
            None,
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            num_embeddings=num_embeddings,
            embedding_dim=embedding_dim,
        )
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.attention = attention
        self.bos, self.eos = bos, eos
        self.num_targets = num_targets
        memory_size = self.encoder.output_size
        n_states = 2 if cell in ("lstm", "peephole") else 1
        self.bridge = nn.Linear(memory_size, n_states * num_layers * hidden_size)
        self.target_embedding = nn.Embedding(
            num_targets, target_embedding_dim, padding_idx=0
        )
        feed = hidden_size if attention is not None else 0
        self.decoder = _DecoderStack(
            cell, target_embedding_dim + feed, hidden_size, num_layers, dropout
        )
        if attention == "bahdanau":
            self.key = nn.Linear(memory_size, hidden_size, bias=False)
            self.query = nn.Linear(hidden_size, hidden_size)
            self.energy = nn.Linear(hidden_size, 1, bias=False)
        elif attention == "luong":
            self.key = nn.Linear(memory_size, hidden_size, bias=False)
        if attention is not None:
            self.combine = nn.Linear(hidden_size + memory_size, hidden_size, bias=False)
        self.drop = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, num_targets)

    # ------------------------------------------------------------ pieces
    def encode(self, x, lengths):
        """Encode the source; return the decoder's starting point.

        Parameters
        ----------
        x : Tensor of shape (N, S) int64
            Source ids, 0 after each sequence's end.
        lengths : Tensor of shape (N,)
            Source lengths.

        Returns
        -------
        memory : Tensor of shape (N, S, D * H)
            Encoder states, zero on padding.
        keys : Tensor of shape (N, S, H) or None
            Projected states the attention scores read.
        mask : Tensor of shape (N, S) bool
            True at real source steps.
        state : Tensor or tuple of Tensor, each (num_layers, N, H)
            Initial decoder state.
        feed : Tensor of shape (N, H)
            Initial attentional vector (zeros).
        """
        N, S = x.shape
        lengths = check_lengths(lengths, N, S, x.device)
        memory, summary = self.encoder(x, lengths)
        mask = torch.arange(S, device=x.device) < lengths.unsqueeze(1)
        init = torch.tanh(self.bridge(summary)).view(N, -1, self.hidden_size)
        init = init.transpose(0, 1).contiguous()  # (n_states * layers, N, H)
        if self.cell in ("lstm", "peephole"):
            state = (init[: self.num_layers], init[self.num_layers :])
        else:
            state = init
        keys = None if self.attention is None else self.key(memory)
        feed = memory.new_zeros(N, self.hidden_size)
        return memory, keys, mask, state, feed

    def step(self, tokens, state, feed, memory, keys, mask):
        """Advance the decoder one step from the previous tokens.

        Parameters
        ----------
        tokens : Tensor of shape (N,) int64
            The previous output token of each sequence (``bos`` at first).
        state : Tensor or tuple of Tensor
            Decoder state, as :meth:`encode` and this method return it.
        feed : Tensor of shape (N, H)
            The previous attentional vector (input feeding).
        memory : Tensor of shape (N, S, D * H)
            Encoder states.
        keys : Tensor of shape (N, S, H) or None
            Projected encoder states (None without attention).
        mask : Tensor of shape (N, S) bool
            True at real source steps.

        Returns
        -------
        logits : Tensor of shape (N, num_targets)
            Unnormalised scores of the next token.
        state : Tensor or tuple
            New decoder state.
        feed : Tensor of shape (N, H)
            New attentional vector.
        weights : Tensor of shape (N, S) or None
            Attention weights (0 on padding).
        """
        inp = self.target_embedding(tokens)
        if self.attention is not None:
            inp = torch.cat([inp, feed], -1)
        h, state = self.decoder(inp, state)
        weights = None
        if self.attention is None:
            feed = h
        else:
            if self.attention == "bahdanau":
                scores = self.energy(
                    torch.tanh(keys + self.query(h).unsqueeze(1))
                ).squeeze(-1)
            else:
                scores = torch.bmm(keys, h.unsqueeze(-1)).squeeze(-1)
            weights = masked_softmax(scores, mask)
            context = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)
            feed = torch.tanh(self.combine(torch.cat([h, context], -1)))
        return self.output(self.drop(feed)), state, feed, weights

    @staticmethod
    def _select(state, index):
        """Reorder the batch axis of a decoder state (beam search)."""
        if isinstance(state, tuple):
            return tuple(s[:, index] for s in state)
        return state[:, index]

    def _log_probs(self, logits):
        """Log-probabilities of the next token.

        Padding, unknown and begin are impossible: none is a real output token
        (an emitted unknown id would come out as a literal ``<unk>``).
        """
        logits = logits.float().clone()
        logits[..., [PAD_ID, UNK_ID, self.bos]] = float("-inf")
        return torch.log_softmax(logits, -1)

    # ------------------------------------------------------------ training
    def forward(self, x, lengths, y_in):
        """Teacher-forced logits of every target step.

        Parameters
        ----------
        x : Tensor of shape (N, S) int64
            Source ids, as in :meth:`encode`.
        lengths : Tensor of shape (N,)
            Source lengths, as in :meth:`encode`.
        y_in : Tensor of shape (N, T) int64
            Decoder inputs: ``bos`` followed by the target (padding after).

        Returns
        -------
        logits : Tensor of shape (N, T, num_targets)
            Unnormalised scores of every target step.
        """
        memory, keys, mask, state, feed = self.encode(x, lengths)
        logits = []
        for t in range(y_in.shape[1]):
            out, state, feed, _ = self.step(y_in[:, t], state, feed, memory, keys, mask)
            logits.append(out)
        return torch.stack(logits, 1)

    # ------------------------------------------------------------ decoding
    @torch.no_grad()
    def greedy(self, x, lengths, max_length):
        """Greedy decoding of a batch.

        Parameters
        ----------
        x : Tensor of shape (N, S) int64
            Source ids, as in ``forward``.
        lengths : Tensor of shape (N,)
            Source lengths.
        max_length : int or Tensor of shape (N,)
            Most output tokens (end marker excluded) per sequence, >= 0.

        Returns
        -------
        tokens : Tensor of shape (N, T) int64
            Output ids without markers, 0 after each output's end.
        out_lengths : Tensor of shape (N,)
            Tokens in each output.
        attention : Tensor of shape (N, T, S)
            Attention of each emitted token (zeros without attention).
        finished : Tensor of shape (N,) bool
            False where ``max_length`` cut the output before the end marker.

        Raises
        ------
        TypeError
            If ``max_length`` is not an int or a tensor of ints.
        ValueError
            If ``max_length`` is negative.
        """
        N, S = x.shape
        device = x.device
        limit = _check_max_length(max_length, N, device)
        memory, keys, mask, state, feed = self.encode(x, lengths)
        prev = torch.full((N,), self.bos, dtype=torch.long, device=device)
        done = torch.zeros(N, dtype=torch.bool, device=device)
        finished = torch.zeros(N, dtype=torch.bool, device=device)
        out_lengths = torch.zeros(N, dtype=torch.long, device=device)
        tokens, attns = [], []
        for t in range(int(limit.max()) + 1):
            logits, state, feed, weights = self.step(
                prev, state, feed, memory, keys, mask
            )
            prev = self._log_probs(logits).argmax(-1)
            is_eos = prev == self.eos
            finished |= is_eos & ~done
            done |= is_eos | (limit <= t)
            keep = ~done
            tokens.append(prev.masked_fill(~keep, 0))
            attns.append(
                x.new_zeros(N, S, dtype=memory.dtype)
                if weights is None
                else weights * keep.unsqueeze(1)
            )
            out_lengths += keep.long()
            if bool(done.all()):
                break
        T = max(int(out_lengths.max()), 0)
        tokens = torch.stack(tokens, 1)[:, :T]
        attention = torch.stack(attns, 1)[:, :T]
        return tokens, out_lengths, attention, finished

    @torch.no_grad()
    def beam_search(self, x, lengths, max_length, beam_size, alpha=0.0):
        """Beam search batched over the source sequences.

        Each step extends every live hypothesis of an input by every token
        and keeps the ``beam_size`` best extensions; those that end with the
        end marker leave the beam as finished hypotheses, scored
        ``log p / lp(length)`` with the GNMT length penalty
        ``lp(L) = ((5 + L) / 6) ** alpha`` (``L`` counts the end marker), and
        the others stay live.  An input stops when no live hypothesis can
        still beat its best finished one: log-probabilities only fall as a
        hypothesis grows and ``lp`` grows with the length, so the best a live
        hypothesis can reach is its log-probability over ``lp`` at the input's
        length limit.  With ``beam_size=1`` this is greedy decoding.

        Parameters
        ----------
        x : Tensor of shape (N, S) int64
            Source ids, as in :meth:`greedy`.
        lengths : Tensor of shape (N,)
            Source lengths.
        max_length : int or Tensor of shape (N,)
            Most output tokens per sequence, as in :meth:`greedy`.
        beam_size : int
            Live hypotheses per input (>= 1).
        alpha : float, default=0.0
            Length-penalty exponent (>= 0); 0 ranks by log-probability.

        Returns
        -------
        tokens : Tensor of shape (N, T) int64
            The best hypothesis per input (as in :meth:`greedy`); where none
            finished before the limit, the best cut one.
        out_lengths : Tensor of shape (N,)
            Tokens in each output.
        attention : Tensor of shape (N, T, S)
            Attention of each emitted token.
        finished : Tensor of shape (N,) bool
            False where the limit cut the best hypothesis.

        Raises
        ------
        TypeError
            If ``max_length`` is not an int or a tensor of ints, or ``alpha``
            or ``beam_size`` is not a number.
        ValueError
            If ``max_length`` is negative, ``beam_size`` below 1, or ``alpha``
            negative or infinite.
        """
        K = check_positive_int(beam_size, "beam_size")
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise TypeError(f"alpha must be a number, got {alpha!r}.")
        if not 0 <= alpha < float("inf"):
            raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}.")
        N, S = x.shape
        V = self.num_targets
        device = x.device
        limit = _check_max_length(max_length, N, device)
        memory, keys, mask, state, feed = self.encode(x, lengths)
        # tile every input K times: row n * K + k is beam k of input n
        rep = torch.arange(N, device=device).repeat_interleave(K)
        memory, mask, feed = memory[rep], mask[rep], feed[rep]
        keys = None if keys is None else keys[rep]
        state = self._select(state, rep)
        prev = torch.full((N * K,), self.bos, dtype=torch.long, device=device)
        neg_inf = float("-inf")
        alive = torch.full((N, K), neg_inf, device=device)
        alive[:, 0] = 0.0  # one start hypothesis, not K copies
        T_max = int(limit.max()) + 1
        hist = torch.zeros(N, K, 0, dtype=torch.long, device=device)
        attn_hist = memory.new_zeros(N, K, 0, S)
        best = torch.full((N,), neg_inf, device=device)
        best_tokens = torch.zeros(N, T_max, dtype=torch.long, device=device)
        best_attn = memory.new_zeros(N, T_max, S)
        best_len = torch.zeros(N, dtype=torch.long, device=device)
        done = torch.zeros(N, dtype=torch.bool, device=device)
        rows = torch.arange(N, device=device)
        for t in range(T_max):
            logits, state, feed, weights = self.step(
                prev, state, feed, memory, keys, mask
            )
            logp = self._log_probs(logits).view(N, K, V)
            total = (alive.unsqueeze(-1) + logp).view(N, K * V)
            cand, flat = total.topk(K, dim=-1)
            beam, token = flat // V, flat % V
            is_eos = token == self.eos
            # the candidates that end leave the beam, scored length-normalised
            fin_score = cand / length_penalty(t + 1, alpha)
            fin_score = fin_score.masked_fill(
                ~is_eos | (limit < t).unsqueeze(1), neg_inf
            )
            top_fin, top_k = fin_score.max(-1)
            better = (top_fin > best) & ~done
            if bool(better.any()):
                n = better.nonzero().squeeze(1)
                src = beam[n, top_k[n]]
                best[n] = top_fin[n]
                best_len[n] = t
                best_tokens[n] = 0
                best_tokens[n, :t] = hist[n, src]
                best_attn[n] = 0
                best_attn[n, :t] = attn_hist[n, src]
            alive = cand.masked_fill(is_eos, neg_inf)
            index = (rows.unsqueeze(1) * K + beam).view(-1)
            state = self._select(state, index)
            feed = feed[index]
            step_attn = memory.new_zeros(N * K, S) if weights is None else weights
            hist = torch.cat(
                [
                    hist.gather(1, beam.unsqueeze(-1).expand(-1, -1, t)),
                    token[..., None],
                ],
                -1,
            )
            attn_hist = torch.cat(
                [attn_hist[rows.unsqueeze(1), beam], step_attn[index].view(N, K, 1, S)],
                2,
            )
            prev = token.view(-1)
            # the limit is reached: keep the best live hypothesis of an input
            # that has nothing finished, cut, before the beam moves on
            cut = (limit <= t) & ~done & (best == neg_inf)
            if bool(cut.any()):
                n = cut.nonzero().squeeze(1)
                best_len[n] = limit[n]
                best_tokens[n] = 0
                best_attn[n] = 0
                j = alive[n].argmax(-1)
                best_tokens[n, : t + 1] = hist[n, j]
                best_attn[n, : t + 1] = attn_hist[n, j]
                width = torch.arange(T_max, device=device) < limit[n].unsqueeze(1)
                best_tokens[n] *= width
                best_attn[n] *= width.unsqueeze(-1)
            bound = alive.max(-1).values / length_penalty(limit.float() + 1, alpha)
            done |= (best >= bound) | (limit <= t)
            if bool(done.all()):
                break
        finished = best > neg_inf
        T = int(best_len.max())
        return best_tokens[:, :T], best_len, best_attn[:, :T], finished
