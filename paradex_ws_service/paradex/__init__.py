"""The Paradex venue adapter: the only code that imports paradex_py (channels, feed, normalize, book)."""
