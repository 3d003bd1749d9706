"""Run a module as ``python -m MODULE …`` would, with ``fast_stark_crypto`` made unimportable.

The order signer then takes its fallback backend (``starknet_crypto_py``): how ``place_latency.py`` measures
place → wire on both backends in one run. Usage: ``python bench/without_native.py MODULE [ARGS…]``.
"""

from __future__ import annotations

import runpy
import sys

if __name__ == "__main__":
    sys.modules["fast_stark_crypto"] = None  # type: ignore[assignment]  # `import` now raises ImportError
    module, sys.argv = sys.argv[1], [sys.argv[1], *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
