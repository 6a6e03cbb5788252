"""Errors a user can cause. The CLI prints them as one line and exits with status 2."""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """Something the user can fix: a bad file, a bad setting, a missing workspace."""

    exit_code = 2


class BadInput(UserError):
    """A file that cannot be read as what it claims to be. Names the file, line and field."""

    def __init__(
        self, file: str | Path, message: str, *, line: int | None = None, field: str | None = None
    ):
        self.file = str(file)
        self.line = line
        self.field = field
        self.reason = message
        where = self.file if line is None else f"{self.file}:{line}"
        what = f"field '{field}': " if field else ""
        super().__init__(f"{where}: {what}{message}")


class WorkspaceMissing(UserError):
    def __init__(self, path: Path):
        super().__init__(f"no storeops workspace at {path} (create one with: storeops init {path})")


class WorkspaceBusy(UserError):
    """Another process holds the warehouse for writing longer than we were willing to wait."""
