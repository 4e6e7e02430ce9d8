"""Reserved ids and the ignored target value, shared by every module.

Token ids 0 and 1 are reserved in every vocabulary
(:class:`~seqlearn.preprocessing.VocabularyEncoder`): 0 pads ragged batches
(embeddings are zero there) and 1 stands for a token not seen in ``fit``.
Per-step targets at padded steps hold ``PAD_TARGET``, which the losses ignore
(it is torch's default ``ignore_index``).
"""

PAD_ID = 0
UNK_ID = 1
N_RESERVED_IDS = 2
PAD_TARGET = -100

__all__ = ["N_RESERVED_IDS", "PAD_ID", "PAD_TARGET", "UNK_ID"]
