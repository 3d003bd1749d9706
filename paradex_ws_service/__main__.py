"""``python -m paradex_ws_service``: the same entry point as the ``paradex-ws`` console script."""

import sys

from paradex_ws_service.cli import main

sys.exit(main())
