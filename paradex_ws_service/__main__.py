"""``python -m paradex_ws_service``: the same entry point as the ``paradex-ws`` console script."""

from paradex_ws_service.entry import main

main()
