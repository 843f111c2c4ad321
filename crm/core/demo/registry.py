"""Demo data: each context registers a loader; `manage.py load_demo` runs them in order once."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DemoLoader:
    key: str
    order: int
    load: Callable[[Any], None]  # receives a random.Random


_loaders: dict[str, DemoLoader] = {}


def register_demo_loader(key: str, order: int, load: Callable[[Any], None]) -> None:
    _loaders[key] = DemoLoader(key, order, load)


def demo_loaders() -> list[DemoLoader]:
    return sorted(_loaders.values(), key=lambda loader: loader.order)


@cache
def vocabulary() -> dict[str, Any]:
    """Realistic names, cities, phone prefixes and products for demo and benchmark data."""
    return json.loads((Path(__file__).resolve().parent.parent / "data" / "vocabulary.json").read_text("utf-8"))
