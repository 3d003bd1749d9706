"""``--standby``: a warm sidecar for a supervising bridge waits for ``go`` before it says anything."""

from __future__ import annotations

from collections.abc import Callable

from conftest import Sidecar, SimProcess, sidecar_args


def test_standby_starts_on_go_and_loses_no_byte_after_it(
    sim: SimProcess, start_sidecar: Callable[..., Sidecar]
) -> None:
    car = start_sidecar(*sidecar_args(sim, "--channels", "bbo"), "--standby")
    # "go" and a command in one write: the stdin reader that starts after "go" must still get the command.
    car.send(b'go\n{"id": "after-go", "op": "ping"}\n')
    assert car.expect_type("hello", timeout=120)["type"] == "hello"
    assert car.expect(lambda e: e.get("type") == "result" and e.get("id") == "after-go", timeout=60)["ok"]
    car.expect_type("bbo", timeout=60)


def test_standby_without_go_exits_0_quietly_on_stdin_eof(
    sim: SimProcess, start_sidecar: Callable[..., Sidecar]
) -> None:
    car = start_sidecar(*sidecar_args(sim, "--channels", "bbo"), "--standby")
    car.close_stdin()
    assert car.wait_exit(timeout=120) == 0
    assert car.lines == []
