"""Reading a user's CSV file, with a clear message for each way it can go wrong.

pandas accepts a lot of broken input silently (it renames a duplicate column 'a' to 'a.1',
pads short rows with empty cells, reads a ';'-separated file as one column). Here we check the
raw text first, so the user hears what is wrong and on which line.
"""

from __future__ import annotations

import csv
import io
import os
from typing import BinaryIO

import pandas as pd

from gen_models.data.errors import DataError

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "'|' characters"}
# Lines looked at when guessing the delimiter.
SNIFF_LINES = 50
UTF8_BOM = b"\xef\xbb\xbf"


def read_csv(source: str | os.PathLike | bytes | BinaryIO) -> pd.DataFrame:
    """Read a CSV file (path, raw bytes or binary file object) into a raw DataFrame.

    The delimiter is guessed among , ; tab and |. A UTF-8 byte-order mark is accepted.
    Raises DataError for an empty file, text that is not UTF-8, content that is not CSV
    (binary, a spreadsheet, HTML, JSON), duplicate column names or rows with the wrong number
    of cells. Line numbers in messages are lines of the file, the header being line 1.
    """
    raw = _read_bytes(source)
    skipped = 0
    if raw.startswith(UTF8_BOM):
        skipped = len(UTF8_BOM)
        raw = raw[skipped:]
    if not raw.strip():
        raise DataError("The file is empty.")
    _check_not_binary(raw)
    text = _decode_utf8(raw, skipped)
    _check_looks_like_csv(text)

    delimiter = _guess_delimiter(text)
    header = _check_rows(text, delimiter)
    _check_header(header)
    try:
        return pd.read_csv(io.StringIO(text), sep=delimiter)
    except (pd.errors.ParserError, ValueError) as error:
        raise DataError(f"The file could not be read as a table: {error}") from error


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
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
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
    if start == "<":
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
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = None
    for row in reader:
        if not row:  # pandas skips blank lines too
            continue
        if header is None:
            header = row
            continue
        if len(row) != len(header):
            raise DataError(
                f"Line {reader.line_num} has {len(row)} cells but the header has {len(header)} columns "
                f"(columns separated by {DELIMITER_NAMES[delimiter]})."
            )
    return header or []


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
