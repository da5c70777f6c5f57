"""Reading a user's file (CSV, gzip-compressed CSV, Parquet or Excel), with a clear message for each way it
can go wrong, and a record of how it was read.

pandas accepts a lot of broken input silently (it renames a duplicate column 'a' to 'a.1',
pads short rows with empty cells, reads a ';'-separated file as one column, reads European
numbers such as 1.234,5 as text). Here we check the raw text first, so the user hears what is
wrong and on which line, and we detect each CSV file's decimal mark before pandas reads it.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from gen_models.data.errors import DataError

FORMATS = ("csv", "csv.gz", "parquet", "excel")
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "'|' characters"}
# Lines looked at when guessing the delimiter.
SNIFF_LINES = 50
UTF8_BOM = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx files are zip archives
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls files
# Cells looked at when guessing the decimal mark.
SNIFF_CELLS = 20_000
# Numbers written with a decimal comma: 1,5 or -0,25 or 1.234,5 (a dot between thousands).
COMMA_DECIMAL = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d*),\d+$")
# Numbers written with a decimal point: 1.5 or 1,234.5 (a comma between thousands).
POINT_DECIMAL = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d*)\.\d+$")
# Whole numbers with thousands separators: 1,234 or 1.234.567 (ambiguous alone: 1,234 may be a decimal).
GROUPED = re.compile(r"^[+-]?\d{1,3}([.,])\d{3}(\1\d{3})*$")
# What a real web page or XML file starts with (a header cell may start with '<' too).
MARKUP_START = re.compile(r"^\s*<(!doctype|html|\?xml|head|body|table|div|svg)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReadInfo:
    """How a file was read: what `inspect` reports and the Data page says."""

    format: str  # one of FORMATS
    delimiter: str | None = None  # CSV: the column separator
    decimal: str | None = None  # CSV: "." or ","
    thousands: str | None = None  # CSV: the thousands separator found in numbers, if any
    encoding: str | None = None  # CSV: "utf-8" or "utf-8-sig"
    sheet: str | None = None  # Excel: the sheet read

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """One sentence for a person, e.g. "CSV, columns separated by semicolons, decimal comma (1,5)"."""
        if self.format == "parquet":
            return "Parquet file"
        if self.format == "excel":
            return f"Excel workbook, sheet '{self.sheet}'"
        parts = ["gzip-compressed CSV" if self.format == "csv.gz" else "CSV"]
        parts.append(f"columns separated by {DELIMITER_NAMES[self.delimiter or ',']}")
        parts.append("decimal comma (1,5)" if self.decimal == "," else "decimal point (1.5)")
        if self.thousands:
            parts.append(f"thousands separated by '{self.thousands}'")
        return ", ".join(parts)


@dataclass(frozen=True)
class Shard:
    """The rows one of `world_size` processes holds (torchrun): data rows rank, rank + W, rank + 2W, ... (W =
    world_size, counted from 0 after the header) of the first `usable` = file_rows // W * W rows of the file.

    Interleaved, so a file sorted by some column still gives every process the same mix of rows; equal sizes, so
    every process takes the same number of steps; the last file_rows % W rows (at most W - 1) are left out.
    """

    rank: int
    world_size: int
    file_rows: int  # data rows in the whole file

    @property
    def rows(self) -> int:
        """Rows in every process's shard."""
        return self.file_rows // self.world_size

    def positions(self, start: int, stop: int) -> np.ndarray:
        """(k,) this shard's row numbers in [start, stop), ascending: what to keep of the file's rows start..stop-1."""
        first = start + (self.rank - start) % self.world_size
        return np.arange(first, min(stop, self.rows * self.world_size), self.world_size)


@dataclass(frozen=True)
class TableRead:
    """A file's table and how it was read."""

    frame: pd.DataFrame
    info: ReadInfo
    sheets: tuple[str, ...] = ()  # Excel: every sheet in the workbook
    shard: Shard | None = None  # `read_table_shard`: which of the file's rows `frame` holds


def read_table(source: str | os.PathLike | bytes | BinaryIO, sheet: str | None = None) -> TableRead:
    """Read a CSV, gzip-compressed CSV, Parquet or Excel (.xlsx) file, told apart by its first bytes.

    Excel: the first sheet unless `sheet` names another. Raises DataError with a plain message for anything
    that cannot be read as a table.
    """
    raw = _read_bytes(source)
    if raw.startswith(PARQUET_MAGIC):
        return TableRead(_read_parquet(raw), ReadInfo(format="parquet"))
    if raw.startswith(ZIP_MAGIC):
        return _read_excel(raw, sheet)
    if raw.startswith(OLE_MAGIC):
        raise DataError("This is an old Excel file (.xls). Save it as .xlsx or as 'CSV UTF-8' and try again.")
    if raw.startswith(GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise DataError(f"This gzip file is damaged and cannot be unpacked ({error}).") from None
        frame, info = _read_csv_bytes(raw)
        return TableRead(frame, ReadInfo(**{**info.to_dict(), "format": "csv.gz"}))
    frame, info = _read_csv_bytes(raw)
    return TableRead(frame, info)


# A frame read as a shard carries {"rank", "world_size", "rows"} here (DataFrame.attrs), so that training across
# processes (`gen_models.training.distributed.own_rows`) takes it as this process's rows and does not shard it again.
SHARD_ATTR = "gen_models_shard"
# CSV shards: the delimiter and number format are guessed from the file's first bytes (the whole-file reader looks
# at its first 20,000 number cells and first million characters, which fit in this in most files).
SHARD_HEAD_BYTES = 4 * 1024 * 1024
# Parquet shards: rows decoded at a time; memory holds one such batch beside the shard.
SHARD_BATCH_ROWS = 65_536


def read_table_shard(path: str | os.PathLike, rank: int, world_size: int) -> TableRead:
    """This process's shard of a file's rows (`Shard`): memory holds about the shard, not the whole table.

    CSV (plain or gzip): the file is read as a stream of rows, checked as `read_table` checks them, and only this
    shard's rows are kept (as text) and parsed; Parquet: record batches are decoded one at a time and only this
    shard's rows kept. Every row is still read (a shard has rows of every part of the file), but none is held
    beyond its batch. Excel files are small: read whole, then cut. The frame's attrs mark it (`SHARD_ATTR`).
    Column types are pandas' guesses from the shard's own cells: a column whose only empty cells or only text
    lie in other shards can come back as another type than a whole-file read gives.
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be between 0 and {world_size - 1}, not {rank}")
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError as error:
        raise DataError(f"There is no file at '{os.fspath(path)}'.") from error
    if magic.startswith(PARQUET_MAGIC):
        frame, shard = _read_parquet_shard(path, rank, world_size)
        info = ReadInfo(format="parquet")
    elif magic.startswith((ZIP_MAGIC, OLE_MAGIC)):
        whole = read_table(path)
        shard = Shard(rank, world_size, len(whole.frame))
        frame, info = whole.frame.iloc[shard.positions(0, len(whole.frame))], whole.info
    else:
        frame, info, shard = _read_csv_shard(path, rank, world_size, compressed=magic.startswith(GZIP_MAGIC))
    if shard.rows == 0:
        raise DataError(
            f"The file has {shard.file_rows} rows: too few to share among {world_size} processes (one each at least)."
        )
    frame.attrs[SHARD_ATTR] = {"rank": rank, "world_size": world_size, "rows": len(frame)}
    return TableRead(frame, info, shard=shard)


def _read_parquet_shard(path: str | os.PathLike, rank: int, world_size: int) -> tuple[pd.DataFrame, Shard]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        shard = Shard(rank, world_size, parquet.metadata.num_rows)
        kept, start = [], 0
        for batch in parquet.iter_batches(batch_size=SHARD_BATCH_ROWS, use_pandas_metadata=True):
            kept.append(batch.take(pa.array(shard.positions(start, start + batch.num_rows) - start)))
            start += batch.num_rows
        table = pa.Table.from_batches(kept, schema=parquet.schema_arrow)
        return table.to_pandas(), shard  # as pd.read_parquet converts (the same dtypes)
    except Exception as error:  # pyarrow raises its own error types for damaged files
        raise DataError(f"This Parquet file could not be read: {error}") from None


def _read_csv_shard(
    path: str | os.PathLike, rank: int, world_size: int, compressed: bool
) -> tuple[pd.DataFrame, ReadInfo, Shard]:
    """A CSV file's shard: its format guessed from the first SHARD_HEAD_BYTES, its rows streamed and checked."""
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(SHARD_HEAD_BYTES)
    except (OSError, EOFError) as error:
        raise DataError(f"This gzip file is damaged and cannot be unpacked ({error}).") from None
    encoding, skipped = ("utf-8-sig", len(UTF8_BOM)) if head.startswith(UTF8_BOM) else ("utf-8", 0)
    head = head[skipped:]
    if not head.strip():
        raise DataError("The file is empty.")
    _check_not_binary(head)
    if len(head) + skipped == SHARD_HEAD_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # whole lines only: a character may be cut at the end
    text = _decode_utf8(head, skipped)
    _check_looks_like_csv(text)
    delimiter = _guess_delimiter(text)
    decimal, thousands = _guess_number_format(text, delimiter)
    info = ReadInfo(
        format="csv.gz" if compressed else "csv",
        delimiter=delimiter,
        decimal=decimal,
        thousands=thousands,
        encoding=encoding,
    )
    # This shard's rows, written back as CSV text (what pandas then parses): the shard's share of the file.
    kept = io.StringIO()
    writer = csv.writer(kept, delimiter=delimiter, lineterminator="\n")
    count, last_start, last_row = 0, 0, -1
    try:
        with opener(path, "rb") as binary, io.TextIOWrapper(binary, encoding=encoding, newline="") as lines:
            rows = checked_rows(lines, delimiter)
            header = next(rows, [])
            _check_header(header)
            writer.writerow(header)
            for row in rows:
                if count % world_size == rank:
                    last_start, last_row = kept.tell(), count
                    writer.writerow(row)
                count += 1
    except UnicodeDecodeError:
        raise DataError("The file is not UTF-8 text. Save the file as 'CSV UTF-8' and try again.") from None
    except csv.Error as error:
        raise DataError(f"The file could not be read as a table: {error}") from None
    except (OSError, EOFError) as error:  # a gzip file damaged after its first bytes
        raise DataError(f"This file could not be read to its end ({error}).") from None
    shard = Shard(rank, world_size, count)
    if last_row >= shard.rows * world_size:  # beyond the equal shares: one row at most
        kept.truncate(last_start)
    kept.seek(0)
    try:
        frame = pd.read_csv(kept, sep=delimiter, decimal=decimal, thousands=thousands)
    except (pd.errors.ParserError, ValueError) as error:
        raise DataError(f"The file could not be read as a table: {error}") from error
    return frame, info, shard


def read_csv(source: str | os.PathLike | bytes | BinaryIO) -> pd.DataFrame:
    """Read a CSV file (path, raw bytes or binary file object) into a raw DataFrame.

    The delimiter is guessed among , ; tab and |, and the decimal mark (point or comma) from the
    numbers in the file. A UTF-8 byte-order mark is accepted. Raises DataError for an empty file,
    text that is not UTF-8, content that is not CSV (binary, a spreadsheet, HTML, JSON), duplicate
    column names or rows with the wrong number of cells. Line numbers in messages are lines of the
    file, the header being line 1. `read_table` also reads Parquet, Excel and gzip files.
    """
    return _read_csv_bytes(_read_bytes(source))[0]


def _read_csv_bytes(raw: bytes) -> tuple[pd.DataFrame, ReadInfo]:
    """A CSV file's bytes -> (frame, how it was read); see read_csv for the checks."""
    encoding = "utf-8"
    skipped = 0
    if raw.startswith(UTF8_BOM):
        skipped = len(UTF8_BOM)
        raw = raw[skipped:]
        encoding = "utf-8-sig"
    if not raw.strip():
        raise DataError("The file is empty.")
    _check_not_binary(raw)
    text = _decode_utf8(raw, skipped)
    _check_looks_like_csv(text)

    delimiter = _guess_delimiter(text)
    header = _check_rows(text, delimiter)
    _check_header(header)
    decimal, thousands = _guess_number_format(text, delimiter)
    info = ReadInfo(format="csv", delimiter=delimiter, decimal=decimal, thousands=thousands, encoding=encoding)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, decimal=decimal, thousands=thousands)
    except (pd.errors.ParserError, ValueError) as error:
        raise DataError(f"The file could not be read as a table: {error}") from error
    return frame, info


def _guess_number_format(text: str, delimiter: str) -> tuple[str, str | None]:
    """(decimal mark, thousands separator or None) from the number-like cells of the file.

    Cells such as 1,5 or 1.234,5 vote for a decimal comma, 1.5 or 1,234.5 for a decimal point; the
    majority wins. With no vote (only whole numbers), a ';'-separated file is taken as European, as
    spreadsheets write them. Whole numbers grouped in thousands (1.234 / 1,234) then say the separator.
    """
    comma_votes = point_votes = 0
    grouped: set[str] = set()
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader, None)  # the header
    seen = 0
    for row in reader:
        for cell in row:
            cell = cell.strip()
            if not cell or not (cell[0].isdigit() or cell[0] in "+-.,"):
                continue
            seen += 1
            if COMMA_DECIMAL.match(cell) and not GROUPED.match(cell):
                comma_votes += 1
            elif POINT_DECIMAL.match(cell) and not GROUPED.match(cell):
                point_votes += 1
            elif match := GROUPED.match(cell):
                grouped.add(match.group(1))
        if seen >= SNIFF_CELLS:
            break
    if comma_votes > point_votes or (comma_votes == point_votes == 0 and delimiter == ";"):
        decimal = ","
    else:
        decimal = "."
    thousands_mark = "." if decimal == "," else ","
    # A comma file's cells hold a comma only when quoted, so "1,234" there is a thousands group.
    thousands = thousands_mark if thousands_mark in grouped or _has_grouped_decimals(text, thousands_mark) else None
    return decimal, thousands


def _has_grouped_decimals(text: str, mark: str) -> bool:
    """Whether a number such as 1,234.5 (mark ',') or 1.234,5 (mark '.') appears in the text."""
    pattern = r"\d{1,3}\.\d{3}(\.\d{3})*,\d" if mark == "." else r"\d{1,3},\d{3}(,\d{3})*\.\d"
    return re.search(pattern, text[:1_000_000]) is not None


def _read_parquet(raw: bytes) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(raw))
    except Exception as error:  # pyarrow raises its own error types for damaged files
        raise DataError(f"This Parquet file could not be read: {error}") from None


def _read_excel(raw: bytes, sheet: str | None) -> TableRead:
    """The first (or the named) sheet of an .xlsx workbook, header in the first row."""
    try:
        workbook = pd.ExcelFile(io.BytesIO(raw), engine="openpyxl")
    except Exception:  # a zip that is not a workbook, or a damaged one
        raise DataError(
            "This looks like a zip archive, not an Excel workbook or a CSV file. "
            "Unpack it, or in Excel use 'Save as' and choose 'CSV UTF-8'."
        ) from None
    sheets = tuple(str(name) for name in workbook.sheet_names)
    if not sheets:
        raise DataError("This Excel workbook has no sheets.")
    chosen = sheets[0] if sheet is None else sheet
    if chosen not in sheets:
        raise DataError(f"This workbook has no sheet '{chosen}'. Its sheets: {', '.join(sheets)}.")
    cells = pd.read_excel(workbook, sheet_name=chosen, header=None)
    if cells.dropna(how="all").empty:
        raise DataError(f"The sheet '{chosen}' is empty.")
    header = ["" if pd.isna(name) else str(name) for name in cells.iloc[0]]
    _check_header(header)
    frame = cells.iloc[1:].reset_index(drop=True)
    frame.columns = [name or f"Unnamed: {i}" for i, name in enumerate(header)]
    # Cells of a sheet come back as objects; let pandas find numbers and dates column by column.
    frame = frame.infer_objects()
    return TableRead(frame, ReadInfo(format="excel", sheet=chosen), sheets)


def _read_bytes(source: str | os.PathLike | bytes | BinaryIO) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as handle:
                return handle.read()
        except FileNotFoundError as error:
            raise DataError(f"There is no file at '{os.fspath(source)}'.") from error
    data = source.read()
    if isinstance(data, str):
        # A text-mode handle: it has been decoded already, so turn it back into the UTF-8 we expect.
        return data.encode("utf-8")
    return data


def _check_not_binary(raw: bytes) -> None:
    head = raw[:8192]
    if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC):
        raise DataError(
            "This looks like an Excel file or a zip archive, not a CSV file. "
            "In Excel, use 'Save as' and choose 'CSV UTF-8'."
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError("This file is saved as UTF-16 text. Save it as 'CSV UTF-8' and try again.")
    if b"\x00" in head:
        raise DataError("This does not look like a CSV file: it contains binary data, not text.")


def _decode_utf8(raw: bytes, skipped: int) -> str:
    """Decode UTF-8; `skipped` bytes (a byte-order mark) were cut off the front of the file."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        # The offset counts from 0 at the start of the file, as hex editors show it.
        raise DataError(
            f"The file is not UTF-8 text: the byte at offset {error.start + skipped} (line {line}) cannot be read. "
            "Save the file as 'CSV UTF-8' and try again."
        ) from error


def _check_looks_like_csv(text: str) -> None:
    start = text.lstrip()[:1]
    if MARKUP_START.match(text):
        raise DataError("This looks like a web page (HTML or XML), not a CSV file.")
    if start in ("{", "["):
        raise DataError("This looks like a JSON file, not a CSV file.")


def _guess_delimiter(text: str) -> str:
    """The delimiter that splits the header and the first rows into the same number (> 1) of cells.

    When no delimiter does that, the file has one column (comma). When two do, the one giving
    more columns wins; a tie is refused because guessing wrong would silently mangle the data.
    """
    sample = [line for line in text.splitlines()[:SNIFF_LINES] if line.strip()]
    sample_text = "\n".join(sample)
    candidates = {}
    for delimiter in DELIMITERS:
        counts = {len(row) for row in csv.reader(io.StringIO(sample_text), delimiter=delimiter) if row}
        if len(counts) == 1 and counts.pop() > 1:
            candidates[delimiter] = len(next(csv.reader(io.StringIO(sample[0]), delimiter=delimiter)))
    if not candidates:
        # Rows may be ragged: fall back to the delimiter most used in the header, and let
        # _check_rows name the bad line.
        header = sample[0]
        used = {d: header.count(d) for d in DELIMITERS if header.count(d) > 0}
        return max(used, key=used.get) if used else ","
    most = max(candidates.values())
    best = [d for d, n in candidates.items() if n == most]
    if len(best) > 1:
        names = " and ".join(DELIMITER_NAMES[d] for d in best)
        raise DataError(
            f"Cannot tell how the columns are separated: both {names} would work. "
            "Save the file with commas between columns."
        )
    return best[0]


def _check_rows(text: str, delimiter: str) -> list[str]:
    """Return the header; raise DataError naming the first line whose cell count differs from it."""
    if '"' not in text and text.count("\r") == text.count("\r\n"):
        return _check_unquoted_rows(text, delimiter)
    rows = checked_rows(io.StringIO(text), delimiter)
    header = next(rows, [])
    for _ in rows:
        pass
    return header


def checked_rows(lines: Iterable[str], delimiter: str) -> Iterator[list[str]]:
    """The non-blank rows of CSV text (`lines`: a text file opened with newline="", or a StringIO), header first,
    one at a time; DataError naming the first line whose cell count differs from the header's."""
    reader = csv.reader(lines, delimiter=delimiter)
    header = None
    for row in reader:
        if not row:  # pandas skips blank lines too
            continue
        if header is None:
            header = row
        elif len(row) != len(header):
            raise DataError(
                f"Line {reader.line_num} has {len(row)} cells but the header has {len(header)} columns "
                f"(columns separated by {DELIMITER_NAMES[delimiter]})."
            )
        yield row


def _check_unquoted_rows(text: str, delimiter: str) -> list[str]:
    """`_check_rows` for text without quotes (each line's cells are its delimiters + 1), counted with numpy
    rather than line by line in Python: a million-row file is checked in a fraction of a second."""
    data = np.frombuffer(text.encode(), dtype=np.uint8)  # "\n" and the delimiter are one byte, in UTF-8 too
    newlines = np.flatnonzero(data == ord("\n"))
    starts = np.concatenate([[0], newlines + 1])
    stops = np.concatenate([newlines, [len(data)]])
    stops = stops - (stops > starts) * (data[np.maximum(stops - 1, 0)] == ord("\r"))  # a "\r\n" ending
    delimiters = np.flatnonzero(data == ord(delimiter))
    cells = np.searchsorted(delimiters, stops) - np.searchsorted(delimiters, starts) + 1
    lines = np.flatnonzero(stops > starts)  # pandas skips blank lines too
    if len(lines) == 0:
        return []
    first = lines[0]
    header = data[starts[first] : stops[first]].tobytes().decode().split(delimiter)
    wrong = lines[cells[lines] != len(header)]
    if len(wrong):
        line = int(wrong[0])
        raise DataError(
            f"Line {line + 1} has {int(cells[line])} cells but the header has {len(header)} columns "
            f"(columns separated by {DELIMITER_NAMES[delimiter]})."
        )
    return header


def _check_header(header: list[str]) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name == "":
            continue  # pandas names blank headers 'Unnamed: 3', which are distinct
        if name in seen:
            raise DataError(
                f"Column '{name}' appears twice in the header (columns {seen[name]} and {position}). "
                "Rename one of them.",
                column=name,
            )
        seen[name] = position
