"""The layering rules of the sidecar, checked on its source: who may import paradex-py, who may touch the
SDK's private names, and that the adapter knows nothing of stdin commands; and the SDK version check."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from paradex_ws_service.paradex import sdk_compat

PACKAGE = Path(__file__).resolve().parent.parent / "paradex_ws_service"
ADAPTER = PACKAGE / "paradex"
SDK_PRIVATE = ("_pending_requests", "_check_subscribed_channel", "_post_authorized")
COMMAND_LAYER = (
    "paradex_ws_service.commands",
    "paradex_ws_service.order_params",
    "paradex_ws_service.trading",
)


def _sources(root: Path) -> list[Path]:
    """The sidecar's modules (the simulator is a separate program with its own rules)."""
    return [f for f in root.rglob("*.py") if "sim" not in f.relative_to(PACKAGE).parts]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_adapter_imports_paradex_py() -> None:
    outside = [f for f in _sources(PACKAGE) if ADAPTER not in f.parents]
    offenders = [
        f"{f.relative_to(PACKAGE)}: {name}"
        for f in outside
        for name in _imports(f)
        if name == "paradex_py" or name.startswith("paradex_py.")
    ]
    assert not offenders


def test_the_adapter_does_not_import_the_command_layer() -> None:
    offenders = [
        f"{f.relative_to(PACKAGE)}: {name}"
        for f in _sources(ADAPTER)
        for name in _imports(f)
        if name.startswith(COMMAND_LAYER)
    ]
    assert not offenders


def test_sdk_private_names_are_used_only_in_sdk_compat() -> None:
    offenders = [
        f"{f.relative_to(PACKAGE)}: {name}"
        for f in _sources(PACKAGE)
        if f.name != "sdk_compat.py"
        for name in SDK_PRIVATE
        if name in f.read_text()
    ]
    assert not offenders


def test_sdk_version_check_names_the_tested_version() -> None:
    sdk_compat.check_version(sdk_compat.TESTED_VERSION)
    for other in ("0.8.3", "0.9.0", None):
        with pytest.raises(sdk_compat.SdkVersionError) as info:
            sdk_compat.check_version(other)
        assert f"paradex-py=={sdk_compat.TESTED_VERSION}" in str(info.value)


def test_a_market_data_start_imports_no_account_or_signing_code() -> None:
    """What the CLI imports before its first bbo (app, and trading's install for public channels): not
    paradex-py's facade (starknet_py, sympy, eth libraries), its account code or the signer."""
    import subprocess
    import sys

    heavy = (
        "starknet_py",
        "sympy",
        "eth_account",
        "paradex_py.account.account",
        "fast_stark_crypto",
        "aiohttp",
    )
    code = (
        "import sys, paradex_ws_service.app, paradex_ws_service.trading; "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_stream_modules_load_without_the_facade_then_the_account_code_loads_normally() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from paradex_ws_service.paradex import sdk_compat\n"
        "assert 'starknet_py' not in sys.modules and 'paradex_py.account.account' not in sys.modules\n"
        "from paradex_py.account.account import ParadexAccount\n"
        "from paradex_py.common.order import Order\n"
        "assert ParadexAccount.__module__ == 'paradex_py.account.account'\n"
        "assert hasattr(ParadexAccount, 'auth_headers')  # the real class, not the placeholder\n"
        "assert hasattr(Order, 'dump_to_dict')\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stdout + out.stderr
