"""What other contexts hear from sales, inside the same transaction.

Stock (crm.inventory) and money (crm.finance) sit above sales: they register handlers
here in their AppConfig.ready(); sales calls them and never imports them. A handler that
raises (e.g. `crm.sales.errors.SalesError` for "not enough stock") rolls the approval
back with its message."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# document approved / reopened (approval withdrawn by an edit) / cancelled
DocumentHandler = Callable[..., None]  # handler(*, document, actor) -> None
# extra facts for document lines shown in the form and on the page (e.g. stock on hand)
LineInfo = Callable[..., dict[int, str]]  # provider(*, document, lines) -> {line id: text}

_handlers: dict[str, list[DocumentHandler]] = {"approved": [], "unapproved": [], "cancelled": []}
_line_info: list[LineInfo] = []


def on_document(event: str, handler: DocumentHandler) -> DocumentHandler:
    _handlers[event].append(handler)
    return handler


def document_event(event: str, *, document: Any, actor: Any) -> None:
    for handler in _handlers[event]:
        handler(document=document, actor=actor)


def register_line_info(provider: LineInfo) -> LineInfo:
    _line_info.append(provider)
    return provider


def line_info(*, document: Any, lines: Iterable[Any]) -> dict[int, list[str]]:
    lines = list(lines)
    out: dict[int, list[str]] = {}
    for provider in _line_info:
        for line_id, text in provider(document=document, lines=lines).items():
            out.setdefault(line_id, []).append(text)
    return out
