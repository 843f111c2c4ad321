"""Money follows sales documents: an approved invoice or return posts to the identity's
ledger inside the approval transaction; an edit after approval ("unapproved") or a
cancellation reverses it. A cancellation of an invoice with payments allocated to it is
refused (the error rolls the cancellation back)."""

from __future__ import annotations

from typing import Any

from crm.finance.services import document_posted, document_unposted
from crm.sales.events import on_document


def _approved(*, document: Any, actor: Any) -> None:
    document_posted(document=document, actor=actor)


def _unapproved(*, document: Any, actor: Any) -> None:
    document_unposted(document=document, actor=actor)


def _cancelled(*, document: Any, actor: Any) -> None:
    document_unposted(document=document, actor=actor, cancelling=True)


on_document("approved", _approved)
on_document("unapproved", _unapproved)
on_document("cancelled", _cancelled)
