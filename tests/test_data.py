import numpy as np
import pandas as pd
import pytest
import torch
from scipy import sparse

from seqlearn.data import (
    BucketBatchIterator,
    RaggedSteps,
    SequenceDataset,
    check_sequences,
    check_token_ids,
    pad_sequences,
    predict_batches,
    unpad,
)


def test_three_d_array_is_zero_copy_and_full_length():
    X = np.random.default_rng(0).normal(size=(4, 7, 3)).astype(np.float32)
    data = check_sequences(X)
    assert np.shares_memory(data.values, X)
    assert data.lengths.tolist() == [7] * 4
    assert not data.tabular and data.n_step_features == 3


def test_two_d_array_and_dataframe_are_univariate_sequences():
    X = np.arange(12.0).reshape(3, 4)
    for given in (X, pd.DataFrame(X), [list(r) for r in X]):
        data = check_sequences(given)
        assert data.tabular
        assert data.values.shape == (3, 4, 1)
        np.testing.assert_array_equal(data.values[..., 0], X)


def test_ragged_list_is_padded_with_zeros():
    seqs = [np.ones((2, 3)), 2 * np.ones((5, 3)), 3 * np.ones((1, 3))]
    data = check_sequences(seqs)
    assert data.values.shape == (3, 5, 3)
    assert data.lengths.tolist() == [2, 5, 1]
    assert np.all(data.values[0, 2:] == 0) and np.all(data.values[2, 1:] == 0)
    for seq, back in zip(seqs, unpad(data.values, data.lengths), strict=True):
        np.testing.assert_array_equal(seq, back)
    # 1-D ragged sequences are univariate
    assert check_sequences([np.ones(2), np.ones(3)]).values.shape == (2, 3, 1)


def test_token_padding_is_dropped_wherever_it_stands():
    pre = np.array([[0, 0, 5, 6], [7, 8, 9, 1]])
    post = np.array([[5, 6, 0, 0], [7, 8, 9, 1]])
    for X in (pre, post, [[5, 6], [7, 8, 9, 1]]):
        data = check_sequences(X, tokens=True)
        assert data.lengths.tolist() == [2, 4]
        assert data.values[0, :2].tolist() == [5, 6]


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.array([[1.0, np.nan]]), "NaN"),
        (np.array([[1.0, np.inf]]), "infinity"),
        ([np.ones((2, 1)), np.ones((0, 1))], r"X\[1\] is an empty sequence"),
        (np.zeros((0, 3)), "0 sample"),
        ([], "0 samples"),
        (np.zeros(3), "1-D"),
        (np.zeros((2, 2, 2, 2)), "4-D"),
        ([np.ones((2, 2)), np.ones((3, 3))], "different numbers of features"),
        (np.array([["a", "b"]]), "strings"),
    ],
)
def test_bad_input_names_the_problem(X, match):
    with pytest.raises(ValueError, match=match):
        check_sequences(X)


@pytest.mark.parametrize(
    ("X", "match"),
    [
        ([[1, -2]], "negative token ids"),
        ([[1.5, 2]], "integer token ids"),
        ([[0, 0], [1, 2]], "only padding"),
        (np.zeros((2, 3, 1)), "2-D array or a list"),
    ],
)
def test_bad_token_input(X, match):
    with pytest.raises(ValueError, match=match):
        check_sequences(X, tokens=True)


@pytest.mark.parametrize("X", [None, "abc", sparse.csr_matrix(np.eye(3))])
def test_unsupported_containers_raise_type_error(X):
    with pytest.raises(TypeError):
        check_sequences(X)


def test_dataset_batches_are_trimmed_and_targets_padded():
    padded, lengths = pad_sequences([np.ones((n, 2)) for n in (2, 6, 3)])
    y = np.full((3, 6), -100)
    ds = SequenceDataset(padded, lengths, y, per_step=True)
    Xi, yi = ds.__getitems__([0, 2])
    assert Xi["x"].shape == (2, 3, 2)
    assert Xi["lengths"].tolist() == [2, 3]
    assert yi.shape == (2, 3)
    Xi, yi = ds.__getitems__(np.array([1]))
    assert Xi["x"].shape == (1, 6, 2)


def test_bucket_iterator_covers_every_index_once_with_similar_lengths():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 200, size=1000)
    padded, lengths = pad_sequences([np.ones((n, 1)) for n in lengths])
    ds = SequenceDataset(padded, lengths)
    torch.manual_seed(0)
    batches = BucketBatchIterator(ds, 32, shuffle=True).batch_indices()
    seen = np.concatenate(batches)
    assert np.array_equal(np.sort(seen), np.arange(1000))
    # bucketing: padding per batch is far below random batching
    waste = sum(lengths[b].max() * len(b) - lengths[b].sum() for b in batches)
    assert waste < 0.2 * lengths.sum()
    # shuffled: a second pass differs, and a reseed repeats it
    again = BucketBatchIterator(ds, 32, shuffle=True).batch_indices()
    assert not all(np.array_equal(a, b) for a, b in zip(batches, again, strict=False))
    torch.manual_seed(0)
    repeat = BucketBatchIterator(ds, 32, shuffle=True).batch_indices()
    assert all(np.array_equal(a, b) for a, b in zip(batches, repeat, strict=True))


def test_fixed_length_lengths_and_windows_take_no_memory_per_sequence():
    from seqlearn.preprocessing import make_windows

    series = np.arange(1000, dtype=np.float32)
    X, y = make_windows(series, window=10)
    assert np.shares_memory(y, series) and not y.flags.writeable
    data = check_sequences(X)
    assert np.shares_memory(data.values, series)
    assert data.lengths.strides == (0,)  # a broadcast, not n int64s
    ds = SequenceDataset(data.values, data.lengths, y)
    assert ds.lengths.stride() == (0,)
    Xi, yi = ds.__getitems__([0, 5])
    assert Xi["lengths"].tolist() == [10, 10]
    np.testing.assert_array_equal(Xi["x"][1, :, 0].numpy(), series[5:15])
    assert yi.tolist() == [10.0, 15.0]


def test_float64_values_keep_the_digits_of_a_large_offset():
    x = 1.7e9 + np.arange(4) * 60.0
    assert np.unique(check_sequences([x, x]).values).size < 4  # float32 loses them
    data = check_sequences([x, x], dtype=np.float64)
    assert data.values.dtype == np.float64
    assert np.array_equal(data.values[0, :, 0], x)


def test_scaler_matches_standard_scaler_on_a_large_offset():
    from sklearn.preprocessing import StandardScaler

    from seqlearn.preprocessing import SequenceScaler

    x = 1.7e9 + np.arange(4) * 60.0
    expected = StandardScaler().fit_transform(x[:, None])[:, 0]
    for scaler in (SequenceScaler(), SequenceScaler(per_sequence=True)):
        out = scaler.fit_transform([x])[0]
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, expected, rtol=1e-6)
    scaler = SequenceScaler(method="minmax").fit([x])
    back = scaler.inverse_transform(scaler.transform([x]))[0]
    assert back.dtype == np.float64
    np.testing.assert_allclose(back, x, rtol=0, atol=1e-3)


def test_equal_length_arrays_are_sequences_and_lists_of_lists_a_table():
    arrays = [np.arange(5.0), np.arange(5.0) + 1]
    assert not check_sequences(arrays).tabular
    assert check_sequences([list(a) for a in arrays]).tabular
    assert check_sequences(np.stack(arrays)).tabular


def test_read_only_arrays_are_shared_without_touching_warning_filters(
    monkeypatch, recwarn
):
    # catch_warnings is not thread-safe: predicting from threads left an
    # "ignore ... not writable" filter installed for good
    import warnings

    calls, catch_warnings = [], warnings.catch_warnings

    def unsafe(*args, **kwargs):
        calls.append(args)
        return catch_warnings(*args, **kwargs)

    values = np.lib.stride_tricks.sliding_window_view(np.arange(20.0), 4)[:, :, None]
    y = np.arange(17.0)
    y.flags.writeable = False
    monkeypatch.setattr(warnings, "catch_warnings", unsafe)
    dataset = SequenceDataset(values, np.full(17, 4), y, y)
    assert not calls and not recwarn.list  # no "not writable" warning either
    assert np.shares_memory(dataset.values.numpy(), values)
    x, target = dataset.__getitems__([2])
    np.testing.assert_array_equal(x["x"].numpy()[0, :, 0], [2, 3, 4, 5])
    assert target["y"].tolist() == [2.0] and target["sample_weight"].tolist() == [2.0]


def test_a_list_of_sparse_matrices_is_a_clear_error():
    seqs = [sparse.csr_matrix(np.ones((3, 2)))] * 2
    with pytest.raises(TypeError, match=r"sparse matrix was passed as X\[0\]"):
        check_sequences(seqs)


@pytest.mark.parametrize(
    "ids",
    [np.full((2, 3), 2**63 + 5, np.uint64), np.full((2, 3), 1e20), [[2.0**63]]],
)
def test_token_ids_beyond_int64_are_too_large_not_negative(ids):
    with pytest.raises(ValueError, match="too large for int64"):
        check_sequences(ids, tokens=True)


def test_a_three_d_object_array_of_numbers_is_converted():
    X = np.arange(24.0).reshape(2, 3, 4)
    data = check_sequences(X.astype(object))
    np.testing.assert_array_equal(data.values, X)
    with pytest.raises(ValueError, match="not numbers"):
        check_sequences(np.full((2, 3, 1), "a", dtype=object))


def test_read_only_arrays_without_dlpack_are_copied(monkeypatch, recwarn):
    # numpy < 2 refuses read-only arrays over DLPack: the fallback copies them
    import torch

    def refuse(values):
        raise BufferError("read-only")

    monkeypatch.setattr(torch, "from_dlpack", refuse)
    values = np.lib.stride_tricks.sliding_window_view(np.arange(20.0), 4)[:, :, None]
    dataset = SequenceDataset(values, np.full(17, 4))
    assert not recwarn.list
    assert not np.shares_memory(dataset.values.numpy(), values)
    np.testing.assert_array_equal(dataset.values.numpy(), values)


# --------------------------------------------------------------------------
# ragged input stays unpadded: only batches are padded
# --------------------------------------------------------------------------


def _batches_equal(a, b, indices):
    (xa, ya), (xb, yb) = a.__getitems__(indices), b.__getitems__(indices)
    assert torch.equal(xa["x"], xb["x"])
    assert torch.equal(xa["lengths"], xb["lengths"])
    assert (ya is None and yb is None) or torch.equal(ya, yb)


def test_ragged_steps_give_the_same_batches_as_the_padded_array():
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(t, 3)) for t in rng.integers(1, 12, size=40)]
    tags = [rng.integers(0, 3, size=len(s)) for s in seqs]
    padded = check_sequences(seqs)
    ragged = check_sequences(seqs, pad=False)
    assert isinstance(ragged, RaggedSteps)
    assert ragged.steps.shape == (padded.lengths.sum(), 3)
    np.testing.assert_array_equal(ragged.padded(), padded.values)
    y, _ = pad_sequences(tags, dtype=np.int64)
    y[np.arange(y.shape[1]) >= padded.lengths[:, None]] = -100
    a = SequenceDataset(padded.values, padded.lengths, y, per_step=True)
    b = SequenceDataset(ragged, ragged.lengths, np.concatenate(tags), per_step=True)
    for idx in ([0], [3, 1, 7], rng.permutation(40)[:9], np.arange(40)):
        _batches_equal(a, b, idx)
    sub_a, sub_b = a.subset([5, 2, 9]), b.subset([5, 2, 9])
    _batches_equal(sub_a, sub_b, [0, 1, 2])
    _batches_equal(sub_a, sub_b, [2])


def test_ragged_token_ids_drop_padding_and_keep_raw_positions():
    X = [[0, 5, 6], [7, 0, 8, 9, 0]]
    ragged = check_sequences(X, tokens=True, pad=False)
    padded = check_sequences(X, tokens=True)
    assert ragged.steps.tolist() == [5, 6, 7, 8, 9]
    assert ragged.lengths.tolist() == [2, 3]
    assert ragged.order.tolist() == [1, 2, 0, 2, 3]
    np.testing.assert_array_equal(ragged.padded(), padded.values)
    # the largest id is named at its raw position, as for padded input
    for data in (ragged, padded):
        with pytest.raises(ValueError, match=r"X\[1\]\[3\] is token id 9"):
            check_token_ids(data, 9)
    with pytest.raises(ValueError, match=r"X\[0\] is an empty sequence"):
        check_sequences([[0, 0], [3]], tokens=True, pad=False)


def test_a_very_long_sequence_gets_an_inference_batch_of_its_own():
    lengths = np.array([10] * 1000 + [10_000])
    batches = predict_batches(lengths, 128)
    assert batches[-1].tolist() == [1000]
    assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(1001))
    assert max(len(b) for b in batches) == 128
    # ordinary ragged lengths keep the plain length-sorted cut
    lengths = np.random.default_rng(0).integers(5, 40, size=500)
    got = predict_batches(lengths, 128)
    assert [len(b) for b in got] == [128, 128, 128, 116]
    assert np.array_equal(np.concatenate(got), np.argsort(lengths, kind="stable"))


def test_training_batches_split_only_where_padding_would_explode():
    ordinary = np.random.default_rng(0).integers(1, 200, size=1000)
    skewed = np.array([10] * 1000 + [20_000, 19_000, 30])
    for lengths in (ordinary, skewed):
        ds = SequenceDataset(
            RaggedSteps(np.zeros((lengths.sum(), 1), np.float32), lengths), lengths
        )
        for shuffle, seed in ((True, 0), (True, 1), (False, 0)):
            torch.manual_seed(seed)
            iterator = BucketBatchIterator(ds, 32, shuffle=shuffle)
            batches = iterator.batch_indices()
            covered = np.sort(np.concatenate(batches))
            assert np.array_equal(covered, np.arange(len(ds)))
            sizes = sorted(len(b) for b in batches)
            # the length is exact whatever the draw (schedules count on it)
            assert len(iterator) == len(batches)
            assert sizes == sorted(iterator.batch_sizes())
            if lengths is ordinary and shuffle:  # pools of 640 cut into 32s
                assert sizes == [8] + [32] * 31
            elif lengths is skewed:  # the long ones alone, not padding 31 others
                assert [len(b) for b in batches if 1000 in b] == [1]
                assert [len(b) for b in batches if 1001 in b] == [1]
                assert max(lengths[b].max() * len(b) for b in batches) == 20_000


def test_masked_values_are_an_error_not_silently_read():
    # np.asarray drops a mask: the values under it would be read as data
    from seqlearn import RNNForecaster, SequenceRegressor

    X = np.ma.masked_array(np.ones((4, 5)), mask=np.zeros((4, 5), bool))
    check_sequences(X)  # nothing masked: accepted
    X.mask[3, 2] = True
    with pytest.raises(ValueError, match=r"X is a masked array with 1 masked"):
        check_sequences(X)
    with pytest.raises(ValueError, match=r"X\[3\] is a masked array"):
        check_sequences(list(X))
    y = np.ma.masked_array(np.arange(4.0), mask=[0, 1, 0, 0])
    with pytest.raises(ValueError, match=r"y is a masked array"):
        SequenceRegressor(max_epochs=1).fit(np.ones((4, 5)), y)
    series = np.ma.masked_array(np.arange(40.0), mask=np.arange(40) == 5)
    with pytest.raises(ValueError, match=r"y is a masked array"):
        RNNForecaster(horizon=2).fit(series)


def test_a_list_of_strings_where_numbers_are_expected_is_named_text():
    # it was called "a 1-D array of numbers"
    from seqlearn.preprocessing import SequenceScaler

    with pytest.raises(ValueError, match=r"X holds text \('abc', \.\.\.\)"):
        SequenceScaler().fit(["abc", "de"])
    with pytest.raises(ValueError, match="1-D array of numbers"):
        SequenceScaler().fit([1.0, 2.0])


def test_unpad_refuses_lengths_that_do_not_fit():
    padded = np.arange(6).reshape(2, 3)
    # before: [4, 3] took a step of sequence 1 into sequence 0, silently
    with pytest.raises(ValueError, match=r"lengths\[0\] is 4"):
        unpad(padded, [4, 3])
    with pytest.raises(ValueError, match=r"lengths\[0\] is -1"):
        unpad(padded, [-1, 3])
    with pytest.raises(ValueError, match="2 integers"):
        unpad(padded, [1.5, 2.0])
    with pytest.raises(ValueError, match="2 integers"):
        unpad(padded, [1])
    assert [a.tolist() for a in unpad(padded, [0, 3])] == [[], [3, 4, 5]]
    assert unpad(np.zeros((0, 3)), np.zeros(0, int)) == []


def test_batch_sizes_must_be_positive():
    with pytest.raises(ValueError, match="batch_size must be positive"):
        predict_batches(np.array([3, 5, 2]), 0)
    data = SequenceDataset(np.zeros((4, 3, 1), np.float32), np.full(4, 3))
    with pytest.raises(ValueError, match="batch_size must be positive"):
        BucketBatchIterator(data, batch_size=0)
    # a plain list of lengths works as an array does
    assert [b.tolist() for b in predict_batches([3, 5, 2], 2)] == [[2, 0], [1]]


def test_sequence_dataset_checks_its_lengths():
    values = np.zeros((3, 4, 1), np.float32)
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 4\]"):
        SequenceDataset(values, [4, 5, 2])
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 4\]"):
        SequenceDataset(values, [4, 0, 2])
    with pytest.raises(ValueError, match=r"one length per sequence \(3\)"):
        SequenceDataset(values, [4, 2])
    ragged = RaggedSteps(np.zeros((5, 1), np.float32), np.array([2, 3]))
    with pytest.raises(ValueError, match="the ragged values' own lengths"):
        SequenceDataset(ragged, [3, 2])
    assert len(SequenceDataset(ragged, [2, 3])) == 2
