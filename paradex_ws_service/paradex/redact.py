"""Keeping secrets out of logs: a logging filter that masks keys, JWTs and bearer headers.

Its own module (no paradex-py import) so that it is installed at start even when the account code is only
imported later, on the first command that needs it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import traceback

_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[^\s'\"]+")
REDACTED = "<redacted>"


class SecretRedactor(logging.Filter):
    """A logging filter (on the root handlers) that rewrites every record with secrets masked.

    Known secrets (private keys in hex and decimal, every JWT we receive) are replaced wherever they occur,
    and anything shaped like a JWT or a bearer header is masked too. Tracebacks are formatted here and
    masked as text, because paradex-py logs full tracebacks at ERROR level (reference §14.6).
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, *values: str) -> None:
        for value in values:
            if value and len(value) >= 8:
                self._secrets.add(value)
                if value.lower().startswith("0x"):
                    self._secrets.add(value[2:])
                    with contextlib.suppress(ValueError):
                        self._secrets.add(str(int(value, 16)))

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        text = _JWT_RE.sub(REDACTED, text)
        return _BEARER_RE.sub(lambda m: m.group(1) + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        if record.exc_info:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
            record.exc_info = None
        if record.exc_text:
            message += "\n" + record.exc_text
            record.exc_text = None
        if record.stack_info:
            message += "\n" + record.stack_info
            record.stack_info = None
        record.msg = self.redact(message)
        record.args = ()
        return True

    def install(self) -> None:
        """Attach to every handler of the root logger (where all records end up)."""
        root = logging.getLogger()
        for handler in root.handlers:
            if self not in handler.filters:
                handler.addFilter(self)
