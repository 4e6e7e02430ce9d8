"""scikit-learn's estimator checks over every seqlearn estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from seqlearn import RNNClassifier, SequenceRegressor, SequenceTagger

# Settings that learn the checks' small, easy problems in a fraction of a second.
FAST = {"hidden_size": 16, "max_epochs": 30, "lr": 0.02, "random_state": 0}

_MINIBATCH = (
    "mini-batch SGD: zero weights or repeated samples change how sequences fall "
    "into batches and the number of optimiser steps, so the fitted nets differ"
)
_ONE_D_TARGETS = (
    "SequenceTagger needs one label per step (a list of label sequences or a "
    "2-D array); this check passes one label per sample"
)


_TAGGER_ONE_D_CHECKS = [
    "check_fit2d_1sample",
    "check_all_zero_sample_weights_error",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_sample_weights_list",
    "check_sample_weights_not_an_array",
    "check_sample_weights_not_overwritten",
    "check_sample_weights_pandas_series",
    "check_sample_weights_shape",
]


def expected_failed_checks(estimator):
    failures = {
        "check_sample_weight_equivalence_on_dense_data": _MINIBATCH,
    }
    if isinstance(estimator, SequenceTagger):
        # the same properties are tested with per-step targets in test_base.py
        failures.update(dict.fromkeys(_TAGGER_ONE_D_CHECKS, _ONE_D_TARGETS))
    return failures


@parametrize_with_checks(
    [RNNClassifier(**FAST), SequenceRegressor(**FAST), SequenceTagger(**FAST)],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
