"""seqlearn: recurrent neural networks as scikit-learn estimators."""

from seqlearn.classifier import RNNClassifier
from seqlearn.forecasting import RNNForecaster
from seqlearn.generation import CharRNN
from seqlearn.persistence import load, save
from seqlearn.regressor import SequenceRegressor
from seqlearn.tagger import SequenceTagger
from seqlearn.translator import SequenceTranslator

__version__ = "0.1.0.dev0"

__all__ = [
    "CharRNN",
    "RNNClassifier",
    "RNNForecaster",
    "SequenceRegressor",
    "SequenceTagger",
    "SequenceTranslator",
    "__version__",
    "load",
    "save",
]
