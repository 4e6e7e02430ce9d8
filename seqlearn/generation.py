"""CharRNN: a character-level language model trained with stateful truncated BPTT.

The text is read as one long stream of token ids.  Training cuts it into
``batch_size`` parallel streams and walks them in windows of ``seq_len``
steps; with ``stateful=True`` the hidden state left by one window starts the
next (detached from the graph), so the network sees context far longer than
``seq_len`` while gradients flow back at most ``seq_len`` steps.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch.utils import to_tensor

from seqlearn._compat import Interval
from seqlearn.base import (
    BaseSequenceEstimator,
    SeqNet,
    _torch_context,
    fit_method,
    param,
)
from seqlearn.data import SequenceData
from seqlearn.nn._validation import check_positive_int
from seqlearn.nn.constants import N_RESERVED_IDS, PAD_TARGET, UNK_ID
from seqlearn.nn.language_model import RecurrentLanguageModel, detach_state
from seqlearn.preprocessing import VocabularyEncoder

__all__ = ["CharRNN", "StreamBatchIterator", "TokenStream", "ngram_score"]


def ngram_score(train, test, order=3):
    """Mean log-likelihood per character of an add-one smoothed n-gram model.

    The baseline a character-level network must beat:
    ``p(c | h) = (count(h c) + 1) / (count(h) + V)``, with ``h`` the previous
    ``order - 1`` characters and ``V`` the size of the training alphabet.
    Characters of ``test`` outside that alphabet are not scored (nor are the
    n-grams that contain them), as in :meth:`CharRNN.score`.

    Parameters
    ----------
    train : str
        Text the counts come from.
    test : str
        Text to score.
    order : int, default=3
        Length of the n-grams (3: two characters of context), >= 1.

    Returns
    -------
    score : float
        Mean natural log-likelihood per scored character;
        ``exp(-score)`` is the perplexity.

    Raises
    ------
    ValueError
        If ``train`` or ``test`` is shorter than ``order``, or no n-gram of
        ``test`` is made of characters of ``train`` (nothing to score).

    Examples
    --------
    >>> from seqlearn.generation import ngram_score
    >>> round(ngram_score("abababab", "abab", order=2), 3)
    -0.196
    """
    order = check_positive_int(order, "order")
    for name, text in (("train", train), ("test", test)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a string, got {type(text).__name__}.")
        if len(text) < order:
            raise ValueError(
                f"{name} has {len(text)} character(s), fewer than order={order}: "
                "it holds no n-gram."
            )
    alphabet = {c: i for i, c in enumerate(sorted(set(train)))}
    V = len(alphabet)

    def grams(text):
        ids = np.array([alphabet.get(c, -1) for c in text], dtype=np.int64)
        rows = np.lib.stride_tricks.sliding_window_view(ids, order)
        return rows[(rows >= 0).all(axis=1)]

    train_grams, test_grams = grams(train), grams(test)
    if not len(test_grams):
        raise ValueError(
            "test has no n-gram made only of characters seen in train: nothing "
            "to score."
        )
    both = np.concatenate([train_grams, test_grams])
    n_train = len(train_grams)

    def counts(ids):
        # how often each test n-gram (or context) occurs in train
        return np.bincount(ids[:n_train], minlength=len(both))[ids[n_train:]]

    # a context's count: the n-grams that start with it; an n-gram's ids
    # extend its context's by the last column (as _row_ids would)
    context = _row_ids(both[:, :-1], V)
    full = np.unique(context * V + both[:, -1], return_inverse=True)[1].reshape(-1)
    numerator = counts(full) + 1
    denominator = counts(context) + V
    return float(np.mean(np.log(numerator) - np.log(denominator)))


def _row_ids(rows, V):
    """Ids of the rows of ``rows``, in ``[0, len(rows))``: equal rows, equal ids.

    Built one column at a time and renumbered after each, so the ids never
    overflow (``rows @ V ** arange(order)`` would, once ``V ** order`` passes
    ``2 ** 63``).  No column: every id is 0.
    """
    ids = np.zeros(len(rows), dtype=np.int64)
    for column in rows.T:
        ids = np.unique(ids * V + column, return_inverse=True)[1].reshape(-1)
    return ids


def _is_int(value) -> bool:
    """Whether ``value`` is an integer (numpy ones included), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def stream_windows(ids, n_streams, seq_len):
    """Cut a 1-D id stream into parallel streams and walk them in windows.

    Parameters
    ----------
    ids : Tensor of shape (T,) int64
        The whole stream, ``T >= 2``.
    n_streams : int
        Number of parallel streams (rows of every batch).
    seq_len : int
        Steps per window (the last window may be shorter).

    Returns
    -------
    windows : list of (Tensor, Tensor)
        ``(x, y)`` pairs of shape ``(n_streams, <= seq_len)``; ``y`` is ``x``
        shifted by one step.  Row ``i`` of consecutive windows continues row
        ``i`` of the previous one.  The last row is padded with id 0 and
        target -100 (ignored by the loss), so every next token is a target.

    Examples
    --------
    >>> import torch
    >>> (x, y), = stream_windows(torch.arange(1, 8), n_streams=2, seq_len=3)
    >>> x.tolist(), y.tolist()
    ([[1, 2, 3], [4, 5, 6]], [[2, 3, 4], [5, 6, 7]])
    """
    n_targets = len(ids) - 1
    n_streams = max(1, min(n_streams, n_targets))
    per_stream = -(-n_targets // n_streams)
    pad = n_streams * per_stream - n_targets
    x = torch.cat([ids[:-1], ids.new_zeros(pad)]).view(n_streams, per_stream)
    y = torch.cat([ids[1:], ids.new_full((pad,), PAD_TARGET)])
    y = y.view(n_streams, per_stream)
    return [
        (x[:, i : i + seq_len], y[:, i : i + seq_len])
        for i in range(0, per_stream, seq_len)
    ]


class TokenStream(torch.utils.data.Dataset):
    """One long stream of token ids, as a torch dataset for skorch.

    Parameters
    ----------
    ids : array-like of shape (T,) int
        The stream.
    """

    def __init__(self, ids):
        self.ids = torch.as_tensor(ids, dtype=torch.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        return self.ids[i]


class StreamBatchIterator:
    """Windows of ``seq_len`` steps over ``batch_size`` parallel streams.

    The order is fixed (never shuffled): a stateful network relies on row
    ``i`` of a batch continuing row ``i`` of the previous batch.

    Parameters
    ----------
    dataset : TokenStream
        The stream.
    batch_size : int
        Number of parallel streams.
    seq_len : int, default=100
        Steps per window.
    """

    def __init__(self, dataset, batch_size, seq_len=100):
        self.dataset = dataset
        self.batch_size = batch_size
        self.seq_len = seq_len

    def __len__(self) -> int:
        return len(self._windows())

    def _windows(self):
        return stream_windows(self.dataset.ids, self.batch_size, self.seq_len)

    def __iter__(self):
        yield from self._windows()


class StatefulNet(SeqNet):
    """A :class:`~seqlearn.base.SeqNet` whose module takes and returns a hidden state.

    Parameters
    ----------
    *args, **kwargs
        As :class:`~seqlearn.base.SeqNet`.
    stateful : bool, default=True
        Start every batch from the detached state the previous batch ended in
        (reset at the start of each epoch, and kept apart for training and
        validation batches); False starts every batch from zeros.
    """

    def __init__(self, *args, stateful=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.stateful = stateful

    def on_epoch_begin(self, net, **kwargs):
        """Start the epoch from a zero state."""
        super().on_epoch_begin(net, **kwargs)
        self._states = {}

    def on_train_end(self, net, **kwargs):
        """Drop the carried states (they are not part of the model)."""
        super().on_train_end(net, **kwargs)
        self._states = {}

    def infer(self, x, **fit_params):
        """Return the logits of a batch, carrying the state if stateful."""
        x = to_tensor(x, device=self.device)
        states = self.__dict__.setdefault("_states", {})
        phase = "train" if self.module_.training else "valid"
        with self.autocast():
            logits, hx = self.module_(
                x, states.get(phase) if self.stateful else None, **fit_params
            )
        if self.stateful:
            states[phase] = detach_state(hx)
        return logits


class StreamSplit:
    """Hold out the end of a token stream for validation (early stopping).

    Parameters
    ----------
    fraction : float
        Fraction of the stream held out, taken from its end.
    """

    def __init__(self, fraction):
        self.fraction = fraction

    def __call__(self, dataset, y=None, **fit_params):
        """Return ``(train, valid)`` token streams."""
        ids = dataset.ids
        n_valid = int(np.ceil(self.fraction * len(ids)))
        if n_valid < 2 or len(ids) - n_valid < 2:
            raise ValueError(
                f"validation_fraction={self.fraction} leaves fewer than 2 "
                f"characters for training or validation in a text of {len(ids)}; "
                "use a longer text or early_stopping=False."
            )
        return TokenStream(ids[:-n_valid]), TokenStream(ids[-n_valid:])


class CharRNN(BaseSequenceEstimator):
    """Character-level recurrent language model with stateful truncated BPTT.

    ``fit`` learns the character vocabulary (with
    :class:`~seqlearn.preprocessing.VocabularyEncoder`) and trains a
    :class:`~seqlearn.nn.RecurrentLanguageModel` to predict each character
    from the ones before it.  ``generate`` samples new text, ``score`` gives
    the mean log-likelihood per character of held-out text.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    input_kind_ : {"text", "ids"}
        Whether ``fit`` saw strings or integer sequences.
    encoder_ : VocabularyEncoder
        The fitted character (or symbol) vocabulary.
    n_tokens_ : int
        Vocabulary size, with the reserved padding and unknown ids.
    start_probs_ : ndarray of shape (`n_tokens_`,)
        Frequency of each id in the training text: where ``generate`` draws
        the first character from when there is no prime.
    net_ : skorch.NeuralNet
        The trained network.
    history_ : skorch.History
        Per epoch: ``train_loss`` (mean negative log-likelihood per character)
        and ``dur``; with ``early_stopping=True`` also ``valid_loss`` and
        ``valid_acc`` (next-character accuracy) on the held-out end of the
        text.

    See Also
    --------
    seqlearn.nn.RecurrentLanguageModel : The network.

    Notes
    -----
    A list of documents is read as one stream, the documents joined with no
    separator; end each with a newline to mark the boundaries.  Integer
    sequences are symbols like characters (a flat list or 1-D array of ints
    is one sequence): ``generate`` then returns an int array.  Characters
    not seen in ``fit`` are read as the unknown id, never generated, and left
    out of ``score``.

    Examples
    --------
    >>> from seqlearn import CharRNN
    >>> text = "the cat sat on the mat. " * 20
    >>> model = CharRNN(hidden_size=16, seq_len=20, batch_size=4, max_epochs=5,
    ...                 random_state=0).fit(text)
    >>> sample = model.generate(20, prime="the ", random_state=0)
    >>> len(sample)
    24
    >>> round(model.perplexity(text)) < model.n_tokens_
    True
    """

    _param_groups = ("recurrent", "own", "training")
    _param_docs = {
        "hidden_size": "Features of the hidden state.",
        "dropout": "Dropout between stacked layers and before the output layer.",
        "batch_size": "Number of parallel streams the text is cut into.",
        "early_stopping": "Hold out the last ``validation_fraction`` of the text "
        "and stop when its loss has not improved for ``patience`` epochs, "
        "restoring the best weights.",
        "random_state": "Seeds weight initialisation and dropout: the same value "
        "gives the same model on CPU.",
    }
    _net_cls = StatefulNet
    # defaults that differ from the other estimators' (a language model reads
    # far more steps per fit)
    hidden_size = 128
    max_epochs = 10
    lr = 0.003
    gradient_clip = 5.0

    embedding_dim: int | None = param(
        None,
        "int or None",
        [Interval(numbers.Integral, 1, None, closed="left"), None],
        "None feeds characters one-hot; an int learns embeddings of this size.",
    )
    seq_len: int = param(
        100,
        "int",
        [Interval(numbers.Integral, 1, None, closed="left")],
        "Steps per training window: how far back gradients flow.",
    )
    stateful: bool = param(
        True,
        "bool",
        ["boolean"],
        "Carry the hidden state from one window to the next (detached), so the "
        "model also learns to use context older than ``seq_len``; False resets "
        "it to zeros for every batch.",
    )
    lowercase: bool = param(
        False, "bool", ["boolean"], "Lowercase the text before learning the vocabulary."
    )

    # ------------------------------------------------------------ input
    def _documents(self, X, name="X"):
        """Return ``(kind, documents)``: a list of str or of str token lists."""
        if isinstance(X, str):
            return "text", [X]
        if isinstance(X, np.ndarray) and X.dtype.kind in "iu" and X.ndim == 1:
            X = [X]
        if X is None or isinstance(X, bytes | dict) or not hasattr(X, "__iter__"):
            raise TypeError(
                f"{name} must be a string, a list of strings or a list of integer "
                f"sequences; got {type(X).__name__}."
            )
        docs = list(X)
        if docs and all(isinstance(d, str) for d in docs):
            return "text", docs
        if docs and all(_is_int(d) for d in docs):
            # a flat list of ids is one stream, as a 1-D int array is
            docs = [np.asarray(docs, dtype=np.int64)]
        seqs = []
        for i, d in enumerate(docs):
            arr = np.asarray(d)
            if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
                raise TypeError(
                    f"{name}[{i}] is {type(d).__name__} of dtype {arr.dtype} and "
                    f"shape {arr.shape}; {name} must be a string, a list of "
                    "strings or a list of 1-D integer sequences."
                )
            seqs.append(arr.astype(str).tolist())
        return "ids", seqs

    def _encode(self, X, name="X") -> torch.Tensor:
        """Validate X and return its id stream (unknown symbols are id 1)."""
        kind, docs = self._documents(X, name)
        if hasattr(self, "input_kind_") and kind != self.input_kind_:
            raise ValueError(
                f"{name} holds {kind}, but this CharRNN was fitted on "
                f"{self.input_kind_}."
            )
        encoder = self.encoder_ if hasattr(self, "encoder_") else None
        if encoder is None:
            encoder = VocabularyEncoder(
                analyzer="char" if kind == "text" else None, lowercase=self.lowercase
            ).fit(docs)
        parts = encoder.transform(docs)
        ids = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        if len(ids) < 2:
            raise ValueError(
                f"{name} has {len(ids)} character(s); at least 2 are needed to "
                "learn or score a next character."
            )
        return kind, encoder, torch.as_tensor(ids)

    # ------------------------------------------------------------ fit
    def _make_module(self, data, n_outputs):
        return RecurrentLanguageModel(
            self.cell,
            n_outputs,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            dropout=self.dropout,
            embedding_dim=self.embedding_dim,
        )

    def _make_dataset(self, data, y, sample_weight):
        return TokenStream(data.values[0])

    def _net_params(self, seed, stratify):
        return {
            "iterator_train": StreamBatchIterator,
            "iterator_train__seq_len": self.seq_len,
            "iterator_valid": StreamBatchIterator,
            "iterator_valid__seq_len": self.seq_len,
            "train_split": (
                StreamSplit(self.validation_fraction) if self.early_stopping else None
            ),
            "stateful": self.stateful,
        }

    def _example_input(self):
        return {"x": torch.ones(2, 8, dtype=torch.long)}

    @fit_method
    def fit(self, X, y=None):
        """Learn the vocabulary and train the network on a text.

        Parameters
        ----------
        X : str, list of str or list of int sequences
            The training text; a list is read as one stream.
        y : None
            Ignored.

        Returns
        -------
        self : CharRNN
            The fitted model.
        """
        for attr in ("input_kind_", "encoder_"):
            self.__dict__.pop(attr, None)
        kind, encoder, ids = self._encode(X)
        self.input_kind_, self.encoder_ = kind, encoder
        self.n_tokens_ = len(encoder.tokens_)
        counts = np.bincount(ids.numpy(), minlength=self.n_tokens_)
        self.start_probs_ = counts / counts.sum()
        # the text is one sequence of token ids
        data = SequenceData(ids.numpy()[None], np.array([len(ids)]), tabular=False)
        return self._fit_net(data, None, None, self.n_tokens_)

    # ------------------------------------------------------------ use
    def score(self, X, y=None):
        """Mean log-likelihood per character (natural log) of a text.

        Each character is predicted from those before it (the first one,
        which has none, is not scored), so higher is better and
        ``GridSearchCV`` can tune the model with it.  The text is read as
        up to ``batch_size`` streams of at least ``10 * seq_len`` characters,
        each starting from a zero state.

        Parameters
        ----------
        X : str, list of str or list of int sequences
            Held-out text, in the form given to ``fit``.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Mean of ``log p(x_t | x_<t)`` over the known characters.
        """
        check_is_fitted(self)
        _, _, ids = self._encode(X)
        # long streams: only a few characters per stream lack context
        n_streams = min(self.batch_size, max(1, len(ids) // (10 * self.seq_len)))
        module, device = self.net_.module_, self.net_.device
        total, count, hx = 0.0, 0, None
        with _torch_context(None, device, self.n_threads), torch.inference_mode():
            module.eval()
            for x, y in stream_windows(ids, n_streams, self.seq_len):
                logits, hx = module(x.to(device), hx)
                y = y.to(device)
                # unknown characters (id 1) are read but not scored
                y = y.masked_fill(y == UNK_ID, PAD_TARGET)
                nll = torch.nn.functional.cross_entropy(
                    logits.flatten(0, 1).double(),
                    y.flatten(),
                    ignore_index=PAD_TARGET,
                    reduction="sum",
                )
                total += float(nll)
                count += int((y != PAD_TARGET).sum())
        if count == 0:
            raise ValueError(f"X has no character known to this {type(self).__name__}.")
        return -total / count

    def perplexity(self, X):
        """Perplexity per character of a text: ``exp(-score(X))``.

        Parameters
        ----------
        X : str, list of str or list of int sequences
            Held-out text.

        Returns
        -------
        perplexity : float
            Between 1 (certain of every character) and about ``n_tokens_``
            (uniform guessing) for a useful model.
        """
        return float(np.exp(-self.score(X)))

    def generate(
        self, n_chars, prime="", temperature=1.0, top_k=None, random_state=None
    ):
        """Sample text: the prime followed by ``n_chars`` new characters.

        Parameters
        ----------
        n_chars : int
            Number of characters to generate.
        prime : str or sequence of int, default=""
            Text the model reads first and continues; unknown characters are
            read as the unknown id.  Empty: the first character is drawn from
            the training character frequencies.
        temperature : float, default=1.0
            Divides the logits: below 1 gives safer, more repetitive text,
            above 1 more surprising text.
        top_k : int, default=None
            Sample only among the ``top_k`` most likely characters.
        random_state : int, RandomState instance or None, default=None
            Seeds the sampling: the same value gives the same text.

        Returns
        -------
        text : str or ndarray of int
            ``prime + generated``; an int array if fitted on integer sequences.
        """
        check_is_fitted(self)
        if not _is_int(n_chars) or n_chars < 0:
            raise ValueError(f"n_chars must be an integer >= 0, got {n_chars!r}.")
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, numbers.Real)
            or not 0 < temperature < np.inf
        ):
            raise ValueError(
                f"temperature must be a finite number > 0, got {temperature!r} "
                "(for greedy decoding, the most likely character each step, "
                "pass top_k=1)."
            )
        n_choices = self.n_tokens_ - N_RESERVED_IDS
        if top_k is not None and (not _is_int(top_k) or top_k < 1):
            raise ValueError(f"top_k must be a positive integer, got {top_k!r}.")
        prime_tokens = self._prime_tokens(prime)
        prime_ids = self.encoder_.transform([prime_tokens])[0]
        seed = int(check_random_state(random_state).randint(2**31 - 1))
        generator = torch.Generator().manual_seed(seed)
        module, device = self.net_.module_, self.net_.device
        out = []
        with _torch_context(None, device, self.n_threads), torch.inference_mode():
            module.eval()
            if len(prime_ids):
                logits, hx = module(torch.as_tensor(prime_ids, device=device)[None])
                logits = logits[0, -1].cpu().double()
            else:
                logits, hx = torch.as_tensor(self.start_probs_).log(), None
            for _ in range(n_chars):
                logits = logits[N_RESERVED_IDS:]
                # subtract the maximum first: a tiny temperature then gives
                # 0 and -inf (a greedy choice), never inf - inf = NaN
                logits = (logits - logits.max()) / temperature
                if top_k is not None and top_k < n_choices:
                    kth = logits.topk(top_k).values[-1]
                    logits = logits.masked_fill(logits < kth, -torch.inf)
                probs = torch.softmax(logits, dim=0)
                token = N_RESERVED_IDS + int(
                    torch.multinomial(probs, 1, generator=generator)
                )
                out.append(token)
                step = torch.tensor([[token]], device=device)
                logits, hx = module(step, hx)
                logits = logits[0, -1].cpu().double()
        new = [self.encoder_.tokens_[i] for i in out]
        if self.input_kind_ == "ids":
            return np.array(prime_tokens + new, dtype=np.int64)
        return prime + "".join(new)

    def _prime_tokens(self, prime) -> list[str]:
        """Return the prime as a list of tokens of the fitted vocabulary's kind."""
        if self.input_kind_ == "text":
            if not isinstance(prime, str):
                raise TypeError(f"prime must be a string, got {type(prime).__name__}.")
            return list(prime)  # the fitted encoder lowercases if it was fitted to
        if isinstance(prime, str):
            if prime:
                raise TypeError(
                    "prime must be a sequence of int for a model fitted on ids."
                )
            return []  # the default, no prime
        if not hasattr(prime, "__len__"):
            raise TypeError(
                "prime must be a 1-D sequence of int for a model fitted on ids, "
                f"got {type(prime).__name__}; wrap a single id in a list: [id]."
            )
        arr = np.asarray(prime)
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
            raise ValueError(
                "prime must be a 1-D sequence of int for a model fitted on ids, "
                f"got shape {arr.shape} and dtype {arr.dtype}."
            )
        return arr.astype(np.int64).astype(str).tolist()

    # ------------------------------------------------------------ sklearn
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # text or integer id sequences only
        tags.input_tags.two_d_array = tags.input_tags.three_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = False
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")
