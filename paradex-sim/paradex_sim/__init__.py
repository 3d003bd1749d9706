"""A faithful local Paradex exchange for tests and `paradex-ws --env sim`: WebSocket JSON-RPC (JSON and
SBE), the public REST subset, a seeded market, fault injection and a seam for the trading extension.

    server = SimServer(SimConfig(seed=1))
    await server.start()          # server.ws_url, server.rest_url, server.control_url
    await server.stop()
"""

from .auth import AuthedAccount, JsonRpcError, mint_unsigned_jwt
from .server import Connection, SimConfig, SimServer

__all__ = ["AuthedAccount", "Connection", "JsonRpcError", "SimConfig", "SimServer", "mint_unsigned_jwt"]
