"""The customer's page for a document sent to them: view, approve, reject (signed link).

No staff login: the link carries the document's random public token signed with the
site's key (`documents.customer_link_token`); a token that does not verify, or a cancelled
document, is a 404. The customer answers once (`documents.customer_respond`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from crm.core.errors import ApplicationError
from crm.sales import documents
from crm.sales.document_selectors import document_by_token
from crm.sales.models import Document


def _document(token: str) -> Document:
    public = documents.customer_link_unsign(token)
    document = document_by_token(token=public) if public else None
    if document is None or document.status not in (Document.Status.APPROVED,):
        raise Http404
    return document


def _page(request: HttpRequest, document: Document, token: str) -> str:
    from crm.sales.printing import document_html

    html = document_html(document, user=None, language=get_language())
    expired = bool(document.valid_until and document.valid_until < timezone.localdate())
    panel = render_to_string(
        "sales/customer/answer.html",
        {"document": document, "token": token, "expired": expired, "messages": messages.get_messages(request)},
        request=request,
    )
    at = html.lower().rfind("</body>")
    return html[:at] + panel + html[at:] if at >= 0 else html + panel


@never_cache
def customer_document(request: HttpRequest, token: str) -> HttpResponse:
    document = _document(token)
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer not in ("accept", "decline"):
            messages.error(request, _("Choose to accept or decline."))
        else:
            try:
                documents.customer_respond(
                    token=document.public_token, accept=answer == "accept", note=request.POST.get("note", "")
                )
                messages.success(request, _("Thank you, your answer was recorded."))
            except ApplicationError as exc:
                messages.error(request, exc.message)
        return redirect("sales_public:customer_document", token=token)
    response = HttpResponse(_page(request, document, token))
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


urlpatterns = [path("<str:token>/", customer_document, name="customer_document")]
