"""The service bag of one run (built by app.py, used by the trading wiring) and the start-up refusal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from paradex_ws_service.commands import Dispatcher
from paradex_ws_service.config import Config
from paradex_ws_service.paradex.feed import Feed
from paradex_ws_service.recorder import Recorder
from paradex_ws_service.stats import Stats
from paradex_ws_service.supervisor import Supervisor
from paradex_ws_service.writer import Writer


class StartupError(Exception):
    """Refuse to start: reported as one ``error`` event, then ``status closed`` and ``exit_code``."""

    def __init__(self, code: str, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.exit_code = exit_code


@dataclass
class Services:
    """Everything the trading wiring uses; built once per run."""

    config: Config
    emit: Callable[[dict[str, Any]], None]
    stats: Stats
    writer: Writer
    feed: Feed
    supervisor: Supervisor
    dispatcher: Dispatcher
    request_shutdown: Callable[[str], None]
    ws_url: str | None
    rest_url: str | None
    markets_meta: dict[str, dict[str, Any]] = field(default_factory=dict)  # symbol → GET /markets entry
    recorder: Recorder | None = None
    # monotonic time of the last private event (order, fill, position, account): the end of stdin waits
    # until they have been quiet for a moment, so a piped `place` gets its own events before the exit
    last_private_event: float = 0.0
