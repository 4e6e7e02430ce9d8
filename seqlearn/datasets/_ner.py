"""Loader for the Koninklijke Bibliotheek Dutch named-entity data (CC-0)."""

import re
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from seqlearn.datasets._synthetic import _check_int

__all__ = ["load_dutch_ner"]

#: The four documents (3,665 tokens) that ``load_dutch_ner("sample")`` reads.
SAMPLE_DOCUMENTS = (
    "000014128_mpeg21_p001",
    "000015815_mpeg21_p002",
    "000015815_mpeg21_p003",
    "000023661_mpeg21_p004",
)

# a token that ends a sentence: ends in . ! or ?, possibly followed by closing
# quotes or brackets ("zeide hij." / "(zie boven.)")
_SENTENCE_END = re.compile(r"[.!?][\"'»”’)\]]*$")
_INITIAL = re.compile(r"^\w\.$")
# titles and abbreviations that precede a name or number in this corpus
_ABBREVIATIONS = {"art.", "cert.", "dr.", "hr.", "jhr.", "kapt.", "mej.", "mevr."}
_ABBREVIATIONS |= {"mr.", "no.", "nr.", "st."}

_DESCR = """\
Dutch named-entity recognition data of the Koninklijke Bibliotheek
(National Library of the Netherlands), released under CC-0: historical
newspaper pages (19th and early 20th century spelling) tagged with IOB2
tags B-/I- PER, LOC and ORG, and O. One ``.bio`` file per document, one token
per line: ``token POS tag`` (the middle column is the literal string POS).
The full collection, 80 documents and about 146,000 tokens (1.9 MB), ships
with seqlearn; 4 of its documents (3,665 tokens) form a quick sample.

Source: http://lab.kbresearch.nl/static/html/eunews.html
Licence: http://creativecommons.org/publicdomain/zero/1.0/
"""


def _data_dir():
    """Return the folder of the corpus shipped inside the package."""
    return resources.files("seqlearn.datasets") / "data" / "kb-dutch-ner"


def _read_document(file):
    """Tokens and tags of one ``.bio`` file, split at its blank lines."""
    blocks, tokens, tags = [], [], []
    text = file.read_text(encoding="utf-8")
    for lineno, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            if tokens:
                blocks.append((tokens, tags))
            tokens, tags = [], []
            continue
        if len(fields) != 3:
            raise ValueError(
                f"{file.name}, line {lineno}: expected 'token POS tag', got {line!r}."
            )
        tokens.append(fields[0])
        tags.append(fields[2])
    if tokens:
        blocks.append((tokens, tags))
    return blocks


def _ends_sentence(token, next_token, next_tag):
    """Whether a sentence ends after ``token`` (a heuristic for OCR'd text)."""
    if not _SENTENCE_END.search(token):
        return False
    # initials ("J."), titles ("Mr.") and lone "?" (the OCR reading of the guilder sign
    # "ƒ" in this corpus) are not sentence ends
    if _INITIAL.match(token) or token == "?" or token.lower() in _ABBREVIATIONS:
        return False
    # "10 et. lager" continues; never split inside an entity
    return not next_token[:1].islower() and not next_tag.startswith("I-")


def _sentence_bounds(tokens, tags):
    """End offsets (exclusive) of the sentences in one block of tokens."""
    bounds = [
        i + 1
        for i in range(len(tokens) - 1)
        if _ends_sentence(tokens[i], tokens[i + 1], tags[i + 1])
    ]
    bounds.append(len(tokens))
    return bounds


def _window_bounds(tags, start, stop, max_length):
    """End offsets splitting ``[start, stop)`` into pieces of <= max_length."""
    bounds = []
    while stop - start > max_length:
        cut = start + max_length
        # cut before the last token that does not continue an entity, if any
        for candidate in range(start + max_length, start, -1):
            if not tags[candidate].startswith("I-"):
                cut = candidate
                break
        bounds.append(cut)
        start = cut
    bounds.append(stop)
    return bounds


def _segment(tokens, tags, split_sentences, max_length):
    """Split one block into sequences; yields (tokens, tags) pairs."""
    ends = _sentence_bounds(tokens, tags) if split_sentences else [len(tokens)]
    start = 0
    for end in ends:
        pieces = (
            [end]
            if max_length is None
            else _window_bounds(tags, start, end, max_length)
        )
        for stop in pieces:
            yield tokens[start:stop], tags[start:stop]
            start = stop


def load_dutch_ner(path=None, *, split_sentences=True, max_length=60, return_X_y=False):
    """Load the Koninklijke Bibliotheek Dutch named-entity data (CC-0).

    Historical Dutch newspaper text tagged with IOB2 tags ``B-``/``I-`` for
    persons (``PER``), locations (``LOC``) and organisations (``ORG``), and
    ``O``: 80 documents, about 146,000 tokens. The files have no sentence
    breaks, so by default the text is split after tokens that end in ``.``,
    ``!`` or ``?`` when the next token does not start with a lowercase letter
    (initials such as ``"J."`` and lone ``"?"``, OCR for the guilder sign, do
    not end sentences), and long sentences are cut into windows of at most
    ``max_length`` tokens. Splits never fall inside an entity (only an entity
    longer than ``max_length`` has to be cut).
    No token is dropped: joining a document's sequences gives its file back.

    Sequences from one document are related, so split train and test by
    document: pass ``groups=data.document_ids`` to
    :class:`~sklearn.model_selection.GroupShuffleSplit` or
    :class:`~sklearn.model_selection.GroupKFold`.

    Parameters
    ----------
    path : str, path-like, "sample" or None, default=None
        Folder holding the ``*.bio`` files. ``None`` reads the full corpus
        (80 documents) shipped with seqlearn. ``"sample"`` reads 4 of its
        documents (3,665 tokens), for tests and quick starts.
    split_sentences : bool, default=True
        Split documents at sentence-final punctuation. If False, documents are
        only cut into windows of ``max_length`` tokens.
    max_length : int or None, default=60
        Longest sequence returned. ``None`` keeps sentences whole; with
        ``split_sentences=False`` it returns one sequence per document.
    return_X_y : bool, default=False
        Return ``(tokens, tags)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With the fields

        tokens : list of list of str
            One list of tokens per sequence (sentence or window).
        tags : list of list of str
            The tags, aligned with ``tokens``.
        document_ids : ndarray of shape (n_sequences,), dtype str
            Name of the document (file name without ``.bio``) each sequence
            comes from, for grouped splits.
        documents : list of str
            Every document read, sorted by file name (empty files included,
            though they yield no sequence).
        tag_names : list of str
            The distinct tags, sorted.
        path : str
            Folder the data was read from.
        DESCR : str
            Description of the data and its licence.
    (tokens, tags) : tuple of lists
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from seqlearn.datasets import load_dutch_ner
    >>> data = load_dutch_ner("sample")
    >>> len(data.documents), sum(len(t) for t in data.tokens)
    (4, 3665)
    >>> data.tokens[1][:4], data.tags[1][:4]
    (['PARIJS,', 'Maandag', '7', 'Februarij.'], ['B-LOC', 'O', 'O', 'O'])
    >>> data.tag_names
    ['B-LOC', 'B-ORG', 'B-PER', 'I-LOC', 'I-ORG', 'I-PER', 'O']
    """
    for name, flag in (
        ("split_sentences", split_sentences),
        ("return_X_y", return_X_y),
    ):
        if not isinstance(flag, bool | np.bool_):
            raise TypeError(f"{name} must be True or False, got {flag!r}.")
    if max_length is not None:
        max_length = _check_int(max_length, "max_length", 1)

    sample = isinstance(path, str) and path == "sample"
    folder = Path(str(_data_dir())) if path is None or sample else Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"No such folder with Dutch NER data: {folder}")
    files = sorted(
        (f for f in folder.iterdir() if f.name.endswith(".bio")), key=lambda f: f.name
    )
    if sample:
        files = [f for f in files if f.name[: -len(".bio")] in SAMPLE_DOCUMENTS]
    if not files:
        raise FileNotFoundError(f"No .bio files in {folder}.")

    tokens, tags, document_ids, documents = [], [], [], []
    for file in files:
        name = file.name[: -len(".bio")]
        documents.append(name)
        for block_tokens, block_tags in _read_document(file):
            for seq_tokens, seq_tags in _segment(
                block_tokens, block_tags, split_sentences, max_length
            ):
                tokens.append(seq_tokens)
                tags.append(seq_tags)
                document_ids.append(name)

    if return_X_y:
        return tokens, tags
    readme = folder / "README"
    descr = _DESCR
    if readme.is_file():
        descr += "\nREADME of the data:\n\n" + readme.read_text(encoding="utf-8")
    return Bunch(
        tokens=tokens,
        tags=tags,
        document_ids=np.asarray(document_ids, dtype=str),
        documents=documents,
        tag_names=sorted({tag for seq in tags for tag in seq}),
        path=str(folder),
        DESCR=descr,
    )
