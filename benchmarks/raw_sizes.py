"""How big the raw input is, as Parquet and as CSV, whichever format was generated.

The warehouse-size target compares the warehouse with the same raw input
written as CSV, and the largest benchmark size reads Parquet. Rather than
store the other format (CSV is several times the Parquet), each source is streamed
through the writer the generator uses (`raw_data.generate`: pyarrow's CSV
writer, or its Parquet writer with zstd) into a sink that only counts bytes.
The generator writes every value as a string, so both formats hold the same
text and the count is the size `--format` of the other kind would have made.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

SOURCES = ("transactions", "demographics", "credit_profiles")
SIZES_FILE = "raw_sizes.json"
BATCH_ROWS = 1_000_000


class CountingSink:
    """A write-only file that keeps only the number of bytes written to it."""

    def __init__(self) -> None:
        self.bytes = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        size = memoryview(data).nbytes
        self.bytes += size
        return size

    def tell(self) -> int:
        return self.bytes

    def flush(self) -> None:
        """Nothing is buffered."""

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


def batches(path: Path, file_format: str):
    """The rows of one raw file as all-string record batches, a million rows at a time."""
    if file_format == "parquet":
        yield from pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS)
        return
    header = pa_csv.open_csv(path, read_options=pa_csv.ReadOptions(block_size=1 << 20))
    names = header.schema.names
    header.close()
    options = pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    yield from pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(block_size=64 << 20),
        convert_options=options,
    )


def written_bytes(path: Path, file_format: str, target_format: str) -> int:
    """Bytes `path`'s rows take written in `target_format` the way the generator writes it."""
    if file_format == target_format:
        return path.stat().st_size
    sink = CountingSink()
    writer = None
    for batch in batches(path, file_format):
        if writer is None:
            schema = pa.schema([(name, pa.string()) for name in batch.schema.names])
            writer = (
                pq.ParquetWriter(sink, schema, compression="zstd")
                if target_format == "parquet"
                else pa_csv.CSVWriter(sink, schema)
            )
        writer.write_batch(batch.cast(writer.schema) if target_format == "parquet" else batch)
    if writer is not None:
        writer.close()
    return sink.bytes


def raw_sizes(data_dir: Path, file_format: str) -> dict[str, int]:
    """Bytes of the three raw files as CSV and as Parquet; cached beside the data.

    The cache is written once per generated data directory (whose name holds
    its size, seed and format), so a rerun does not stream the files again.
    """
    cache = data_dir / SIZES_FILE
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    sizes = {"csv_bytes": 0, "parquet_bytes": 0}
    for source in SOURCES:
        path = data_dir / f"{source}.{file_format}"
        for target in ("csv", "parquet"):
            sizes[f"{target}_bytes"] += written_bytes(path, file_format, target)
    cache.write_text(json.dumps(sizes, indent=2) + "\n", encoding="utf-8")
    return sizes
