"""Pure-PyTorch recurrent building blocks behind the seqlearn estimators.

Nothing here imports scikit-learn: the modules can be used on their own.
"""

from seqlearn.nn.attention import AttentionSeq2Seq
from seqlearn.nn.char_encoder import CharEncoder
from seqlearn.nn.crf import CRF, CRFLoss, allowed_transitions
from seqlearn.nn.encoder import RecurrentEncoder
from seqlearn.nn.language_model import RecurrentLanguageModel
from seqlearn.nn.models import SequenceModel, TaggingModel
from seqlearn.nn.peephole import PeepholeLSTM
from seqlearn.nn.pooling import Pooling
from seqlearn.nn.seq2seq import Seq2SeqModel
from seqlearn.nn.word_tagging import WordTaggingModel

__all__ = [
    "AttentionSeq2Seq",
    "CRF",
    "CRFLoss",
    "CharEncoder",
    "PeepholeLSTM",
    "Pooling",
    "RecurrentEncoder",
    "RecurrentLanguageModel",
    "Seq2SeqModel",
    "SequenceModel",
    "TaggingModel",
    "WordTaggingModel",
    "allowed_transitions",
]
