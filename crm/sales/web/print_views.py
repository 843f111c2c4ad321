"""Printing documents (SL-6): the HTML preview in the browser and the PDF download, both
only for documents the user may see (404 otherwise, like every document page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import path

from crm.sales.document_selectors import document_get_for_user
from crm.sales.models import Document
from crm.sales.printing import document_html, document_pdf


def _document_or_404(request: HttpRequest, pk: int) -> Document:
    document = document_get_for_user(user=request.user, pk=pk)
    if document is None:
        raise Http404
    return document


def _filename(document: Document) -> str:
    name = f"{document.kind}-{document.number or document.pk}"
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in name) + ".pdf"


def _with_toolbar(html: str, toolbar: str) -> str:
    """The preview's toolbar (screen only) right after the document's <body> tag."""
    lowered = html.lower()
    body = lowered.find("<body")
    end = lowered.find(">", body) if body >= 0 else -1
    if end < 0:
        return toolbar + html
    return html[: end + 1] + toolbar + html[end + 1 :]


@login_required
def document_print(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document_or_404(request, pk)
    html = document_html(document, user=request.user)
    toolbar = render_to_string("sales/print/toolbar.html", {"document": document}, request=request)
    response = HttpResponse(_with_toolbar(html, toolbar))
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
def document_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document_or_404(request, pk)
    response = HttpResponse(document_pdf(document, user=request.user), content_type="application/pdf")
    disposition = "inline" if request.GET.get("inline") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{_filename(document)}"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    # not under documents/<pk>/…: the documents' own pages route documents/<pk>/<action>/
    path("print/<int:pk>/", document_print, name="document_print"),
    path("print/<int:pk>/pdf/", document_pdf_download, name="document_pdf"),
]
