"""Docstring fragments that are written once and filled into several docstrings.

A line of a docstring that holds only ``{name}`` is replaced by the fragment
``name``, indented as that line, when the module is imported: numpydoc,
doctest, ``help()`` and Sphinx all read the filled ``__doc__``.
"""

import re
import textwrap

__all__ = ["fill_doc"]

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
