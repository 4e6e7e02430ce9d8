"""The private scikit-learn API seqlearn uses, in one place.

scikit-learn's parameter validation (``_param_validation``), its fit context
and ``_check_sample_weight`` are private: their import paths may move between
releases.  Every seqlearn module imports them from here, so a move costs one
edit.  Tested against the newest release in CI (``tests/test_compat.py``).
"""

from sklearn.base import _fit_context as fit_context
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.validation import _check_sample_weight as check_sample_weight
from sklearn.utils.validation import validate_data

__all__ = [
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "check_sample_weight",
    "fit_context",
    "validate_data",
]
