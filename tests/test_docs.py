"""The code in the prose documentation compiles, and the self-contained pages run."""

import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs" / "guide").glob("*.rst")) + [
    ROOT / "docs" / "index.rst",
    ROOT / "README.md",
]
# pages whose Python blocks define everything they use, run in order as read;
# README's second block is text classification on the reader's own texts
RUNNABLE = {"forecasting.rst": (), "training.rst": (), "tuning.rst": ()}
RUNNABLE["README.md"] = (77,)


def _indent(line):
    return len(line) - len(line.lstrip())


def python_blocks(path):
    """``(line, code)`` of each Python block of a page, in order.

    reStructuredText: ``.. code-block:: python`` and literal blocks after a
    paragraph ending in ``::`` (doctests and shell lines left out); Markdown:
    fenced ``python`` blocks.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    if path.suffix == ".md":
        text = "\n".join(lines)
        return [
            (text[: m.start()].count("\n") + 2, m.group(1))
            for m in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M)
        ]
    out = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        literal = stripped.endswith("::") and not stripped.startswith("..")
        if not (literal or stripped == ".. code-block:: python"):
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        start, block = j, []
        while j < len(lines) and (
            not lines[j].strip() or _indent(lines[j]) > _indent(line)
        ):
            block.append(lines[j])
            j += 1
        code = textwrap.dedent("\n".join(block)).strip()
        if code and not code.startswith((">>>", "pip ")):
            out.append((start + 1, code))
    return out


def test_the_pages_have_code():
    # the extraction itself: a change of markup must not hide every block
    counts = {p.name: len(python_blocks(p)) for p in PAGES}
    assert counts["forecasting.rst"] == 6 and counts["tuning.rst"] == 3
    assert counts["README.md"] == 3 and counts["saving.rst"] == 1
    assert sum(counts.values()) >= 20


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_every_python_block_compiles(path):
    for line, code in python_blocks(path):
        try:
            compile(code, f"{path.name}:{line}", "exec")
        except SyntaxError as exc:
            pytest.fail(f"{path.name}:{line}: {exc}")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RUNNABLE))
def test_self_contained_page_runs(name, tmp_path, monkeypatch):
    pytest.importorskip("sktime")
    pytest.importorskip("vega_datasets")
    monkeypatch.chdir(tmp_path)  # anything a block writes lands here
    path = next(p for p in PAGES if p.name == name)
    namespace = {"__name__": "__docs__"}
    for line, code in python_blocks(path):
        if line in RUNNABLE[name]:
            continue
        exec(compile(code, f"{name}:{line}", "exec"), namespace)  # noqa: S102
