"""Transformers that turn raw sequences into estimator input.

Text to token ids (:class:`VocabularyEncoder`) or to word, case and
character features (:class:`WordFeatureEncoder`), symbols to one-hot steps
(:class:`OneHotSequenceEncoder`), feature scaling over real time steps
(:class:`SequenceScaler`), and sliding windows for forecasting
(:func:`make_windows`, :class:`WindowTransformer`).
"""

from seqlearn.preprocessing._onehot import OneHotSequenceEncoder
from seqlearn.preprocessing._scaling import SequenceScaler
from seqlearn.preprocessing._tokens import WordFeatureEncoder
from seqlearn.preprocessing._vocabulary import VocabularyEncoder
from seqlearn.preprocessing._windows import WindowTransformer, make_windows

__all__ = [
    "OneHotSequenceEncoder",
    "SequenceScaler",
    "VocabularyEncoder",
    "WindowTransformer",
    "WordFeatureEncoder",
    "make_windows",
]
