"""Tests for amo_analysis.ingest.shared_table: the run's memory-mapped copy of the validated table reads
back equal to the Parquet file, in place (no copy of its numbers, dates and texts), writable through
pandas, and only beside the Parquet file it was made from; `Portfolio.load` reads it."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import portfolio_frame, write_csv

from amo_analysis.ingest import shared_table
from amo_analysis.ingest.portfolio import SHARED_TABLE_FILE, Portfolio, load_portfolio


def _every_kind(n: int = 7) -> pd.DataFrame:
    """A frame with every dtype the contract produces, missing values in each, under a named index."""
    return pd.DataFrame(
        {
            "project_id": pd.array(["P1", None, "P3", "é", "", "P6", "P7"][:n], dtype="str"),
            "cost": [1.5, np.nan, -0.0, np.inf, 1e300, 2.0, np.nan][:n],
            "count": np.arange(n, dtype=np.int64) * 7,
            "start": pd.to_datetime(
                ["2024-01-02", None, "1999-12-31", "2030-05-06", None, "2024-01-03", "2024-02-29"][:n]
            ).as_unit("us"),
            "amo": pd.array([True, False, None, True, None, False, True][:n], dtype="boolean"),
            "complexity": pd.array([1, None, 3, 4, 5, None, 2][:n], dtype="Int64"),
            "running": np.array([True, False, False, True, False, True, False][:n]),
        },
        index=pd.Index(np.arange(2, 2 + n, dtype=np.int64) * 3, name="source_row"),
    )


def _round_trip(frame: pd.DataFrame, folder) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the Parquet round trip of `frame`, its shared copy read back)."""
    parquet = folder / "portfolio.parquet"
    frame.to_parquet(parquet)
    assert shared_table.write_shared_table(frame, folder / SHARED_TABLE_FILE, parquet) is not None
    return pd.read_parquet(parquet), shared_table.read_shared_table(folder / SHARED_TABLE_FILE, parquet)


def test_reads_back_what_parquet_reads_back(tmp_path):
    by_parquet, shared = _round_trip(_every_kind(), tmp_path)
    pd.testing.assert_frame_equal(shared, by_parquet, check_exact=True, check_index_type=True, check_column_type=True)
    assert list(shared.dtypes.astype(str)) == list(by_parquet.dtypes.astype(str))


@pytest.mark.parametrize("index", [pd.RangeIndex(0, 7), pd.RangeIndex(10, 24, 2, name="row")])
def test_a_range_index_stays_a_range(tmp_path, index):
    by_parquet, shared = _round_trip(_every_kind().set_axis(index), tmp_path)
    assert isinstance(shared.index, pd.RangeIndex)
    pd.testing.assert_frame_equal(shared, by_parquet, check_exact=True, check_index_type=True)


def test_an_empty_table_reads_back(tmp_path):
    by_parquet, shared = _round_trip(_every_kind().iloc[:0], tmp_path)
    pd.testing.assert_frame_equal(shared, by_parquet, check_exact=True, check_index_type=True)


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="reads the process's mappings (Linux)")
def test_numbers_dates_and_texts_are_read_in_place(tmp_path):
    """The float, integer, date and text columns are the mapped file's own bytes, not copies."""
    _, shared = _round_trip(_every_kind(), tmp_path)
    path = str((tmp_path / SHARED_TABLE_FILE).resolve())
    with open("/proc/self/maps", encoding="utf-8") as maps:
        ranges = [
            [int(bound, 16) for bound in line.split()[0].split("-")] for line in maps if line.rstrip().endswith(path)
        ]
    assert ranges

    def inside(address: int) -> bool:
        return any(start <= address < end for start, end in ranges)

    for name in ("cost", "count", "start"):
        assert inside(shared[name].to_numpy().__array_interface__["data"][0]), name
    assert inside(shared.index.to_numpy().__array_interface__["data"][0])
    assert not inside(shared["amo"].array._data.__array_interface__["data"][0])  # copied: 1 byte a project
    text = shared["project_id"].array.__arrow_array__()  # pandas' text column is an Arrow array
    text = text.chunk(0) if isinstance(text, pa.ChunkedArray) else text
    assert inside(text.buffers()[2].address)


def test_writing_into_the_frame_copies_the_column_and_leaves_the_file(tmp_path):
    by_parquet, shared = _round_trip(_every_kind(), tmp_path)
    before = (tmp_path / SHARED_TABLE_FILE).read_bytes()
    shared.loc[shared.index[0], "cost"] = 99.0
    shared["count"] += 1
    column = shared["start"]
    column.iloc[0] = pd.Timestamp("2000-01-01")
    assert shared["cost"].iloc[0] == 99.0 and (shared["count"] == by_parquet["count"] + 1).all()
    assert (tmp_path / SHARED_TABLE_FILE).read_bytes() == before
    again = shared_table.read_shared_table(tmp_path / SHARED_TABLE_FILE, tmp_path / "portfolio.parquet")
    pd.testing.assert_frame_equal(again, by_parquet, check_exact=True)


def test_a_copy_of_another_parquet_file_is_not_read(tmp_path):
    frame = _every_kind()
    parquet = tmp_path / "portfolio.parquet"
    frame.to_parquet(parquet)
    shared_table.write_shared_table(frame, tmp_path / SHARED_TABLE_FILE, parquet)
    frame.iloc[:3].to_parquet(parquet)  # the Parquet file was written again since
    assert shared_table.read_shared_table(tmp_path / SHARED_TABLE_FILE, parquet) is None
    os.remove(tmp_path / SHARED_TABLE_FILE)
    assert shared_table.read_shared_table(tmp_path / SHARED_TABLE_FILE, parquet) is None


def test_a_file_that_is_not_a_shared_table_is_not_read(tmp_path):
    frame = _every_kind()
    parquet = tmp_path / "portfolio.parquet"
    frame.to_parquet(parquet)
    shared_table.write_shared_table(frame, tmp_path / SHARED_TABLE_FILE, parquet)
    whole = (tmp_path / SHARED_TABLE_FILE).read_bytes()
    (tmp_path / SHARED_TABLE_FILE).write_bytes(whole[: len(whole) // 2])  # cut short
    assert shared_table.read_shared_table(tmp_path / SHARED_TABLE_FILE, parquet) is None
    (tmp_path / SHARED_TABLE_FILE).write_bytes(parquet.read_bytes())  # another format
    assert shared_table.read_shared_table(tmp_path / SHARED_TABLE_FILE, parquet) is None


def test_a_table_it_cannot_store_is_not_written(tmp_path):
    parquet = tmp_path / "portfolio.parquet"
    mixed = pd.DataFrame({"x": pd.Series([1, "a", 2.5], dtype=object)})
    pd.DataFrame({"x": [1]}).to_parquet(parquet)
    assert shared_table.write_shared_table(mixed, tmp_path / SHARED_TABLE_FILE, parquet) is None
    numbered = pd.DataFrame({0: [1.0], 1: [2.0]})
    assert shared_table.write_shared_table(numbered, tmp_path / SHARED_TABLE_FILE, parquet) is None
    assert not (tmp_path / SHARED_TABLE_FILE).exists()


def test_portfolio_load_reads_the_shared_copy_and_equals_the_parquet_read(tmp_path):
    portfolio = load_portfolio(write_csv(portfolio_frame(30), tmp_path / "export.csv"))
    parquet = portfolio.save(tmp_path / "data")
    by_parquet = Portfolio.load(parquet)
    assert portfolio.save_shared(parquet) == tmp_path / "data" / SHARED_TABLE_FILE
    shared = Portfolio.load(parquet)
    pd.testing.assert_frame_equal(shared.data, by_parquet.data, check_exact=True, check_index_type=True)
    assert not shared.data["budget_planned"].to_numpy().flags.owndata
    assert shared.provenance() == by_parquet.provenance()


def test_other_dtypes_read_back_through_pandas_conversion(tmp_path):
    """Dates with a time zone, float32 and int32 are not read in place but still come back equal."""
    frame = pd.DataFrame(
        {
            "at": pd.to_datetime(["2024-01-01", None, "2024-03-31"]).tz_localize("Europe/Paris"),
            "share": np.array([1.5, np.nan, 0.25], dtype="float32"),
            "count": np.array([1, 2, 3], dtype="int32"),
        }
    )
    by_parquet, shared = _round_trip(frame, tmp_path)
    pd.testing.assert_frame_equal(shared, by_parquet, check_exact=True, check_index_type=True)
