"""Argument checks shared by the modules' constructors."""


def check_positive_int(value, name):
    """Raise unless ``value`` is an int > 0 (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}.")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}.")


def check_dropout(value, name="dropout"):
    """Raise unless ``value`` is a number in [0, 1]; return it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {value!r}.")
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}.")
    return value


def check_recurrent(hidden_size, num_layers, dropout, cell=None, cells=None):
    """Check the arguments every recurrent module takes; return ``float(dropout)``.

    ``cell`` is checked against the names in ``cells`` when ``cells`` is given.
    """
    if cells is not None and cell not in cells:
        raise ValueError(f"cell must be one of {tuple(cells)}, got {cell!r}.")
    check_positive_int(hidden_size, "hidden_size")
    check_positive_int(num_layers, "num_layers")
    return float(check_dropout(dropout))
