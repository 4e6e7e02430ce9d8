"""Character-level word encoder: spelling features for unseen words."""

from __future__ import annotations

from torch import Tensor, nn

from seqlearn.nn._validation import check_positive_int

__all__ = ["CharEncoder"]


class CharEncoder(nn.Module):
    """Encode each word from its characters with a convolution and max-pooling.

    A word never seen in training still has a spelling: capitals, suffixes
    (``-straat``, ``-burg``), digits.  The characters are embedded, a 1-D
    convolution reads every window of ``kernel_size`` characters and the
    maximum over the word keeps the strongest response of every filter (the
    character CNN of Ma and Hovy, 2016, which is much cheaper on a CPU than a
    character LSTM and as accurate for tagging).

    Parameters
    ----------
    num_chars : int
        Size of the character vocabulary; id 0 is padding.
    embedding_dim : int
        Features of a character embedding.
    hidden_size : int
        Number of convolution filters: the size of a word's encoding.
    kernel_size : int, default=3
        Characters read by one filter.

    Attributes
    ----------
    embedding : torch.nn.Embedding
    conv : torch.nn.Conv1d

    Notes
    -----
    ``forward(chars)`` takes ``(..., W)`` int64 character ids, padded with 0
    after each word's end, and returns ``(..., hidden_size)``.  A word with no
    characters (all padding) is encoded as zeros.

    Examples
    --------
    >>> import torch
    >>> from seqlearn.nn import CharEncoder
    >>> encoder = CharEncoder(num_chars=30, embedding_dim=8, hidden_size=16)
    >>> chars = torch.tensor([[[3, 4, 5, 0], [6, 0, 0, 0]]])  # one sentence
    >>> encoder(chars).shape
    torch.Size([1, 2, 16])
    """

    def __init__(
        self, num_chars: int, embedding_dim: int, hidden_size: int, kernel_size: int = 3
    ) -> None:
        super().__init__()
        num_chars = check_positive_int(num_chars, "num_chars")
        embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
        hidden_size = check_positive_int(hidden_size, "hidden_size")
        kernel_size = check_positive_int(kernel_size, "kernel_size")
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(num_chars, embedding_dim, padding_idx=0)
        self.conv = nn.Conv1d(
            embedding_dim, hidden_size, kernel_size, padding=kernel_size // 2
        )

    def forward(self, chars: Tensor) -> Tensor:
        """Return one vector per word.

        Parameters
        ----------
        chars : Tensor of shape (..., W), int64
            Character ids of every word, 0 after its end.

        Returns
        -------
        Tensor of shape (..., hidden_size)
            The encoding of every word; zeros for a word without characters.
        """
        lead, width = chars.shape[:-1], chars.shape[-1]
        chars = chars.reshape(-1, width)
        real = chars != 0
        # (words, W, E) -> (words, E, W) for the convolution over characters
        h = self.conv(self.embedding(chars).transpose(1, 2))[..., :width]
        h = h.masked_fill(~real.unsqueeze(1), float("-inf")).amax(dim=2)
        h = h.masked_fill(~real.any(1, keepdim=True), 0)
        return h.reshape(*lead, self.hidden_size)
