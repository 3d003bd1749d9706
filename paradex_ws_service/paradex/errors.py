"""The adapter's one error type: what the Paradex side refused or could not do, with a stable code.

The adapter knows nothing of stdin commands; the command layer turns a :class:`ParadexError` into the
command's ``result ok:false`` (codes are the protocol's, see protocol.py and docs/PROTOCOL.md).
"""

from __future__ import annotations


class ParadexError(Exception):
    """A refusal or failure on the Paradex side: ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
