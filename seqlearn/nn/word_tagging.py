"""Tagging network for words: word, character and capitalisation features."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqlearn.nn._validation import check_dropout, check_positive_int
from seqlearn.nn.char_encoder import CharEncoder
from seqlearn.nn.constants import PAD_ID, UNK_ID
from seqlearn.nn.encoder import RecurrentEncoder
from seqlearn.nn.models import EncoderHead, encoder_args

__all__ = ["WordTaggingModel"]


class WordTaggingModel(EncoderHead):
    """Per-step tag scores from word ids, their characters and their case.

    Every word becomes the concatenation of a word embedding (often of the
    lowercased word), an embedding of its capitalisation class and, if
    ``char_hidden_size`` is set, a :class:`~seqlearn.nn.CharEncoder` encoding
    of its spelling; a :class:`~seqlearn.nn.RecurrentEncoder` reads the
    sentence and a linear layer scores every tag at every step.  The scores
    are logits, or emissions for a :class:`~seqlearn.nn.CRF`.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru", "peephole"}
        Recurrent cell of the sentence encoder.
    hidden_size : int
        Hidden features per direction of the sentence encoder.
    n_outputs : int
        Number of tags.
    num_words : int
        Word vocabulary size (0 is padding, 1 unknown).
    word_embedding_dim : int
        Features of a word embedding.
    num_cases : int
        Number of capitalisation classes (0 is padding).
    case_embedding_dim : int, default=4
        Features of a capitalisation embedding.
    num_chars : int, default=None
        Character vocabulary size; needed with ``char_hidden_size``.
    char_embedding_dim : int, default=25
        Features of a character embedding.
    char_hidden_size : int, default=None
        Size of a word's character encoding; None uses no characters.
    num_layers : int, default=1
        Stacked recurrent layers.
    bidirectional : bool, default=True
        Read sentences in both directions.
    dropout : float, default=0.0
        Dropout on the word representations and on the encoder output.
    word_dropout : float, default=0.0
        In training, the probability that a word's id is replaced by the
        unknown id 1 (its characters and case are kept), so the unknown-word
        embedding learns from every kind of word and the network learns to
        tag from spelling and context when a word is new.
    pooling : {"last", "mean", "max", "attention"} or None, default=None
        None scores every step (tagging); a pooling gives one output vector
        per sequence (text classification), see :class:`~seqlearn.nn.Pooling`.

    Attributes
    ----------
    word_embedding, case_embedding : torch.nn.Embedding
    char_encoder : CharEncoder or None
    encoder : RecurrentEncoder
    head : torch.nn.Linear

    Notes
    -----
    ``forward(x, lengths)`` takes ``x`` ``(N, L, 2 + W)`` int64 holding, for
    every word, its word id, its capitalisation class and its ``W``
    character ids (0-padded), and ``lengths`` ``(N,)``; it returns
    ``(N, L, n_outputs)``.

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn import WordTaggingModel
    >>> model = WordTaggingModel("lstm", 8, n_outputs=3, num_words=10,
    ...                          word_embedding_dim=6, num_cases=6, num_chars=20,
    ...                          char_hidden_size=5)
    >>> x = torch.tensor([[[4, 2, 7, 8, 0], [5, 1, 9, 0, 0]]])  # one sentence
    >>> model(x, torch.tensor([2])).shape
    torch.Size([1, 2, 3])
    """

    def __init__(
        self,
        cell: str,
        hidden_size: int,
        n_outputs: int,
        num_words: int,
        word_embedding_dim: int,
        num_cases: int,
        case_embedding_dim: int = 4,
        num_chars: int | None = None,
        char_embedding_dim: int = 25,
        char_hidden_size: int | None = None,
        num_layers: int = 1,
        bidirectional: bool = True,
        dropout: float = 0.0,
        word_dropout: float = 0.0,
        pooling: str | None = None,
    ) -> None:
        super().__init__()
        n_outputs = check_positive_int(n_outputs, "n_outputs")
        self.word_dropout = check_dropout(word_dropout, "word_dropout")
        self.word_embedding = nn.Embedding(
            num_words, word_embedding_dim, padding_idx=PAD_ID
        )
        self.case_embedding = nn.Embedding(
            num_cases, case_embedding_dim, padding_idx=PAD_ID
        )
        input_size = word_embedding_dim + case_embedding_dim
        self.char_encoder = None
        if char_hidden_size is not None:
            if num_chars is None:
                raise ValueError("num_chars is required with char_hidden_size.")
            self.char_encoder = CharEncoder(
                num_chars, char_embedding_dim, char_hidden_size
            )
            input_size += char_hidden_size
        self.drop = nn.Dropout(dropout)
        # cell, input_size (the word features), hidden_size, num_layers,
        # bidirectional and dropout, by name
        encoder = RecurrentEncoder(**encoder_args(locals()))
        self._add_encoder_head(encoder, n_outputs, pooling)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        """Return ``(N, L, n_outputs)`` tag scores for a padded batch.

        Parameters
        ----------
        x : Tensor of shape (N, L, 2 + W), int64
            Word id, capitalisation class and character ids of every word.
        lengths : Tensor of shape (N,)
            Number of real words of every sentence.

        Returns
        -------
        Tensor of shape (N, L, n_outputs)
            Scores of every tag at every step, or ``(N, n_outputs)`` with a
            pooling.
        """
        if x.dim() != 3 or x.shape[2] < 2:
            raise ValueError(
                f"x must be (N, L, 2 + W) word, case and character ids, got shape "
                f"{tuple(x.shape)}."
            )
        words = x[..., 0]
        if self.training and self.word_dropout > 0:
            drop = torch.rand(words.shape, device=words.device) < self.word_dropout
            words = words.masked_fill(drop & (words > 0), UNK_ID)
        features = [self.word_embedding(words), self.case_embedding(x[..., 1])]
        if self.char_encoder is not None:
            features.append(self.char_encoder(x[..., 2:]))
        return self._encode_and_score(self.drop(torch.cat(features, -1)), lengths)
