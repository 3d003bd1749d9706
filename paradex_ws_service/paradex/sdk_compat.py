"""The one place that reaches into paradex-py's private API, and the check that it is the version tested.

The sidecar reads paradex-py's socket with its own receive loop (docs/SIDECAR.md), so replies to the SDK's
own requests (order RPCs, subscription acks) must be handed back to it, and ``set_leverage`` needs an
authorized POST the SDK has no public method for. Those touch three private names:
``ParadexWebsocketClient._pending_requests`` and ``._check_subscribed_channel``, and
``ParadexApiClient._post_authorized``. Private names change without notice, so this module refuses to load
with any paradex-py but the one tested (``TESTED_VERSION``), with a message saying what to install, instead
of failing later on an order.

It is also how the SDK's streaming modules are imported: ``paradex_py/__init__.py`` imports the whole
facade (starknet_py, sympy, eth libraries: ≈1 s, most of the sidecar's start-up), and ``ws_client`` imports
the account and order modules for type annotations only. A market-data stream needs neither, so
:func:`_load_stream_modules` imports ``paradex_py.api.ws_client`` and ``paradex_py.api.sbe`` without the
package ``__init__`` and with placeholders for those annotation-only names (removed right after, so the real
modules load normally when trading needs them). This relies on the tested version's imports, which the
version check pins.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
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

# Modules ws_client imports only for its type annotations (paradex-py 0.8.2) → the names it takes from them.
_ANNOTATION_ONLY = {
    "paradex_py.account.account": ("ParadexAccount",),
    "paradex_py.common.order": ("Order",),
    "paradex_py.api.protocols": ("Signer",),
}


def _load_stream_modules() -> None:
    """Import ``paradex_py.api.ws_client`` and ``paradex_py.api.sbe`` without what a stream does not use."""
    if "paradex_py.api.ws_client" in sys.modules and "paradex_py.api.sbe" in sys.modules:
        return
    if "paradex_py" not in sys.modules:
        spec = importlib.util.find_spec("paradex_py")
        assert spec is not None and spec.submodule_search_locations is not None
        package = types.ModuleType("paradex_py", "paradex-py, its package __init__ (the facade) not run")
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        package.__file__ = spec.origin
        sys.modules["paradex_py"] = package
    placeholders: dict[str, types.ModuleType] = {}
    for name, attrs in _ANNOTATION_ONLY.items():
        if name not in sys.modules:
            stub = types.ModuleType(name, "placeholder while paradex_py.api.ws_client is imported")
            for attr in attrs:
                setattr(stub, attr, type(attr, (), {"__module__": name}))
            placeholders[name] = sys.modules[name] = stub
    try:
        importlib.import_module("paradex_py.api.ws_client")
        importlib.import_module("paradex_py.api.sbe")
    finally:
        for name, stub in placeholders.items():
            if sys.modules.get(name) is stub:
                del sys.modules[name]


_load_stream_modules()

from paradex_py.api.sbe import decode_frame  # noqa: E402
from paradex_py.api.ws_client import ParadexWebsocketClient, WsRpcError  # noqa: E402

__all__ = [
    "TESTED_VERSION",
    "ParadexWebsocketClient",
    "SdkVersionError",
    "WsRpcError",
    "check_version",
    "decode_frame",
    "deliver_response",
    "is_pending_request",
    "post_authorized",
]


def is_pending_request(client: Any, msg_id: Any) -> bool:
    """Whether a reply's ``id`` belongs to a request the SDK is awaiting (an order RPC)."""
    return msg_id in client._pending_requests


def deliver_response(client: Any, msg: dict[str, Any]) -> None:
    """Hand a reply to the SDK: it resolves its awaiting request or records a subscription ack."""
    client._check_subscribed_channel(msg)


def post_authorized(api: Any, path: str, body: dict[str, Any]) -> Any:
    """``POST {path}`` with the account's JWT (blocking; call through ``asyncio.to_thread``)."""
    return api._post_authorized(path, body)
