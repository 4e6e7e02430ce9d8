import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import GroupShuffleSplit

from seqlearn.datasets import (
    _ner,
    load_dutch_ner,
    make_adding_problem,
    make_ar_series,
    make_copy_task,
    make_sine_series,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(_ner.__file__).parent / "data" / "kb-dutch-ner"
TAG = re.compile(r"^(O|[BI]-(PER|LOC|ORG))$")


def _bio_files(folder, documents=None):
    files = sorted(folder.glob("*.bio"))
    return [f for f in files if documents is None or f.stem in documents]


def _file_tokens(files):
    """(token, tag) pairs of every non-blank line, in the given file order."""
    pairs = []
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                token, pos, tag = line.split()
                assert pos == "POS"
                pairs.append((token, tag))
    return pairs


# ---------------------------------------------------------------------------
# adding problem
# ---------------------------------------------------------------------------


def test_adding_problem_shapes_and_markers():
    X, y = make_adding_problem(n_samples=50, length=11, random_state=0)
    assert X.shape == (50, 11, 2) and X.dtype == np.float32
    assert y.shape == (50,) and y.dtype == np.float32
    values, markers = X[:, :, 0], X[:, :, 1]
    assert values.min() >= 0 and values.max() <= 1
    assert set(np.unique(markers)) == {0.0, 1.0}
    # exactly one marker in each half
    np.testing.assert_array_equal(markers[:, :5].sum(axis=1), 1)
    np.testing.assert_array_equal(markers[:, 5:].sum(axis=1), 1)
    np.testing.assert_allclose(y, (values * markers).sum(axis=1), rtol=1e-6)


def test_adding_problem_mean_baseline_is_one_sixth():
    _, y = make_adding_problem(n_samples=200_000, length=10, random_state=1)
    mse_of_mean = np.mean((y - y.mean()) ** 2)
    assert mse_of_mean == pytest.approx(1 / 6, abs=0.003)
    assert y.mean() == pytest.approx(1.0, abs=0.005)


def test_adding_problem_reproducible():
    a = make_adding_problem(20, 8, random_state=3)
    b = make_adding_problem(20, 8, random_state=3)
    c = make_adding_problem(20, 8, random_state=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize(
    "kwargs, error",
    [({"length": 1}, ValueError), ({"n_samples": 0}, ValueError)]
    + [({"length": 2.5}, TypeError)],
)
def test_adding_problem_validates(kwargs, error):
    with pytest.raises(error):
        make_adding_problem(**kwargs)


# ---------------------------------------------------------------------------
# forecasting series
# ---------------------------------------------------------------------------


def test_sine_series():
    x = make_sine_series(1000, period=25, noise=0.0)
    assert x.shape == (1000,) and x.dtype == np.float64
    np.testing.assert_allclose(x[25:], x[:-25], atol=1e-9)  # periodic
    noisy = make_sine_series(20_000, period=25, noise=0.3, random_state=0)
    clean = make_sine_series(20_000, period=25, noise=0.0)
    # the best forecast is the clean sine, with MSE noise ** 2
    assert np.mean((noisy - clean) ** 2) == pytest.approx(0.09, rel=0.05)
    np.testing.assert_array_equal(
        noisy, make_sine_series(20_000, period=25, noise=0.3, random_state=0)
    )
    with pytest.raises(ValueError, match="period"):
        make_sine_series(10, period=0)
    with pytest.raises(ValueError, match="noise"):
        make_sine_series(10, noise=-1)


def test_ar_series_best_forecast_error_is_noise_variance():
    coefs = np.array([0.5, -0.25, 0.1])
    x = make_ar_series(50_000, coefs, noise=0.7, random_state=0)
    assert x.shape == (50_000,) and x.dtype == np.float64
    best = coefs[0] * x[2:-1] + coefs[1] * x[1:-2] + coefs[2] * x[:-3]
    assert np.mean((x[3:] - best) ** 2) == pytest.approx(0.49, rel=0.03)
    # least squares recovers the coefficients
    A = np.column_stack([x[2:-1], x[1:-2], x[:-3]])
    fitted, *_ = np.linalg.lstsq(A, x[3:], rcond=None)
    np.testing.assert_allclose(fitted, coefs, atol=0.02)


def test_ar_series_reproducible_and_validated():
    np.testing.assert_array_equal(
        make_ar_series(100, [0.3], random_state=5),
        make_ar_series(100, [0.3], random_state=5),
    )
    with pytest.raises(ValueError, match="explosive"):
        make_ar_series(100, [1.2])
    with pytest.raises(ValueError, match="non-empty"):
        make_ar_series(100, [])
    walk = make_ar_series(100, [1.0], random_state=0)  # a unit root is allowed
    assert np.all(np.isfinite(walk))


# ---------------------------------------------------------------------------
# copy task
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("delay", [0, 1, 4])
def test_copy_task_is_shifted_input(delay):
    X, y = make_copy_task(30, 12, n_symbols=5, delay=delay, random_state=0)
    assert X.shape == y.shape == (30, 12)
    assert X.dtype == y.dtype == np.int64
    assert X.min() >= 1 and X.max() <= 5
    np.testing.assert_array_equal(y[:, :delay], 0)
    np.testing.assert_array_equal(y[:, delay:], X[:, : 12 - delay])


def test_copy_task_ragged():
    X, y = make_copy_task(40, n_symbols=3, delay=2, lengths=(1, 6), random_state=0)
    assert isinstance(X, list) and isinstance(y, list) and len(X) == len(y) == 40
    lengths = [len(x) for x in X]
    assert min(lengths) >= 1 and max(lengths) <= 6 and len(set(lengths)) > 1
    for x, t in zip(X, y, strict=True):
        assert len(x) == len(t)
        np.testing.assert_array_equal(t[:2], 0)  # also for sequences shorter than 2
        np.testing.assert_array_equal(t[2:], x[:-2])


def test_copy_task_reproducible_and_validated():
    a = make_copy_task(5, 7, random_state=1)
    b = make_copy_task(5, 7, random_state=1)
    np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="lengths"):
        make_copy_task(5, lengths=(3,))
    with pytest.raises(ValueError, match="delay"):
        make_copy_task(5, delay=-1)


# ---------------------------------------------------------------------------
# Dutch NER
# ---------------------------------------------------------------------------


def _check_ner(data, folder, documents=None):
    files = _bio_files(folder, documents)
    assert data.documents == [f.stem for f in files]
    assert len(data.tokens) == len(data.tags) == len(data.document_ids)
    for tokens, tags in zip(data.tokens, data.tags, strict=True):
        assert len(tokens) == len(tags) > 0
        assert all(TAG.match(tag) for tag in tags)
    # nothing lost, nothing reordered: joining the sequences gives the files back
    flat = [
        (tok, tag)
        for tokens, tags in zip(data.tokens, data.tags, strict=True)
        for tok, tag in zip(tokens, tags, strict=True)
    ]
    assert flat == _file_tokens(files)
    # every non-empty document yields sequences, in file order
    non_empty = [f.stem for f in files if f.read_text(encoding="utf-8").strip()]
    assert list(dict.fromkeys(data.document_ids)) == non_empty


def test_sample_loads():
    data = load_dutch_ner("sample")
    _check_ner(data, DATA, _ner.SAMPLE_DOCUMENTS)
    assert len(data.documents) == 4
    assert sum(map(len, data.tokens)) == 3665
    assert data.tag_names == ["B-LOC", "B-ORG", "B-PER", "I-LOC", "I-ORG", "I-PER"] + [
        "O"
    ]
    assert "CC-0" in data.DESCR and (DATA / "README").is_file()
    assert max(map(len, data.tokens)) <= 60


def test_default_reads_the_shipped_corpus(monkeypatch, recwarn):
    # no configuration: the 80 CC-0 documents shipped inside the package
    for name in ("SEQLEARN_DUTCH_NER",):
        monkeypatch.delenv(name, raising=False)
    data = load_dutch_ner()
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
    assert Path(data.path).resolve() == DATA.resolve()
    _check_ner(data, DATA)
    assert len(data.documents) == 80
    assert sum(map(len, data.tokens)) > 140_000
    assert max(map(len, data.tokens)) <= 60
    assert set(data.tag_names) == {
        "O",
        *(f"{p}-{t}" for p in "BI" for t in ("PER", "LOC", "ORG")),
    }
    assert "Koninklijke Bibliotheek" in data.DESCR


def test_explicit_folder(tmp_path):
    (tmp_path / "b.bio").write_text("Jan POS B-PER\nziet POS O\n\n", encoding="utf-8")
    (tmp_path / "a.bio").write_text("Gent. POS B-LOC\n", encoding="utf-8")
    (tmp_path / "c.bio").write_text("\n", encoding="utf-8")
    data = load_dutch_ner(tmp_path)
    assert data.documents == ["a", "b", "c"]
    assert data.tokens == [["Gent."], ["Jan", "ziet"]]
    assert list(data.document_ids) == ["a", "b"]


@pytest.mark.slow
def test_wheel_ships_the_corpus(tmp_path):
    # hatchling must put all 80 documents and the licence README in the wheel
    pytest.importorskip("hatchling")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        + ["-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    prefix = "seqlearn/datasets/data/kb-dutch-ner/"
    assert sum(n.startswith(prefix) and n.endswith(".bio") for n in names) == 80
    assert prefix + "README" in names


@pytest.mark.parametrize("max_length", [5, 17, None])
@pytest.mark.parametrize("split_sentences", [True, False])
def test_splitting_keeps_alignment(max_length, split_sentences):
    data = load_dutch_ner(
        "sample", split_sentences=split_sentences, max_length=max_length
    )
    _check_ner(data, DATA, _ner.SAMPLE_DOCUMENTS)
    if max_length is not None:
        assert max(map(len, data.tokens)) <= max_length
    if not split_sentences and max_length is None:
        assert len(data.tokens) == 4  # whole documents
    if max_length is None or max_length >= 17:
        # splits never fall inside an entity (unless it is longer than a window)
        assert all(not tags[0].startswith("I-") for tags in data.tags)


def test_sentences_end_at_punctuation_and_never_cut_entities():
    raw = load_dutch_ner("sample", split_sentences=False, max_length=None)
    data = load_dutch_ner("sample", max_length=None)
    n_start_inside_raw = sum(tags[0].startswith("I-") for tags in raw.tags)
    n_start_inside = sum(tags[0].startswith("I-") for tags in data.tags)
    assert n_start_inside == n_start_inside_raw == 0
    ends = [tokens[-1] for tokens in data.tokens]
    assert sum(bool(re.search(r"[.!?]\W*$", t)) for t in ends) >= len(ends) - 4
    windows = load_dutch_ner("sample", max_length=10)
    assert all(not tags[0].startswith("I-") for tags in windows.tags)


def test_sentence_heuristics(tmp_path):
    text = (
        "De heer J. Jansen kwam. Hij zag Mr. Smit , 10 et. lager ? 15. Waarom? Nu."
    ).split()
    tags = ["O", "O", "B-PER", "I-PER"] + ["O"] * 3 + ["B-PER"] + ["O"] * 9
    lines = "".join(f"{tok} POS {tag}\n" for tok, tag in zip(text, tags, strict=True))
    (tmp_path / "d.bio").write_text(lines + "\n", encoding="utf-8")
    data = load_dutch_ner(tmp_path)
    assert [" ".join(t) for t in data.tokens] == [
        "De heer J. Jansen kwam.",
        "Hij zag Mr. Smit , 10 et. lager ? 15.",
        "Waarom?",
        "Nu.",
    ]


def test_group_split_by_document():
    data = load_dutch_ner("sample")
    splitter = GroupShuffleSplit(n_splits=1, test_size=0.5, random_state=0)
    train, test = next(splitter.split(data.tokens, groups=data.document_ids))
    assert not set(data.document_ids[train]) & set(data.document_ids[test])


def test_return_X_y_and_errors(tmp_path):
    tokens, tags = load_dutch_ner("sample", return_X_y=True)
    assert len(tokens) == len(tags)
    with pytest.raises(FileNotFoundError):
        load_dutch_ner(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="No .bio files"):
        load_dutch_ner(tmp_path)
    (tmp_path / "bad.bio").write_text("only two\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.bio, line 1"):
        load_dutch_ner(tmp_path)
    with pytest.raises(ValueError, match="max_length"):
        load_dutch_ner("sample", max_length=0)


def test_generators_refuse_what_they_cannot_draw():
    import datetime

    from seqlearn.callbacks import budget_epochs
    from seqlearn.datasets import make_addition, make_date_normalization

    with pytest.raises(ValueError, match="noise must be a finite"):
        make_sine_series(10, noise=np.inf)
    with pytest.raises(ValueError, match="amplitude must be a finite"):
        make_sine_series(10, amplitude=np.nan)
    with pytest.raises(ValueError, match="digits must be <= 18"):
        make_addition(5, digits=19)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        budget_epochs(10, 0, max_epochs=1)
    start = datetime.datetime(2000, 1, 1, 12)
    _, y = make_date_normalization(3, start=start, random_state=0)
    assert all(len(d) == 10 for d in y)
    with pytest.raises(TypeError, match="start must be a datetime.date"):
        make_date_normalization(3, start="2000-01-01")
    with pytest.raises(TypeError, match="end must be a datetime.date"):
        make_date_normalization(3, end=2019)


def test_ner_max_length_takes_a_numpy_int():
    data = load_dutch_ner("sample", max_length=np.int64(10))
    assert max(len(t) for t in data.tokens) <= 10


@pytest.mark.parametrize("lengths", [5, (3,), (1, 2, 3), "ab"])
def test_copy_task_lengths_must_be_a_pair(lengths):
    with pytest.raises((TypeError, ValueError), match="lengths"):
        make_copy_task(2, lengths=lengths)
    X, _ = make_copy_task(3, lengths=np.array([2, 4]), random_state=0)
    assert all(2 <= len(x) <= 4 for x in X)


def test_ar_series_coefs_must_be_one_dimensional():
    with pytest.raises(ValueError, match=r"shape \(p,\).*\(2, 1\)"):
        make_ar_series(5, coefs=[[0.5], [0.1]])
    with pytest.raises(ValueError, match="list of numbers"):
        make_ar_series(5, coefs="abc")
    # a scalar is one lag-1 coefficient
    np.testing.assert_array_equal(
        make_ar_series(5, coefs=0.5, random_state=0),
        make_ar_series(5, coefs=[0.5], random_state=0),
    )


@pytest.mark.parametrize("name", ["split_sentences", "return_X_y"])
def test_ner_flags_must_be_booleans(name):
    with pytest.raises(TypeError, match=f"{name} must be True or False"):
        load_dutch_ner("sample", **{name: "no"})
    assert load_dutch_ner("sample", **{name: np.bool_(False)})
