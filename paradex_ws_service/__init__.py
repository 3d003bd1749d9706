"""Paradex market data, account events and orders as NDJSON on stdio, on top of paradex-py."""

__version__ = "0.1.0"
