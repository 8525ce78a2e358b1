"""The one exception type the toolchain raises for problems a user can fix.

The CLI prints its message (never a traceback) and exits with `exit_code`.
"""

from __future__ import annotations


class SNN2FPGAError(Exception):
    """A user-facing error: the message names the problem and what to do about it."""

    exit_code: int = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class VerificationError(SNN2FPGAError):
    """Two stages disagreed, or the state saturated where the user did not allow it."""

    exit_code = 3

    def __init__(self, message: str, summary: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.summary = summary or {}
