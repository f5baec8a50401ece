"""`csv` with `stream: true` (dlkit.data.stream): the rows of shards split by a hash, reproducibly
and without overlap; the encoders' statistics from the one pass equal those of the training rows in
memory; never more than a bounded number of rows held at once; blank cells and a header-only shard;
what streaming refuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from dlkit.config.data import SplitConfig
from dlkit.data import stream, stream_batches
from dlkit.data.examples import concatenate
from dlkit.data.peek import OptionError
from dlkit.data.stream import TEST, TRAIN, VAL, refusal, streamed_splits
from dlkit.data.table import Csv
from dlkit.data.table_encoders import column_stats


def shards(folder, rows: int = 1200, parts: int = 3):
    """`parts` CSV shards of a table with an id, two numbers (blanks in one), a category and a
    yes/no label (one blank), and a header-only shard after them."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "ID": np.arange(rows),
        "Feat A": rng.normal(5.0, 2.0, rows).round(3),
        "b": rng.normal(size=rows).round(3),
        "colour": rng.choice(["red", "green", "blue"], rows),
        "label": rng.choice(["yes", "no"], rows),
    })  # fmt: skip
    frame.loc[[3, 500], "b"] = np.nan
    frame.loc[7, "label"] = None
    write(folder, frame, parts)
    return folder / "part-*.csv", frame


def write(folder, frame, parts: int):
    size = -(-len(frame) // parts)
    for i in range(parts):
        frame.iloc[i * size : (i + 1) * size].to_csv(folder / f"part-{i}.csv", index=False)
    frame.iloc[:0].to_csv(folder / f"part-{parts}.csv", index=False)


def loaded(path, **options):
    options = {"target": "label", "stream": True, "missing": "mean", **options}
    return Csv(path=path, **options).holding_out(0.2, 0.1).load()


def ids_of(rows) -> np.ndarray:
    return np.concatenate([x["id"] for x, _ in rows.pieces()])


def test_the_splits_are_disjoint_reproducible_and_near_their_fractions(tmp_path):
    path, frame = shards(tmp_path)
    arrays = loaded(path, features=["id", "feat_a", "b", "colour"])
    again = loaded(path, features=["id", "feat_a", "b", "colour"])
    assert np.array_equal(arrays.x_train.row_parts, again.x_train.row_parts)
    assert arrays.rows.read == 1200 and arrays.rows.left_out == {"with a blank target": 1}
    train, val, test = (*(ids_of(arrays.x_train.only(p)) for p in (TRAIN, VAL)), ids_of(arrays.x_test))
    assert np.array_equal(ids_of(again.x_test), test)
    together = np.concatenate([train, val, test])
    assert len(together) == len(np.unique(together)) == 1199  # each row in one split, none twice
    assert abs(len(test) / 1199 - 0.2) < 0.04 and abs(len(val) / 1199 - 0.1) < 0.03
    assert len(arrays.x_test) == len(test) == len(arrays.y_test)
    assert len(arrays.x_train) == len(train) + len(val) == len(arrays.y_train)
    # The labels follow the rows' order: the test labels are those of the test ids.
    truth = frame.set_index("ID")["label"]
    assert list(arrays.y_test) == list(truth[test])


def test_a_split_key_keeps_the_rows_of_one_key_together(tmp_path):
    path, frame = shards(tmp_path)
    frame["site"] = frame["ID"] % 40
    write(tmp_path, frame, 3)
    arrays = loaded(path, split_key="site", drop=["site"], features=["id", "b"])
    sites = {p: set(ids_of(arrays.x_train.only(p)) % 40) for p in (TRAIN, VAL)}
    sites[TEST] = set(ids_of(arrays.x_test) % 40)
    assert not (sites[TRAIN] & sites[VAL]) and not (sites[TRAIN] & sites[TEST]) and not (sites[VAL] & sites[TEST])


def test_the_pass_fits_what_the_training_rows_in_memory_would(tmp_path):
    path, _ = shards(tmp_path)
    rows = loaded(path, stream_sample=50).x_train
    train = concatenate([x for x, _ in rows.only(TRAIN).pieces()])
    assert len(train["b"]) == len(rows.only(TRAIN))
    for name in ("feat_a", "b", "colour"):
        expected, found = column_stats(train[name], "mean"), rows.stats[name]
        assert found == (pytest.approx(expected, rel=1e-5) if "mean" in found else expected)
    assert len(rows.sample.positions) == 50  # the sample: 50 training rows, drawn the same each time
    assert np.array_equal(rows.sample.positions, loaded(path, stream_sample=50).x_train.sample.positions)


def test_a_streamed_loader_holds_a_bounded_number_of_rows(tmp_path, monkeypatch):
    """Chunks of 64 rows, windows of 256: the reader never gives more than a chunk, the batches never
    gather more than a window, a chunk and a batch; every training row comes once a pass."""
    path, _ = shards(tmp_path, rows=3000)
    monkeypatch.setattr(stream, "CHUNK_ROWS", 64)
    monkeypatch.setattr(stream_batches, "WINDOW_ROWS", 256)
    largest = {"frame": 0, "gathered": 0}
    frames = stream.frames

    def spy_frames(*args, **kwargs):
        for frame in frames(*args, **kwargs):
            largest["frame"] = max(largest["frame"], len(frame))
            yield frame

    from dlkit.data import examples

    joined = examples.concatenate

    def spy_concatenate(parts):  # what the batches gather at once (`_emit` imports it where used)
        found = joined(parts)
        largest["gathered"] = max(largest["gathered"], examples.count(found))
        return found

    monkeypatch.setattr(stream, "frames", spy_frames)
    monkeypatch.setattr(examples, "concatenate", spy_concatenate)
    arrays = loaded(path, features=["id", "b"])
    train = arrays.x_train.only(TRAIN)
    y = arrays.y_train[arrays.x_train.row_parts == TRAIN]
    batches = list(stream_batches.cut(train, y, 32, np.random.default_rng(0)))
    assert largest["frame"] == 64
    assert 256 <= largest["gathered"] <= 256 + 64 + 32
    ids = np.concatenate([x["id"] for x, _ in batches])
    assert sorted(ids) == sorted(ids_of(train)) and len(ids) == len(y)
    assert all(len(b[1]) == 32 for b in batches[:-1])
    assert not np.array_equal(ids, ids_of(train))  # shuffled
    again = np.concatenate([x["id"] for x, _ in stream_batches.cut(train, y, 32, np.random.default_rng(0))])
    assert np.array_equal(ids, again)  # the same seed and epoch: the same order


def test_a_file_over_max_bytes_streams_and_is_refused_in_memory(tmp_path):
    path, _ = shards(tmp_path, parts=1)
    file = tmp_path / "part-0.csv"
    assert len(Csv(path=file, target="label", stream=True).bounded(1000).holding_out(0.2, 0.1).load().y_train) > 0
    with pytest.raises(OptionError, match="data.max_bytes is 1.0 kB"):
        Csv(path=file, target="label").bounded(1000).load()


def test_parquet_streams_as_its_csv_does(tmp_path):
    path, frame = shards(tmp_path, parts=1)
    frame.to_parquet(tmp_path / "table.parquet")
    csv, parquet = loaded(tmp_path / "part-0.csv"), loaded(tmp_path / "table.parquet")
    assert np.array_equal(csv.x_train.row_parts, parquet.x_train.row_parts)
    assert list(csv.y_test) == list(parquet.y_test)
    for name, found in csv.x_train.stats.items():
        other = parquet.x_train.stats[name]
        assert other == (pytest.approx(found) if "mean" in found else found)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"duplicates": "drop"}, r"duplicates\s+a streamed table .* keeps every row"),
        ({"stream": False, "path": "x.parquet"}, "are read with stream: true"),
        ({"stream": False, "split_key": "id"}, r"split_key\s+is for stream: true"),
    ],
)
def test_what_a_streamed_table_refuses_in_its_options(options, message):
    with pytest.raises(ValidationError, match=message):
        Csv(**{"path": "x.csv", "target": "label", "stream": True, **options})


@pytest.mark.parametrize(
    ("split", "cache", "key"),
    [
        ({"folds": 3, "fold": 1}, False, "data.split.folds"),
        ({"group": "site"}, False, "data.split.group"),
        ({"ordered": True}, False, "data.split.ordered"),
        ({}, True, "data.cache"),
    ],
)
def test_what_a_streamed_table_refuses_of_data(split, cache, key):
    assert refusal(SplitConfig(**split), cache).startswith(f"{key}: ")
    assert refusal(SplitConfig(), False) is None


def test_validation_test_validates_on_the_test_rows(tmp_path):
    path, _ = shards(tmp_path)
    arrays = Csv(path=path, target="label", stream=True, missing="mean").holding_out(0.2, "test").load()
    splits = streamed_splits(arrays, SplitConfig(validation="test"), False)
    assert splits.val is splits.test and not (arrays.x_train.row_parts == VAL).any()


def test_a_test_file_streams_as_the_test_split(tmp_path):
    path, frame = shards(tmp_path)
    frame.iloc[:100].to_csv(tmp_path / "test.csv", index=False)
    arrays = loaded(path, test_path=tmp_path / "test.csv")
    assert len(arrays.x_test) == len(arrays.y_test) == 99  # one blank target
    assert list(ids_of(arrays.x_test)) == [i for i in range(100) if i != 7]
    assert not (arrays.x_train.row_parts == TEST).any() and len(arrays.x_train) == 1199
    assert arrays.rows.read == 1300
