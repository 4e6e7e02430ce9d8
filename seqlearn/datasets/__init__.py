"""Datasets: real tagging data and synthetic sequence tasks with known answers.

The synthetic generators return NumPy arrays and state in their docstrings the
best score a model can reach, so a test or benchmark can check that an
estimator learns what it should. :func:`load_dutch_ner` reads a CC-0 Dutch
named-entity corpus (80 documents) that ships with seqlearn.
"""

from seqlearn.datasets._ner import load_dutch_ner
from seqlearn.datasets._seq2seq import (
    make_addition,
    make_date_normalization,
    make_reversal,
)
from seqlearn.datasets._synthetic import (
    make_adding_problem,
    make_ar_series,
    make_copy_task,
    make_sine_series,
)
from seqlearn.datasets._text import load_kjv

__all__ = [
    "load_dutch_ner",
    "load_kjv",
    "make_adding_problem",
    "make_addition",
    "make_ar_series",
    "make_copy_task",
    "make_date_normalization",
    "make_reversal",
    "make_sine_series",
]
