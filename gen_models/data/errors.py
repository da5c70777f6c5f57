"""The one exception type raised for problems with the user's data."""

from __future__ import annotations


class DataError(ValueError):
    """A problem with the user's data, explained for someone who is not a programmer.

    The message names the column and row where that helps the user find the problem.
    `column` and `row` repeat them for code (the app highlights them); `row` counts data
    rows from 1, not counting the header, the way a person reads a table.
    """

    def __init__(self, message: str, column: str | None = None, row: int | None = None):
        super().__init__(message)
        self.message = message
        self.column = column
        self.row = row

    def __str__(self) -> str:
        return self.message
