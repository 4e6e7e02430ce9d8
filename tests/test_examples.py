"""Every example runs end to end (the slow ones with ``-m slow``)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FAST = {"quickstart.py"}


def run_example(name, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    # run from an empty folder: figures land there, nothing in the repository
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_quickstart_reaches_the_readme_accuracy(tmp_path):
    out = run_example("quickstart.py", tmp_path)
    accuracy = float(out.rsplit("test accuracy:", 1)[1])
    assert accuracy >= 0.94


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in EXAMPLES.glob("*.py") if p.name not in FAST),
)
def test_example_runs(name, tmp_path):
    pytest.importorskip("matplotlib")
    out = run_example(name, tmp_path)
    assert out.strip()


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_example_has_a_gallery_title(path):
    # sphinx-gallery needs the docstring to open with an underlined title
    # (else the page has no title and the -W docs build fails)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '"""', "the docstring must open on its own line"
    title, underline = lines[1], lines[2]
    assert title.strip() and set(underline) == {"="}
    assert len(underline) >= len(title)
    # then a paragraph saying what the reader learns
    assert len(" ".join(lines[3:12]).split()) > 20


def test_gallery_has_a_header():
    assert (EXAMPLES / "GALLERY_HEADER.rst").is_file()
