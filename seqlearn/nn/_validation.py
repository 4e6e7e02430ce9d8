"""Argument checks shared by the modules' constructors.

Numpy scalars are accepted (a grid built with ``np.arange`` hands the modules
``np.int64`` and ``np.float64``) and returned as Python ``int`` and ``float``,
which every ``torch.nn`` constructor takes (``nn.LSTM`` rejects ``np.int64``).
"""

import numbers


def check_positive_int(value, name):
    """Return ``value`` as an int, raising unless it is an integer > 0.

    Any ``numbers.Integral`` (numpy integers included) is accepted; bools are
    rejected.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}.")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}.")
    return int(value)


def check_dropout(value, name="dropout"):
    """Return ``value`` as a float, raising unless it is a number in [0, 1].

    Any ``numbers.Real`` (numpy floats and integers included) is accepted;
    bools are rejected.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}.")
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}.")
    return float(value)


def check_recurrent(hidden_size, num_layers, dropout, cell=None, cells=None):
    """Check the arguments every recurrent module takes.

    ``cell`` is checked against the names in ``cells`` when ``cells`` is given.
    Returns ``(hidden_size, num_layers, dropout)`` as ``int``, ``int`` and
    ``float``.
    """
    if cells is not None and cell not in cells:
        raise ValueError(f"cell must be one of {tuple(cells)}, got {cell!r}.")
    hidden_size = check_positive_int(hidden_size, "hidden_size")
    num_layers = check_positive_int(num_layers, "num_layers")
    return hidden_size, num_layers, check_dropout(dropout)
