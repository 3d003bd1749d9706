"""The one place that reaches into paradex-py's private API, and the check that it is the version tested.

The sidecar reads paradex-py's socket with its own receive loop (docs/SIDECAR.md), so replies to the SDK's
own requests (order RPCs, subscription acks) must be handed back to it, and ``set_leverage`` needs an
authorized POST the SDK has no public method for. Those touch three private names:
``ParadexWebsocketClient._pending_requests`` and ``._check_subscribed_channel``, and
``ParadexApiClient._post_authorized``. Private names change without notice, so this module refuses to load
with any paradex-py but the one tested (``TESTED_VERSION``), with a message saying what to install, instead
of failing later on an order.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

TESTED_VERSION = "0.8.2"


class SdkVersionError(ImportError):
    """The installed paradex-py is not the version this adapter was tested with."""


def check_version(installed: str | None) -> None:
    """Raise :class:`SdkVersionError` unless ``installed`` is the tested version."""
    if installed != TESTED_VERSION:
        found = f"paradex-py {installed} is installed" if installed else "paradex-py is not installed"
        raise SdkVersionError(
            f"{found}, but this sidecar is tested with paradex-py {TESTED_VERSION} only (it uses private "
            f"parts of the SDK): pip install 'paradex-py=={TESTED_VERSION}'"
        )


def _installed() -> str | None:
    try:
        return version("paradex-py")
    except PackageNotFoundError:
        return None


check_version(_installed())


def is_pending_request(client: Any, msg_id: Any) -> bool:
    """Whether a reply's ``id`` belongs to a request the SDK is awaiting (an order RPC)."""
    return msg_id in client._pending_requests


def deliver_response(client: Any, msg: dict[str, Any]) -> None:
    """Hand a reply to the SDK: it resolves its awaiting request or records a subscription ack."""
    client._check_subscribed_channel(msg)


def post_authorized(api: Any, path: str, body: dict[str, Any]) -> Any:
    """``POST {path}`` with the account's JWT (blocking; call through ``asyncio.to_thread``)."""
    return api._post_authorized(path, body)
