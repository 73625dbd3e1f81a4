"""A copy of the validated table that the suite's notebook kernels map from one file instead of each
holding its own (the suite runner writes it beside `portfolio.parquet` for the run's kernels and
removes it before the run is published; `Portfolio.load` reads it when it is there).

Every kernel used to read the Parquet file into a table of its own: 286 MB of private memory per
kernel at 10⁶ projects, two kernels at a time. An uncompressed Arrow file mapped into memory is read
in place: its numbers, dates and texts become the frame's arrays without a copy, pages of a file
that the kernels share and that the system may drop and read again (measured in
benchmarks/RESULTS.md). Only the true/false and nullable integer columns (1–2 bytes a project) are
copied out of it.

The frame read back equals the Parquet round trip exactly: the same columns, order, dtypes, index
and values (missing values as NaN, NaT or NA where Parquet gives them). A float is stored with its
NaN as a value, not as Arrow's null (which a reader has to fill in, copying the column), and a date
as its int64 count of its unit with NaT's own bit pattern. The arrays read from the file cannot be
written; pandas copies a column before changing it because the frame first read is kept for the
life of the process (`_MAPPED`), so `data.loc[...] = ...` works as on any other frame.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

#: the schema's metadata key holding what the frame needs back: dtypes, index name, the Parquet
#: file's size and modification time (a copy is read only beside the Parquet file it was made from)
METADATA_KEY = b"amo_analysis.shared_table"

#: frames read from mapped files, kept so that no other frame is ever their only holder: pandas copies
#: a column shared with a live frame before writing into it, instead of writing into a read-only map
_MAPPED: list[pd.DataFrame] = []


def _stamp(parquet: Path) -> list[int]:
    stat = os.stat(parquet)
    return [stat.st_size, stat.st_mtime_ns]


def _in_place(dtype) -> bool:
    """Whether a column of `dtype` is read back as the mapped bytes themselves: float64, int64 and
    numpy (time-zone-less) dates."""
    return isinstance(dtype, np.dtype) and (dtype in (np.float64, np.int64) or dtype.kind == "M")


def _to_arrow(series: pd.Series):
    import pyarrow as pa

    if _in_place(series.dtype):  # NaN (and NaT's bit pattern) stays a value: read back without a copy
        values = series.to_numpy()
        return pa.array(values.view(np.int64) if values.dtype.kind == "M" else values, from_pandas=False)
    return pa.array(series.array, from_pandas=True)


def write_shared_table(frame: pd.DataFrame, path: str | os.PathLike, parquet: str | os.PathLike) -> Path | None:
    """Write `frame` as an uncompressed Arrow file at `path`, the copy of `parquet` (the same frame,
    already written there) that `read_shared_table` maps; returns `path`, or None (nothing written)
    when a column cannot be stored so (a name that is not distinct text, an index that is not one
    level, a column of mixed Python objects): the kernels then read the Parquet file."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    path = Path(path)
    names = list(frame.columns)
    if (
        not all(isinstance(name, str) for name in names)
        or len(set(names)) != len(names)
        or "__index__" in names
        or frame.index.nlevels != 1
    ):
        return None
    try:
        arrays = [_to_arrow(frame[name]) for name in names]
        arrays.append(pa.array(frame.index.to_numpy(), from_pandas=False))
        table = pa.table(arrays, names=[*names, "__index__"]).combine_chunks()
    except (pa.ArrowException, TypeError, ValueError):
        return None
    meta = {
        "dtypes": [str(frame[name].dtype) for name in names],
        "index_dtype": str(frame.index.dtype),
        "index_name": frame.index.name,
        "range": (
            [frame.index.start, frame.index.stop, frame.index.step] if isinstance(frame.index, pd.RangeIndex) else None
        ),
        "parquet": _stamp(Path(parquet)),
    }
    table = table.replace_schema_metadata({METADATA_KEY: json.dumps(meta).encode()})
    with ipc.new_file(path, table.schema) as writer:
        writer.write_table(table, max_chunksize=max(1, len(frame)))
    return path


def _column(chunked, dtype: str):
    """One column of the frame from its Arrow column (a single chunk, or none for an empty table)."""
    kind = pd.api.types.pandas_dtype(dtype)
    array = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
    if _in_place(kind):
        values = array.to_numpy(zero_copy_only=True)
        return values.view(kind) if kind.kind == "M" else values
    if kind == np.bool_:
        return array.to_numpy(zero_copy_only=False)  # Arrow packs them in bits: unpacked, 1 byte each
    if hasattr(kind, "__from_arrow__"):  # pandas' nullable and text dtypes
        return kind.__from_arrow__(chunked)
    return chunked.to_pandas().astype(kind)


def read_shared_table(path: str | os.PathLike, parquet: str | os.PathLike) -> pd.DataFrame | None:
    """The frame stored at `path` by `write_shared_table`, its arrays read in place from the mapped
    file; None when there is no such file, it cannot be read as one, or it was not made from `parquet`
    as it is now (the caller then reads the Parquet file). Each frame read is kept for the life of the
    process (`_MAPPED`): the suite's kernels read one each."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    path, parquet = Path(path), Path(parquet)
    if not path.is_file() or not parquet.is_file():
        return None
    try:
        table = ipc.open_file(pa.memory_map(str(path))).read_all()
        meta = json.loads((table.schema.metadata or {}).get(METADATA_KEY, b"null"))
    except (pa.ArrowException, OSError, ValueError):  # not such a file (cut short, another format)
        return None
    if not meta or meta.get("parquet") != _stamp(parquet):
        return None
    names = table.column_names[:-1]
    columns = {name: _column(table.column(name), dtype) for name, dtype in zip(names, meta["dtypes"])}
    index = pd.Index(_column(table.column("__index__"), meta["index_dtype"]), name=meta["index_name"], copy=False)
    if meta["range"] is not None:
        index = pd.RangeIndex(*meta["range"], name=meta["index_name"])
    frame = pd.DataFrame(columns, index=index, copy=False)
    if [str(dtype) for dtype in frame.dtypes] != meta["dtypes"]:  # a dtype this reader cannot restore
        return None
    _MAPPED.append(frame)
    return frame.copy(deep=False)
