"""The private scikit-learn API seqlearn uses, in one place.

scikit-learn's parameter validation (``_param_validation``), its fit context,
``_check_sample_weight`` and the output configuration of ``set_output`` are
private: their import paths may move between releases.  Every seqlearn module
imports them from here, so a move costs one edit.  The test suite exercises
each of them against the scikit-learn that CI installs.
"""

from sklearn.base import _fit_context as fit_context
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils._set_output import _get_output_config as get_output_config
from sklearn.utils.validation import _check_sample_weight as check_sample_weight
from sklearn.utils.validation import validate_data

__all__ = [
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "check_sample_weight",
    "fit_context",
    "get_output_config",
    "validate_data",
]
