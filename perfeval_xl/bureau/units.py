"""One name, one unit: unit names compared as people mean them, not as they were typed.

岳阳市住房保障服务中心 and the same name with a trailing full-width space, a space in the middle,
full-width letters or digits are one unit. Matching the roster, the registry and duplicates goes
through ``normalise``; the normalised form is shown wherever it differs from what was typed.
"""
from __future__ import annotations

import unicodedata

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))  # zero-width characters


def normalise(name: object) -> str:
    """NFKC (全角 → 半角, the ideographic space → a space), then every whitespace of any width
    and every zero-width character removed: unit names are Chinese, spaces in them are slips."""
    text = unicodedata.normalize("NFKC", "" if name is None else str(name)).translate(_INVISIBLE)
    return "".join(text.split())


def normalised_registry(registry: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
    """The registry keyed by normalised names (keys of two spellings of one unit merged)."""
    if registry is None:
        return None
    out: dict[str, list[str]] = {}
    for name, keys in registry.items():
        out.setdefault(normalise(name), []).extend(keys)
    return out
