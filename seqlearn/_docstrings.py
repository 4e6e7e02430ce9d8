"""Docstring fragments that are written once and filled into several docstrings.

A line of a docstring that holds only ``{name}`` is replaced by the fragment
``name``, indented as that line, when the module is imported: numpydoc,
doctest, ``help()`` and Sphinx all read the filled ``__doc__``.
"""

import re
import textwrap

__all__ = [
    "FITTED_INPUT_DOC",
    "PREDICT_PARAMETERS_DOC",
    "WORD_FEATURES_DOC",
    "fill_doc",
    "fit_returns_doc",
    "fitted_net_doc",
]

_PLACEHOLDER = re.compile(r"(?m)^( *)\{(\w+)\}$")


def fill_doc(**fragments: str):
    """Return a decorator that fills ``{name}`` lines with ``fragments[name]``.

    Parameters
    ----------
    **fragments : str
        The text of each fragment, indented or not (it is dedented first).

    Returns
    -------
    callable
        Decorator of a function or class; it returns the object itself.
    """

    def expand(match: re.Match) -> str:
        text = textwrap.dedent(fragments[match[2]]).strip("\n")
        return textwrap.indent(text, match[1])

    def decorate(obj):
        obj.__doc__ = _PLACEHOLDER.sub(expand, obj.__doc__)
        return obj

    return decorate


# ------------------------------------------------ estimators' shared fragments
# Fitted attributes of the estimators that validate X like RNNClassifier.
FITTED_INPUT_DOC = """\
n_features_in_ : int
    Features per time step; for 2-D input, its number of columns.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Column names, when fitted on a DataFrame with string column names.
"""

# Fitted attribute of the estimators that take text (``input_kind_="words"``).
WORD_FEATURES_DOC = """\
word_features_ : WordFeatureEncoder
    Text input only: the word and character vocabularies
    (:class:`~seqlearn.preprocessing.WordFeatureEncoder`).
"""

# The Parameters section of ``predict``, ``predict_proba`` and the like.
PREDICT_PARAMETERS_DOC = """\
Parameters
----------
X : array-like or list
    Sequences, as in ``fit``.
"""


def fitted_net_doc(validation: str) -> str:
    """Return the ``net_`` and ``history_`` attribute entries.

    Parameters
    ----------
    validation : str
        What ``history_`` records with early stopping besides ``train_loss``
        and ``dur``, as it ends the sentence (e.g. "``valid_loss``.").

    Returns
    -------
    str
        The two entries, not indented.
    """
    history = textwrap.fill(
        "Per epoch: ``train_loss``, ``dur`` and, with early stopping, " + validation,
        width=72,
        initial_indent="    ",
        subsequent_indent="    ",
    )
    return (
        "net_ : skorch.NeuralNet\n    The trained network.\n"
        f"history_ : skorch.History\n{history}\n"
    )


def fit_returns_doc(
    estimator: str,
    noun: str,
    sample_weight: str = "Weight of each sequence in the loss.",
) -> str:
    """Return the ``sample_weight`` entry and the Returns section of ``fit``.

    Parameters
    ----------
    estimator : str
        The class name (the type of ``self``).
    noun : str
        What the estimator is called in the text, e.g. "classifier".
    sample_weight : str, default="Weight of each sequence in the loss."
        The description of ``sample_weight``.

    Returns
    -------
    str
        The text, not indented.
    """
    return (
        "sample_weight : array-like of shape (n_samples,), default=None\n"
        f"    {sample_weight}\n\nReturns\n-------\n"
        f"self : {estimator}\n    The fitted {noun}.\n"
    )
