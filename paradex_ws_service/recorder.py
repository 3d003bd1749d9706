"""``--record FILE``: every raw WebSocket frame the sidecar receives, with its receive time, one line each.

The format is the one public Paradex captures use (FueledByChai/fueledbychai-rs ``fixtures/paradex/md``):
``{"t_ns": <receive time, ns>, "opcode": "text", "text": <frame>}`` or ``{"t_ns": …, "opcode": "binary",
"b64": <SBE bytes, base64>}``, after one header line without ``opcode`` that says what was recorded
(``{"recording": "paradex-ws", "version": 1, "env", "sbe", "markets", "channels", "started_ns"}``).
``paradex-sim --replay FILE`` serves such a file to a client, so a session captured on testnet or prod becomes
a regression test.

Secrets: only received frames are recorded, never what the sidecar sends (``auth`` carries the JWT). The
answer to ``auth`` is left out too, and anything shaped like a JWT or a bearer header in a text frame is
masked, should a venue ever echo one.

Cost: the receive loop calls ``write`` only when recording (one ``is None`` test per frame otherwise); a write
is a dict, an orjson dump and a buffered file write, flushed every ``FLUSH_EVERY`` frames and at close.
"""

from __future__ import annotations

import base64
import logging
import time
from typing import IO, Any

import orjson

from paradex_ws_service.paradex.redact import SecretRedactor

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
FLUSH_EVERY = 256


class Recorder:
    """Append-only writer of one recording file."""

    def __init__(self, stream: IO[bytes], header: dict[str, Any]) -> None:
        self._stream = stream
        self._pending = 0
        self.frames = 0
        self.closed = False
        self._redactor = SecretRedactor()
        self._write(
            {"recording": "paradex-ws", "version": FORMAT_VERSION, "started_ns": time.time_ns(), **header}
        )

    @classmethod
    def open(cls, path: str, header: dict[str, Any]) -> Recorder:
        """Create (truncate) ``path``; raises ``OSError`` when it cannot be written."""
        return cls(open(path, "wb", buffering=1 << 16), header)

    def write(self, raw: str | bytes, recv_us: int) -> None:
        """One received frame (the feed's hook); never raises into the receive loop."""
        if self.closed:
            return
        try:
            if isinstance(raw, str):
                if '"node_id"' in raw:  # the answer to `auth`: nothing a replay needs
                    return
                if "eyJ" in raw or "earer" in raw:
                    raw = self._redactor.redact(raw)
                line = {"t_ns": recv_us * 1000, "opcode": "text", "text": raw}
            else:
                line = {"t_ns": recv_us * 1000, "opcode": "binary", "b64": base64.b64encode(raw).decode()}
            self._write(line)
            self.frames += 1
            self._pending += 1
            if self._pending >= FLUSH_EVERY:
                self._stream.flush()
                self._pending = 0
        except (OSError, ValueError) as exc:  # disk full, closed file: stop recording, keep streaming
            log.error("recording stopped: %s", exc)
            self.close()

    def _write(self, obj: dict[str, Any]) -> None:
        self._stream.write(orjson.dumps(obj) + b"\n")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._stream.close()
        except OSError as exc:
            log.error("closing the recording failed: %s", exc)
        log.info("recorded %d frame(s)", self.frames)
