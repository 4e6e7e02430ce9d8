"""Metrics for sequence tagging: token accuracy, entity-level scores, scorers.

All functions take *ragged* label sequences: a list of 1-D arrays or lists
(one per sequence, lengths may differ), or a 2-D array when every sequence has
the same length. This is what :class:`~seqlearn.SequenceTagger` ``predict``
returns, so the scorers below plug straight into
:class:`~sklearn.model_selection.GridSearchCV`.

The entity-level scores reproduce `seqeval <https://github.com/chakki-works/seqeval>`_
exactly: ``scheme=None`` is seqeval's default, conlleval-compatible (lenient)
mode, and ``scheme="IOB2"`` (or another scheme) is seqeval's
``mode="strict"`` with that scheme. seqeval itself is not needed.
"""

import numbers
import warnings
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import make_scorer

from seqlearn._docstrings import fill_doc

__all__ = [
    "token_accuracy",
    "entity_precision_score",
    "entity_recall_score",
    "entity_f1_score",
    "entity_precision_recall_fscore_support",
    "entity_classification_report",
    "make_entity_scorer",
    "token_accuracy_scorer",
    "entity_f1_scorer",
    "sequence_accuracy",
    "edit_error_rate",
    "corpus_bleu",
    "chrf",
]

_AVERAGES = (None, "micro", "macro", "weighted")

#: Label sequences: a list of 1-D array-likes (ragged) or a 2-D array-like.
LabelSequences = Sequence[ArrayLike] | np.ndarray


# ---------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------


def _as_sequences(y, name):
    """Return ``y`` as a list of 1-D arrays, one per sequence."""
    if isinstance(y, str):
        raise ValueError(f"{name} must be a list of label sequences, got a string.")
    if hasattr(y, "iloc"):  # a DataFrame (or a Series of sequences), as fit takes
        y = y.to_numpy()
    if isinstance(y, np.ndarray) and y.dtype != object:
        if y.ndim != 2:
            raise ValueError(
                f"{name} must be a 2-D array or a list of label sequences, "
                f"got an array with shape {y.shape}."
            )
        return list(y)
    if not isinstance(y, Sequence | np.ndarray):
        raise ValueError(
            f"{name} must be a list of label sequences, got {type(y).__name__}."
        )
    sequences = []
    for i, seq in enumerate(y):
        if isinstance(seq, str) or np.ndim(seq) != 1:
            raise ValueError(
                f"{name} must be a list of label sequences, but element {i} is "
                f"{seq!r}, not a 1-D sequence of labels. Wrap a single sequence "
                "in a list."
            )
        sequences.append(np.asarray(seq))
    return sequences


def _check_sequences(y_true, y_pred):
    """Validate two collections of sequences and return them as lists of arrays."""
    y_true = _as_sequences(y_true, "y_true")
    y_pred = _as_sequences(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(
            "y_true and y_pred have different numbers of sequences: "
            f"{len(y_true)} != {len(y_pred)}."
        )
    len_true = np.fromiter((len(s) for s in y_true), dtype=np.intp, count=len(y_true))
    len_pred = np.fromiter((len(s) for s in y_pred), dtype=np.intp, count=len(y_pred))
    bad = np.flatnonzero(len_true != len_pred)
    if bad.size:
        i = bad[0]
        raise ValueError(
            f"y_true and y_pred have sequences of different lengths: sequence {i} "
            f"has {len_true[i]} true labels but {len_pred[i]} predicted labels "
            f"({bad.size} sequence(s) differ)."
        )
    return y_true, y_pred


def _as_str_lists(sequences):
    """Labels as lists of Python strings (entity parsing works on strings)."""
    return [[str(label) for label in seq.tolist()] for seq in sequences]


# ---------------------------------------------------------------------------
# Token accuracy
# ---------------------------------------------------------------------------


def token_accuracy(y_true: LabelSequences, y_pred: LabelSequences) -> float:
    """Fraction of steps, over all sequences, whose label is predicted correctly.

    Every real step of every sequence counts once, so long sequences weigh more
    than short ones (this is the "accuracy" usually reported for taggers).

    Parameters
    ----------
    y_true : list of array-like of shape (L_i,) or array-like of shape (N, L)
        True labels, one sequence per sample.
    y_pred : list of array-like of shape (L_i,) or array-like of shape (N, L)
        Predicted labels, with the same number of sequences and the same
        lengths as ``y_true``.

    Returns
    -------
    accuracy : float
        Correctly labelled steps divided by the total number of steps.

    Raises
    ------
    ValueError
        If the numbers of sequences or any sequence lengths differ, or if there
        are no steps at all.

    Examples
    --------
    >>> from seqlearn.metrics import token_accuracy
    >>> y_true = [["O", "B-PER", "I-PER"], ["O", "O"]]
    >>> y_pred = [["O", "B-PER", "O"], ["O", "O"]]
    >>> token_accuracy(y_true, y_pred)
    0.8
    """
    y_true, y_pred = _check_sequences(y_true, y_pred)
    if sum(len(s) for s in y_true) == 0:
        raise ValueError("token_accuracy needs at least one labelled step, got none.")
    true = np.concatenate(y_true)
    pred = np.concatenate(y_pred)
    if true.dtype.kind != pred.dtype.kind:
        # compare e.g. str with int elementwise (numpy would not broadcast it)
        true, pred = true.astype(object), pred.astype(object)
    return float(np.mean(true == pred))


# ---------------------------------------------------------------------------
# Entity extraction
# ---------------------------------------------------------------------------


def _split_lenient(label, suffix):
    """Prefix and type of a label, as seqeval's default mode parses them."""
    if suffix:
        return label[-1:], label[:-1].rsplit("-", maxsplit=1)[0] or "_"
    return label[:1], label[1:].split("-", maxsplit=1)[-1] or "_"


def _encode(sequences):
    """Labels as integer ids into a list of the distinct labels."""
    vocabulary = {}
    ids = [
        [vocabulary.setdefault(label, len(vocabulary)) for label in seq]
        for seq in sequences
    ]
    return ids, list(vocabulary)


def _lenient_entities(sequences, suffix=False):
    """Entities as (type, start, end) with seqeval's default (conlleval) rules.

    seqeval runs its state machine over all sequences joined by an ``"O"``,
    so positions are offsets into that concatenation; reproducing the join
    reproduces its result even for malformed tags. Whether a chunk ends or
    starts depends only on the previous and current label, so both are looked
    up in tables over pairs of distinct labels and the whole pass is
    vectorised.
    """
    ids, labels = _encode([[*seq, "O"] for seq in sequences] or [["O"]])
    # the state before the first label is ("O", ""), unlike the label "O"
    parsed = [_split_lenient(label, suffix) for label in labels] + [("O", "")]
    n = len(parsed)
    ends = np.array(
        [[_lenient_end(p[0], c[0], p[1], c[1]) for c in parsed] for p in parsed]
    )
    starts = np.array(
        [[_lenient_start(p[0], c[0], p[1], c[1]) for c in parsed] for p in parsed]
    )

    flat = np.fromiter((i for seq in ids for i in seq), dtype=np.intp)
    prev = np.concatenate([[n - 1], flat[:-1]])
    end_at = np.flatnonzero(ends[prev, flat])
    start_at = np.flatnonzero(starts[prev, flat])
    # a chunk ending before step i began at the last start before i (else 0)
    k = np.searchsorted(start_at, end_at, side="left") - 1
    begins = np.where(k >= 0, start_at[np.maximum(k, 0)], 0)
    types = [parsed[j][1] for j in prev[end_at]]
    return list(zip(types, begins.tolist(), (end_at - 1).tolist(), strict=True))


def _lenient_end(prev_tag, tag, prev_type, type_):
    """Whether a chunk ended between the previous and the current label."""
    if prev_tag in ("E", "S"):
        return True
    if prev_tag in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev_tag not in ("O", ".") and prev_type != type_


def _lenient_start(prev_tag, tag, prev_type, type_):
    """Whether a chunk started between the previous and the current label."""
    if tag in ("B", "S"):
        return True
    if prev_tag in ("E", "S") and tag in ("E", "I"):
        return True
    if prev_tag == "O" and tag in ("E", "I"):
        return True
    return tag not in ("O", ".") and prev_type != type_


# Strict schemes as transition tables, following seqeval.scheme.  A row: the
# scheme, its allowed prefixes, then the patterns a chunk starts, continues
# and ends with.  A pattern "PCt" matches previous prefix P, current prefix C
# ("*": any prefix) and type condition t ("=" same type, "!" different, "*" any).
_SCHEME_TABLE = """
IOB1  IOB   | OI* II! BI* IB= BB=         | BI= II=         | II! IO* IB* BO* BI! BB=
IOE1  IOE   | OI* II! EI* EE=             | II= IE=         | II! IO* IE! EI= EE=
IOB2  IOB   | *B*                         | BI= II=         | IO* II! IB* BO* BI! BB*
IOE2  IOE   | OI* OE* EI* EE* II! IE!     | IE= II=         | E**
IOBES IOBES | *B* *S*                     | BI= BE= II= IE= | S** E**
BILOU BILOU | *B* *U*                     | BI= BL= II= IL= | U** L**
"""
_ANY = "IOBESUL"
_CONDITIONS = {"=": "same", "!": "diff", "*": "any"}


def _parse_schemes(table):
    """Read the table above into ``{scheme: {"allowed", "start", "inside", "end"}}``."""
    schemes = {}
    for row in table.strip().splitlines():
        head, *patterns = row.split("|")
        name, allowed = head.split()
        schemes[name] = {"allowed": allowed}
        for key, text in zip(("start", "inside", "end"), patterns, strict=True):
            schemes[name][key] = [
                (_ANY if p == "*" else p, _ANY if c == "*" else c, _CONDITIONS[t])
                for p, c, t in text.split()
            ]
    return schemes


_SCHEMES = _parse_schemes(_SCHEME_TABLE)


def _matches(patterns, prev, cur):
    """Whether the transition ``prev -> cur`` (prefix, type) matches a pattern."""
    for prev_prefixes, cur_prefixes, cond in patterns:
        if prev[0] in prev_prefixes and cur[0] in cur_prefixes:
            if cond == "any" or (cond == "same") == (prev[1] == cur[1]):
                return True
    return False


def _parse_strict(label, scheme, suffix):
    """Prefix and type of a label, as seqeval's strict mode parses them."""
    prefix = label[-1:] if suffix else label[:1]
    if prefix not in _SCHEMES[scheme]["allowed"]:
        raise ValueError(
            f"Invalid label {label!r} for scheme {scheme}: allowed prefixes "
            f"are {', '.join(_SCHEMES[scheme]['allowed'])}."
        )
    type_ = label[:-1] if suffix else label[1:]
    return prefix, type_.strip("-") or "_"


def _strict_entities(sequences, scheme, suffix=False):
    """Entities as (sequence index, type, start, end) with seqeval's strict rules.

    ``end`` is exclusive. A chunk counts only if it starts, continues and ends
    as ``scheme`` prescribes; malformed chunks are dropped. The transition
    rules are evaluated once per pair of distinct labels.
    """
    rules = _SCHEMES[scheme]
    ids, labels = _encode([[*seq, "O"] for seq in sequences])
    parsed = [_parse_strict(label, scheme, suffix) for label in labels]
    outside = len(parsed)
    parsed.append(("O", "_"))
    table = {
        key: [[_matches(rules[key], p, c) for c in parsed] for p in parsed]
        for key in ("start", "inside", "end")
    }
    start, inside, end_ = table["start"], table["inside"], table["end"]

    entities = []
    for sent_id, tokens in enumerate(ids):
        i, prev = 0, outside
        while i < len(tokens):
            token = tokens[i]
            if start[prev][token]:
                stop = i + 1
                while stop < len(tokens) and inside[tokens[stop - 1]][tokens[stop]]:
                    stop += 1
                if end_[tokens[stop - 1]][tokens[stop]]:
                    entities.append((sent_id, parsed[token][1], i, stop))
                i = stop
            else:
                i += 1
            prev = tokens[i - 1]
    return entities


def _check_scheme(scheme):
    if scheme is None:
        return None
    key = str(scheme).upper()
    if key not in _SCHEMES:
        raise ValueError(
            f"scheme must be None or one of {sorted(_SCHEMES)}, got {scheme!r}."
        )
    return key


def _entity_counts(y_true, y_pred, scheme, suffix):
    """Per-type entity counts: type names, true positives, predicted, true."""
    y_true, y_pred = _check_sequences(y_true, y_pred)
    y_true, y_pred = _as_str_lists(y_true), _as_str_lists(y_pred)
    scheme = _check_scheme(scheme)
    if scheme is None:
        true = set(_lenient_entities(y_true, suffix))
        pred = set(_lenient_entities(y_pred, suffix))
        type_index = 0
    else:
        true = set(_strict_entities(y_true, scheme, suffix))
        pred = set(_strict_entities(y_pred, scheme, suffix))
        type_index = 1
    names = sorted({e[type_index] for e in true} | {e[type_index] for e in pred})
    index = {name: k for k, name in enumerate(names)}
    tp = np.zeros(len(names), dtype=np.int64)
    n_pred = np.zeros(len(names), dtype=np.int64)
    n_true = np.zeros(len(names), dtype=np.int64)
    for e in true:
        n_true[index[e[type_index]]] += 1
    for e in pred:
        n_pred[index[e[type_index]]] += 1
    for e in true & pred:
        tp[index[e[type_index]]] += 1
    return names, tp, n_pred, n_true


# ---------------------------------------------------------------------------
# Precision, recall, F1
# ---------------------------------------------------------------------------


def _divide(numerator, denominator, zero_division, what, warn):
    """Elementwise ratio, ``zero_division`` where the denominator is 0."""
    mask = denominator == 0
    result = numerator / np.where(mask, 1, denominator)
    if mask.any():
        result[mask] = 0.0 if zero_division == "warn" else float(zero_division)
        if zero_division == "warn" and warn:
            warnings.warn(
                f"{what} is ill-defined and being set to 0.0 where there are no "
                f"{'predicted' if what == 'Precision' else 'true'} entities. Use "
                "`zero_division` to control this behavior.",
                UndefinedMetricWarning,
                stacklevel=4,
            )
    return result


def entity_precision_recall_fscore_support(
    y_true: LabelSequences,
    y_pred: LabelSequences,
    *,
    scheme: str | None = None,
    average: str | None = None,
    suffix: bool = False,
    zero_division: str | float = "warn",
    warn_for: tuple[str, ...] = ("precision", "recall", "f-score"),
) -> tuple:
    """Entity-level precision, recall, F1 score and support, per type or averaged.

    An entity counts as correct only if its type and both its boundaries match
    a true entity exactly. Results equal seqeval's.

    Parameters
    ----------
    y_true : list of array-like of shape (L_i,) or array-like of shape (N, L)
        True tags, such as ``"B-PER"``, ``"I-PER"`` or ``"O"``.
    y_pred : list of array-like of shape (L_i,) or array-like of shape (N, L)
        Predicted tags, with the same number of sequences and lengths.
    scheme : {None, "IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}, \
default=None
        ``None`` reads chunks leniently, as conlleval and seqeval's default
        mode do (an ``I-`` tag after ``O`` starts an entity). A scheme name
        reads chunks strictly as seqeval's ``mode="strict"``: chunks that break
        the scheme's rules are not entities, and labels with a prefix the
        scheme does not allow raise a ``ValueError``.
    average : {None, "micro", "macro", "weighted"}, default=None
        ``None`` returns one value per entity type (types sorted by name).
        ``"micro"`` pools all entities; ``"macro"`` is the unweighted mean over
        types; ``"weighted"`` weighs types by their support.
    suffix : bool, default=False
        Whether the prefix is at the end of the tag (``"PER-B"``).
    zero_division : {"warn", 0.0, 1.0}, default="warn"
        Value where a ratio is undefined (no predicted or no true entities);
        ``"warn"`` means 0.0 with an ``UndefinedMetricWarning``.
    warn_for : tuple of str, default=("precision", "recall", "f-score")
        Which undefined values to warn about.

    Returns
    -------
    precision : float or ndarray of shape (n_types,)
        Fraction of predicted entities that are right.
    recall : float or ndarray of shape (n_types,)
        Fraction of true entities that are found.
    f1 : float or ndarray of shape (n_types,)
        Harmonic mean of precision and recall.
    support : int or ndarray of shape (n_types,)
        Number of true entities.

    Examples
    --------
    >>> from seqlearn.metrics import entity_precision_recall_fscore_support
    >>> y_true = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
    >>> y_pred = [["B-PER", "I-PER", "O", "B-PER"], ["O", "B-ORG"]]
    >>> p, r, f, s = entity_precision_recall_fscore_support(
    ...     y_true, y_pred, zero_division=0.0
    ... )
    >>> p
    array([0. , 1. , 0.5])
    >>> s
    array([1, 1, 1])
    """
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}.")
    if zero_division not in ("warn", 0, 1):
        raise ValueError(
            f'zero_division must be "warn", 0.0 or 1.0, got {zero_division!r}.'
        )
    _, tp, n_pred, n_true = _entity_counts(y_true, y_pred, scheme, suffix)
    if average == "micro":
        tp, n_pred, n_true = (
            tp.sum(keepdims=True),
            n_pred.sum(keepdims=True),
            (n_true.sum(keepdims=True)),
        )
    precision = _divide(tp, n_pred, zero_division, "Precision", "precision" in warn_for)
    recall = _divide(tp, n_true, zero_division, "Recall", "recall" in warn_for)
    if zero_division == "warn" and tuple(warn_for) == ("f-score",):
        if (n_pred[n_true == 0] == 0).any():
            warnings.warn(
                "F-score is ill-defined and being set to 0.0 where there are "
                "neither true nor predicted entities. Use `zero_division` to "
                "control this behavior.",
                UndefinedMetricWarning,
                stacklevel=3,
            )
    denom = precision + recall
    f1 = 2 * precision * recall / np.where(denom == 0, 1, denom)

    if average is None:
        return precision, recall, f1, n_true
    if average == "weighted":
        if n_true.sum() == 0:
            value = 0.0 if zero_division == "warn" else float(zero_division)
            none_predicted = n_pred.sum() == 0
            return (
                value if none_predicted else 0.0,
                value,
                value if none_predicted else 0.0,
                0,
            )
        weights = n_true
    else:
        weights = None
    if not len(precision):  # the mean over no entity types at all, as in seqeval
        return np.nan, np.nan, np.nan, 0
    return (
        float(np.average(precision, weights=weights)),
        float(np.average(recall, weights=weights)),
        float(np.average(f1, weights=weights)),
        int(n_true.sum()),
    )


# The parameters every entity score shares, written once (see fill_doc).
_TAGS_DOC = """\
    y_true : list of array-like of shape (L_i,) or array-like of shape (N, L)
        True tags.
    y_pred : list of array-like of shape (L_i,) or array-like of shape (N, L)
        Predicted tags, with the same number of sequences and lengths.
    scheme : {None, "IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}, \
default=None
        ``None`` for seqeval's default, lenient (conlleval) mode; a scheme
        name for seqeval's strict mode with that scheme. See
        :func:`entity_precision_recall_fscore_support`.
"""


# The three entity scores are one function returning one of the outputs of
# entity_precision_recall_fscore_support; one template documents all three
# (numpydoc and doctest read ``__doc__``).
_SCORE_DOC = """Entity-level {title}: {meaning}.

    An entity is correct if a true entity has the same type and boundaries.
    Equals ``seqeval.metrics.{name}_score``.

    Parameters
    ----------
    {{tags}}
    average : {{"micro", "macro", "weighted", None}}, default="micro"
        How to combine entity types; ``None`` returns one value per type
        (sorted by type name).
    suffix : bool, default=False
        Whether the prefix is at the end of the tag (``"PER-B"``).
    zero_division : {{"warn", 0.0, 1.0}}, default="warn"
        Value if {undefined}; ``"warn"`` means 0.0 with a warning.

    Returns
    -------
    {name} : float or ndarray of shape (n_types,)
        The {title}, one value per entity type with ``average=None``.

    Examples
    --------
    >>> from seqlearn.metrics import entity_{name}_score
    >>> y_true = [["O", "B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    >>> y_pred = [["O", "B-PER", "I-PER", "O", "O"], ["B-ORG", "O"]]
    >>> round(entity_{name}_score(y_true, y_pred), 3)
    {example}
    >>> entity_{name}_score(y_true, y_pred, average=None, zero_division=0.0)
    array([0., 1., 1.])

    Lenient and strict modes differ on chunks that break IOB2:

    >>> y_true, y_pred = [["I-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]]
    >>> entity_{name}_score(y_true, y_pred)
    1.0
    >>> entity_{name}_score(y_true, y_pred, scheme="IOB2", zero_division=0.0)
    0.0
    """

# name: (title, what it measures); then (when it is undefined, its value in
# the example); two tables so that each entry fits on one line
_SCORES = {
    "precision": ("precision", "the fraction of predicted entities that are right"),
    "recall": ("recall", "the fraction of true entities that are found"),
    "f1": ("F1 score", "the harmonic mean of entity precision and recall"),
}
_UNDEFINED = {
    "precision": ("no entity is predicted", "1.0"),
    "recall": ("there is no true entity", "0.667"),
    "f1": ("precision and recall are both undefined", "0.8"),
}


def _entity_score(name):
    """Build ``entity_<name>_score`` (``name``: precision, recall or f1)."""
    index = list(_SCORES).index(name)
    warn_for = (("precision", "recall", "f-score")[index],)

    def score(
        y_true: LabelSequences,
        y_pred: LabelSequences,
        *,
        scheme: str | None = None,
        average: str | None = "micro",
        suffix: bool = False,
        zero_division: str | float = "warn",
    ) -> float | np.ndarray:
        scores = entity_precision_recall_fscore_support(
            y_true,
            y_pred,
            scheme=scheme,
            average=average,
            suffix=suffix,
            zero_division=zero_division,
            warn_for=warn_for,
        )
        return scores[index]

    title, meaning = _SCORES[name]
    undefined, example = _UNDEFINED[name]
    score.__name__ = score.__qualname__ = f"entity_{name}_score"
    score.__doc__ = _SCORE_DOC.format(
        name=name,
        title=title,
        meaning=meaning,
        undefined=undefined,
        example=example,
    )
    return fill_doc(tags=_TAGS_DOC)(score)


entity_precision_score = _entity_score("precision")
entity_recall_score = _entity_score("recall")
entity_f1_score = _entity_score("f1")


@fill_doc(tags=_TAGS_DOC)
def entity_classification_report(
    y_true: LabelSequences,
    y_pred: LabelSequences,
    *,
    scheme: str | None = None,
    digits: int = 2,
    output_dict: bool = False,
    suffix: bool = False,
    zero_division: str | float = "warn",
) -> str | dict:
    """Entity-level precision, recall, F1 and support per type, and their averages.

    Same layout and numbers as ``seqeval.metrics.classification_report``.

    Parameters
    ----------
    {tags}
    digits : int, default=2
        Decimal places in the text report.
    output_dict : bool, default=False
        Return a dict ``{row: {"precision", "recall", "f1-score", "support"}}``
        instead of a string; rows are the entity types then ``"micro avg"``,
        ``"macro avg"`` and ``"weighted avg"``.
    suffix : bool, default=False
        Whether the prefix is at the end of the tag (``"PER-B"``).
    zero_division : {"warn", 0.0, 1.0}, default="warn"
        Value where a ratio is undefined; ``"warn"`` means 0.0 with a warning.

    Returns
    -------
    report : str or dict
        The table as text, or as a dict with ``output_dict=True``.

    Examples
    --------
    >>> from seqlearn.metrics import entity_classification_report
    >>> y_true = [["B-PER", "I-PER", "O", "B-LOC"]]
    >>> y_pred = [["B-PER", "I-PER", "O", "B-PER"]]
    >>> print(entity_classification_report(y_true, y_pred, zero_division=0.0))
                  precision    recall  f1-score   support
    <BLANKLINE>
             LOC       0.00      0.00      0.00         1
             PER       0.50      1.00      0.67         1
    <BLANKLINE>
       micro avg       0.50      0.50      0.50         2
       macro avg       0.25      0.50      0.33         2
    weighted avg       0.25      0.50      0.33         2
    <BLANKLINE>
    """
    names, _, _, _ = _entity_counts(y_true, y_pred, scheme, suffix)
    if (
        isinstance(digits, bool)
        or not isinstance(digits, numbers.Integral)
        or digits < 0
    ):
        raise ValueError(f"digits must be an int >= 0, got {digits!r}.")
    kwargs = {"scheme": scheme, "suffix": suffix, "zero_division": zero_division}
    rows = list(
        zip(
            names,
            *entity_precision_recall_fscore_support(y_true, y_pred, **kwargs),
            strict=True,
        )
    )
    averages = [
        (
            f"{average} avg",
            *entity_precision_recall_fscore_support(
                y_true, y_pred, average=average, **kwargs
            ),
        )
        for average in ("micro", "macro", "weighted")
    ]
    if output_dict:
        keys = ("precision", "recall", "f1-score", "support")
        return {
            row[0]: dict(zip(keys, row[1:], strict=True)) for row in rows + averages
        }

    width = max([len(name) for name in names] + [len("weighted avg"), digits])
    row_fmt = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}"
    head_fmt = "{:>{width}s} " + " {:>9}" * 4
    lines = [
        head_fmt.format("", "precision", "recall", "f1-score", "support", width=width)
    ]
    lines.append("")
    for row in rows:
        lines.append(row_fmt.format(*row, width=width, digits=digits))
    lines.append("")
    for row in averages:
        lines.append(row_fmt.format(*row, width=width, digits=digits))
    lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Scorers
# ---------------------------------------------------------------------------


def make_entity_scorer(scheme: str | None = None, average: str = "micro") -> Callable:
    """Make a scorer of the entity-level F1 score for model selection.

    The scorer calls the estimator's ``predict`` and compares its label
    sequences with ``y`` using :func:`entity_f1_score`, with
    ``zero_division=0.0`` so that folds in which nothing is predicted score 0
    without a warning (as do folds without any entity, true or predicted,
    whose macro or weighted average is otherwise undefined).

    Parameters
    ----------
    scheme : {None, "IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}, \
default=None
        ``None`` for lenient (conlleval) chunking, a scheme name for strict.
    average : {"micro", "macro", "weighted"}, default="micro"
        How to combine entity types into one number.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``, greater is better.

    Examples
    --------
    >>> from seqlearn.metrics import make_entity_scorer
    >>> scorer = make_entity_scorer(scheme="IOB2", average="macro")
    """
    if average not in ("micro", "macro", "weighted"):
        raise ValueError(
            'average must be "micro", "macro" or "weighted" for a scorer, '
            f"got {average!r}."
        )
    _check_scheme(scheme)
    return make_scorer(
        _entity_f1_or_zero, scheme=scheme, average=average, zero_division=0.0
    )


def _entity_f1_or_zero(y_true, y_pred, **kwargs):
    """:func:`entity_f1_score`, 0 where it is undefined (NaN).

    A macro or weighted average over no entity type at all (a fold without
    entities, true or predicted) is NaN, which a search cannot rank.
    """
    score = entity_f1_score(y_true, y_pred, **kwargs)
    return 0.0 if np.isnan(score) else score


#: Scorer of :func:`token_accuracy`, for ``GridSearchCV(..., scoring=...)``.
token_accuracy_scorer = make_scorer(token_accuracy)

#: Scorer of the micro-averaged, lenient :func:`entity_f1_score`.
entity_f1_scorer = make_entity_scorer()


# ---------------------------------------------------------------------------
# Sequence-to-sequence outputs (SequenceTranslator)
# ---------------------------------------------------------------------------


def _check_outputs(y_true, y_pred):
    """Two equally long lists of outputs: strings (kept) or token lists."""
    if isinstance(y_true, str) or isinstance(y_pred, str):
        raise ValueError(
            "y_true and y_pred must be lists of outputs (strings or token "
            "lists), got a single string; wrap it in a list."
        )
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if isinstance(y, bytes) or not isinstance(y, Iterable):
            raise TypeError(
                f"{name} must be a list of outputs (strings or token lists), "
                f"got {type(y).__name__}."
            )
    y_true, y_pred = list(y_true), list(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(
            "y_true and y_pred have different numbers of outputs: "
            f"{len(y_true)} != {len(y_pred)}."
        )
    if not y_true:
        raise ValueError("y_true is empty.")

    def canon(seq, name, i):
        if isinstance(seq, str):
            return seq
        if (
            isinstance(seq, bytes)
            or not isinstance(seq, Iterable)
            or (isinstance(seq, np.ndarray) and seq.ndim == 0)
        ):
            raise TypeError(
                f"{name}[{i}] is {seq!r:.40} ({type(seq).__name__}); each output "
                "must be a string or a sequence of tokens."
            )
        return list(seq)

    return (
        [canon(s, "y_true", i) for i, s in enumerate(y_true)],
        [canon(s, "y_pred", i) for i, s in enumerate(y_pred)],
    )


def sequence_accuracy(y_true, y_pred):
    """Fraction of outputs predicted exactly (exact match).

    Outputs are compared as token sequences, a string as the sequence of its
    characters: ``"abc"`` matches ``["a", "b", "c"]``, as in
    :func:`edit_error_rate` (where their distance is 0).

    Parameters
    ----------
    y_true, y_pred : list of str or of token sequences
        Reference and predicted outputs; lengths may differ.

    Returns
    -------
    score : float
        In [0, 1].

    Examples
    --------
    >>> from seqlearn.metrics import sequence_accuracy
    >>> sequence_accuracy(["596", "12"], ["596", "13"])
    0.5
    """
    y_true, y_pred = _check_outputs(y_true, y_pred)
    # list(): a string equals the token list of its characters
    hits = [list(t) == list(p) for t, p in zip(y_true, y_pred, strict=True)]
    return float(np.mean(hits))


def edit_error_rate(y_true, y_pred):
    """Corpus edit error rate: total Levenshtein distance over reference length.

    Strings are compared character by character (character error rate),
    token lists token by token (word or phoneme error rate, the PER of
    grapheme-to-phoneme papers).  The distance is rapidfuzz's Levenshtein
    distance (insertions, deletions and substitutions cost 1).

    Parameters
    ----------
    y_true, y_pred : list of str or of token sequences
        Reference and predicted outputs.

    Returns
    -------
    rate : float
        ``sum(distance) / sum(len(reference))``; 0 is perfect, it may exceed 1.

    Examples
    --------
    >>> from seqlearn.metrics import edit_error_rate
    >>> edit_error_rate(["kitten"], ["sitting"])
    0.5
    >>> edit_error_rate([["K", "AE", "T"]], [["K", "AA", "T"]])
    0.3333333333333333
    """
    from rapidfuzz.distance import Levenshtein

    y_true, y_pred = _check_outputs(y_true, y_pred)
    total = sum(len(t) for t in y_true)
    if total == 0:
        raise ValueError("The references are all empty: the rate is undefined.")
    dist = sum(Levenshtein.distance(t, p) for t, p in zip(y_true, y_pred, strict=True))
    return dist / total


def _sacrebleu():
    try:
        import sacrebleu
    except ImportError as exc:
        raise ImportError(
            "corpus_bleu and chrf need sacrebleu (an optional extra): "
            "pip install sacrebleu"
        ) from exc
    return sacrebleu


def _as_text(outputs):
    return [s if isinstance(s, str) else " ".join(map(str, s)) for s in outputs]


# Parameters and Returns of the sacrebleu corpus scores (see fill_doc).
_CORPUS_SCORE_DOC = """\
Parameters
----------
y_true, y_pred : list of str or of token sequences
    One reference and one prediction per input.
**kwargs
    Options of the sacrebleu function named above.

Returns
-------
score : float
    The score, from 0 to 100.
"""


def _corpus_score(name, y_true, y_pred, kwargs):
    """Return ``sacrebleu.<name>(...).score`` of the outputs joined as text."""
    y_true, y_pred = _check_outputs(y_true, y_pred)
    metric = getattr(_sacrebleu(), name)
    return float(metric(_as_text(y_pred), [_as_text(y_true)], **kwargs).score)


@fill_doc(parameters=_CORPUS_SCORE_DOC)
def corpus_bleu(y_true, y_pred, **kwargs):
    """Corpus BLEU (0-100) of sacrebleu, for word-level outputs.

    Strings are tokenised by sacrebleu (its default ``"13a"`` tokenizer,
    which splits off punctuation).  Token lists are already tokenised: they
    are joined with spaces and scored with ``tokenize="none"``, so
    ``["end."]`` and ``["end", "."]`` differ, as the lists do (pass
    ``tokenize=`` to choose).  Needs the optional ``sacrebleu`` package;
    ``kwargs`` go to :func:`sacrebleu.corpus_bleu`.

    {parameters}
    """
    y_true, y_pred = _check_outputs(y_true, y_pred)
    if not isinstance(y_pred[0], str):
        kwargs = {"tokenize": "none", **kwargs}
    return _corpus_score("corpus_bleu", y_true, y_pred, kwargs)


@fill_doc(parameters=_CORPUS_SCORE_DOC)
def chrf(y_true, y_pred, **kwargs):
    """Corpus chrF (0-100) of sacrebleu (character n-gram F-score).

    Needs the optional ``sacrebleu`` package; ``kwargs`` go to
    :func:`sacrebleu.corpus_chrf`.

    {parameters}
    """
    return _corpus_score("corpus_chrf", y_true, y_pred, kwargs)
