"""One validation path for every setting, whatever its source: flag, environment, ``.env.paradex``, default.

Each setting is declared once (flag, environment variable, parser, default). The parser is the only check:
argparse applies it to the flag, :meth:`Settings.resolve` applies it to the environment value when no flag
was given, and to the default. A bad value exits 2 with a message naming where it came from and what is
valid (``PARADEX_ENV='simm' (from .env.paradex): must be one of prod, testnet, nightly, sim``), never
with a traceback.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

Parse = Callable[[str], Any]

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


# ------------------------------------------------------------------------------------------------------
# value parsers: str → value, or ValueError whose text says what is valid
# ------------------------------------------------------------------------------------------------------


def choice(values: Collection[str], fold: Callable[[str], str] = str.strip) -> Parse:
    """One of ``values`` (after ``fold``, e.g. ``str.upper`` for log levels)."""
    valid = tuple(values)

    def parse(text: str) -> str:
        value = fold(text.strip())
        if value not in valid:
            raise ValueError(f"must be one of {', '.join(valid)}")
        return value

    parse.__name__ = "choice"
    return parse


def boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"must be a boolean: one of {', '.join(TRUE + FALSE)}")


def positive_float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ValueError("must be a number of seconds > 0 (e.g. 10 or 2.5)") from None
    if not number > 0 or number == float("inf"):
        raise ValueError("must be a number of seconds > 0 (e.g. 10 or 2.5)")
    return number


def seconds_upto(limit: float) -> Parse:
    def parse(text: str) -> float:
        try:
            number = float(text)
        except ValueError:
            number = -1.0
        if not 0 < number <= limit:
            raise ValueError(f"must be a number of seconds in (0, {limit:g}]")
        return number

    parse.__name__ = "seconds"
    return parse


def positive_decimal(text: str) -> Decimal:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        number = Decimal(-1)
    if not number.is_finite() or number <= 0:
        raise ValueError("must be a positive decimal (e.g. 1000 or 250.5)")
    return number


def integer(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("must be an integer") from None


def csv(item: Parse | None = None) -> Parse:
    """Comma-separated, duplicates dropped, at least one item; ``item`` checks each one."""

    def parse(text: str) -> tuple[Any, ...]:
        items = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
        if not items:
            raise ValueError("must list at least one item (comma-separated)")
        return tuple(item(v) for v in items) if item is not None else items

    parse.__name__ = "list"
    return parse


def url(schemes: Collection[str]) -> Parse:
    def parse(text: str) -> str:
        value = text.strip()
        if "://" not in value or value.split("://", 1)[0] not in schemes or not value.split("://", 1)[1]:
            raise ValueError(f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
        return value

    parse.__name__ = "url"
    return parse


# ------------------------------------------------------------------------------------------------------
# the registry
# ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    dest: str
    flag: str
    env: str | None
    parse: Parse
    default: str | None  # as a user would write it; None: unset
    help: str
    metavar: str | None = None
    boolean: bool = False  # --flag / --no-flag


class Settings:
    """The settings of one parser; ``add`` registers a flag, ``resolve`` fills what no flag gave."""

    def __init__(self) -> None:
        self.items: list[Setting] = []

    def add(self, group: argparse._ActionsContainer, setting: Setting) -> None:
        self.items.append(setting)
        parts = [setting.help]
        if setting.default is not None:
            parts.append(f"default: {setting.default}")
        elif "default:" not in setting.help:
            parts.append("default: none")
        if setting.env:
            parts.append(f"env {setting.env}")
        text = f"{parts[0]} ({'; '.join(parts[1:])})" if len(parts) > 1 else parts[0]
        text = text.replace("%", "%%")  # argparse formats help with %
        if setting.boolean:
            group.add_argument(
                setting.flag,
                dest=setting.dest,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=text,
            )
            return
        group.add_argument(
            setting.flag,
            dest=setting.dest,
            type=_argtype(setting.parse),
            default=None,
            metavar=setting.metavar,
            help=text,
        )

    def resolve(
        self,
        parser: argparse.ArgumentParser,
        args: argparse.Namespace,
        environ: Mapping[str, str],
        from_file: Collection[str] = (),
        file_name: str = ".env.paradex",
    ) -> None:
        """Give every setting no flag set its environment value, else its default, through its parser."""
        for s in self.items:
            if getattr(args, s.dest) is not None:
                continue
            raw = environ.get(s.env, "") if s.env else ""
            if raw.strip():
                try:
                    value = s.parse(raw)
                except ValueError as exc:
                    where = f" (from {file_name})" if s.env in from_file else ""
                    parser.error(f"{s.env}={raw!r}{where}: {exc}")
                setattr(args, s.dest, value)
            else:
                setattr(args, s.dest, s.parse(s.default) if s.default is not None else None)


def _argtype(parse: Parse) -> Parse:
    """argparse's ``type``: the same parser, its ValueError turned into a usage error naming the flag."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert
