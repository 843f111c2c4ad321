"""Printing sales documents (SL-6): HTML for the browser preview and the customer page,
PDF through WeasyPrint.

Templates. Each document type prints through `sales/print/<direction>_<kind>.html` if such
a file exists, else `sales/print/document.html`, unless the admin edited the type's
`DocumentSettings.print_template` (HTML) — `print_css` is added after the default style
either way. Every template, shipped or edited, is rendered by a SANDBOXED Django template
engine: no template loaders (no include/extends), no `{% load %}` beyond the built-in
i18n tags, no `debug`/`url`/`csrf_token`, no `safe`/`autoescape off` (autoescape is always
on), and a context of plain strings, numbers, lists and dicts only — never model
instances — so a template can reach nothing but what `print_context` gives it (its
docstring lists the variables); start an edited template from a copy of
`default_print_template()` and check it with `print_template_check()` before saving.

Language. The viewer's language (their profile, else the active one): fa prints right to
left in Vazirmatn with Persian digits, ٬ separators and Jalali dates; en/uk left to right
in the user's calendar. Totals are also given in words (`crm.core.i18n.numwords`).

PDF. WeasyPrint with a URL fetcher that serves only the vendored fonts (in
`crm/sales/static/sales/fonts`, so PDFs never depend on node_modules) and data: URLs;
the logo and the approver's signature are embedded as data: URLs. Nothing is fetched
from the network.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template import (
    Context,
    Engine,
    Library,
    TemplateDoesNotExist,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import Node
from django.template.loader import get_template
from django.templatetags import i18n as i18n_tags
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from crm.core.dictionaries.models import DictionaryEntry
from crm.core.i18n.calendars import calendar_override, default_calendar_for
from crm.core.i18n.digits import localize_digits
from crm.core.i18n.formatting import format_date, format_datetime, format_number
from crm.core.i18n.numwords import amount_in_words
from crm.identities.models import Identity
from crm.identities.phones import display_phone
from crm.sales.models import Direction, Document, DocumentLine, DocumentSettings, Kind, Signature

log = logging.getLogger(__name__)
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # no step-by-step chatter

FONTS_DIR = Path(__file__).resolve().parent / "static" / "sales" / "fonts"
FONT_FILES = {"regular": "Vazirmatn-Regular.ttf", "bold": "Vazirmatn-Bold.ttf"}
MAX_EMBEDDED_IMAGE = 1024 * 1024  # logo / signature bigger than this are left out
COMPANY_DICTIONARY = "company"  # entries: name, address, phone, economic_code, registration_id
DEFAULT_TEMPLATE = "sales/print/document.html"
DEFAULT_CSS = "sales/print/document.css"


# --- the sandbox ------------------------------------------------------------------------------

SAFE_TAGS = (
    "comment",
    "cycle",
    "filter",
    "firstof",
    "for",
    "if",
    "ifchanged",
    "lorem",
    "now",
    "regroup",
    "resetcycle",
    "spaceless",
    "templatetag",
    "verbatim",
    "widthratio",
    "with",
)
UNSAFE_FILTERS = {"safe", "safeseq", "pprint"}
I18N_TAGS = ("translate", "trans", "blocktranslate", "blocktrans")


class _NoOp(Node):
    def render(self, context: Context) -> str:
        return ""


def _load(parser: Any, token: Any) -> Node:
    """`{% load i18n %}` is accepted (and does nothing: i18n is built in); nothing else."""
    names = token.split_contents()[1:]
    if any(name != "i18n" for name in names):
        raise TemplateSyntaxError(_("Print templates may not load tag libraries."))
    return _NoOp()


def _sandbox_library() -> Library:
    library = Library()
    for name in SAFE_TAGS:
        library.tags[name] = defaulttags.register.tags[name]
    for name in I18N_TAGS:
        library.tags[name] = i18n_tags.register.tags[name]
    library.tags["load"] = _load
    library.filters.update({k: v for k, v in defaultfilters.register.filters.items() if k not in UNSAFE_FILTERS})
    return library


class _SandboxEngine(Engine):
    default_builtins: list[str] = []


_engine = _SandboxEngine(loaders=[], libraries={}, builtins=[], autoescape=True, debug=False)
_engine.template_builtins = [_sandbox_library()]


def print_template_check(text: str) -> str | None:
    """Why an edited print template cannot be used (a message for the form), or None."""
    try:
        _engine.from_string(text or "")
    except TemplateSyntaxError as exc:
        return str(exc)
    return None


def default_print_template(kind: str = "", direction: str = "") -> str:
    """The shipped template's source (what an admin starts an edited template from)."""
    for name in (f"sales/print/{direction}_{kind}.html", DEFAULT_TEMPLATE):
        try:
            return get_template(name).template.source
        except TemplateDoesNotExist:
            continue
    return ""


def default_print_css() -> str:
    return get_template(DEFAULT_CSS).template.source


# --- the context ------------------------------------------------------------------------------

TITLES = {
    (Direction.SALE, Kind.QUOTE): lambda: _("Quote (pro-forma invoice)"),
    (Direction.SALE, Kind.INVOICE): lambda: _("Sales invoice"),
    (Direction.SALE, Kind.RETURN): lambda: _("Sales return invoice"),
    (Direction.PURCHASE, Kind.QUOTE): lambda: _("Purchase quote"),
    (Direction.PURCHASE, Kind.INVOICE): lambda: _("Purchase invoice"),
    (Direction.PURCHASE, Kind.RETURN): lambda: _("Purchase return invoice"),
}


def _language(user: Any, language: str | None) -> str:
    lang = language or getattr(user, "language", "") or translation.get_language() or settings.LANGUAGE_CODE
    return lang[:2] if lang[:2] in {code for code, _name in settings.LANGUAGES} else "en"


def _calendar(user: Any, lang: str) -> str:
    return getattr(user, "calendar", "") or default_calendar_for(lang)


def _image_data_url(name: str, content: bytes) -> str:
    mime = mimetypes.guess_type(name)[0] or ""
    if not mime.startswith("image/") or len(content) > MAX_EMBEDDED_IMAGE:
        return ""
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


def _data_url(path: Path | str | None) -> str:
    """A small local image as a data: URL ('' when missing or too big)."""
    if not path:
        return ""
    try:
        file = Path(path)
        if not file.is_file() or file.stat().st_size > MAX_EMBEDDED_IMAGE:
            return ""
        return _image_data_url(file.name, file.read_bytes())
    except OSError:
        return ""


def _stored_data_url(field: Any) -> str:
    """An uploaded image (any storage) as a data: URL."""
    try:
        if not field or field.size > MAX_EMBEDDED_IMAGE:
            return ""
        with field.open("rb") as handle:
            return _image_data_url(field.name, handle.read())
    except (OSError, ValueError):
        return ""


def _company() -> dict[str, str]:
    entries = {e.code: e.label for e in DictionaryEntry.objects.filter(dictionary=COMPANY_DICTIONARY, active=True)}
    logo = getattr(settings, "CRM_COMPANY_LOGO", "")
    return {
        "name": entries.get("name", "") or getattr(settings, "CRM_COMPANY_NAME", ""),
        "address": entries.get("address", ""),
        "phone": entries.get("phone", ""),
        "economic_code": entries.get("economic_code", ""),
        "registration_id": entries.get("registration_id", ""),
        "logo": _data_url(logo),
    }


def _party(identity_id: int, lang: str) -> dict[str, str]:
    identity = (
        Identity.all_objects.filter(pk=identity_id).prefetch_related("phones", "addresses").first()
        if identity_id
        else None
    )
    if identity is None:
        return {"name": f"#{identity_id}"}
    phone = next(iter(identity.phones.all()), None)
    address = next(iter(identity.addresses.all()), None)
    return {
        "name": identity.display_name,
        "customer_number": localize_digits(identity.customer_number or "", lang),
        "national_id": localize_digits(identity.national_id or "", lang),
        "economic_code": localize_digits(identity.economic_code or "", lang),
        "phone": localize_digits(display_phone(phone.number), lang) if phone else "",
        "address": localize_digits(" ".join(p for p in (address.province, address.city, address.line) if p), lang)
        if address
        else "",
        "postal_code": localize_digits(address.postal_code, lang) if address else "",
    }


def _money(value: Decimal | None) -> str:
    return format_number(value if value is not None else Decimal(0))


def _lines(document: Document, lang: str) -> list[dict[str, Any]]:
    lines = document.lines.all()
    if not getattr(document, "_prefetched_objects_cache", {}).get("lines"):
        lines = DocumentLine.objects.filter(document=document).select_related("product").order_by("position", "id")
    out = []
    for number, line in enumerate(lines, start=1):
        product = line.product
        out.append(
            {
                "n": localize_digits(str(number), lang),
                "code": product.code,
                "name": product.name,
                "description": line.description,
                "unit": product.unit,
                "quantity": format_number(line.quantity.normalize() if line.quantity else line.quantity),
                "unit_price": _money(line.unit_price),
                "discount": _money(line.discount) if line.discount else "",
                "discount_percent": format_number(line.discount_percent.normalize()) if line.discount_percent else "",
                "tax": _money(line.tax) if line.tax else "",
                "total": _money(line.total),
                "serials": [str(s) for s in (line.serials or [])],
                "warranty_months": localize_digits(str(product.warranty_months), lang)
                if product.warranty_months
                else "",
            }
        )
    return out


def _signature(document: Document) -> dict[str, str] | None:
    if document.status != Document.Status.APPROVED or not document.approved_by_id:
        return None
    signature = Signature.objects.filter(user_id=document.approved_by_id).first()
    image = _stored_data_url(signature.image) if signature is not None else ""
    approver = document.approved_by
    return {
        "name": str(approver) if approver else "",
        "at": format_datetime(document.approved_at),
        "image": image,
    }


def _percent(value: Decimal, lang: str) -> str:
    return f"{format_number(value.normalize())}{'٪' if lang == 'fa' else '%'}"


def _currency(lang: str) -> str:
    code = getattr(settings, "CRM_CURRENCY", "IRR")
    if code == "IRR":
        return pgettext("currency", "rials")
    return code


def print_context(document: Document, *, user: Any, language: str | None = None) -> dict[str, Any]:
    """Everything a print template may use: plain values, already formatted for the
    viewer (language, digits, calendar). Called inside `_Viewer(...)`.

    lang, dir ("rtl"/"ltr"); company.{name, address, phone, economic_code,
    registration_id, logo (data: URL)}; document.{title, kind, direction, is_sale,
    is_quote, number, date, date_long, valid_until, status, status_label, is_draft,
    is_cancelled, is_approved, price_list, notes, salesperson, source_number};
    party.{name, customer_number, national_id, economic_code, phone, address,
    postal_code}; lines[].{n, code, name, description, unit, quantity, unit_price,
    discount, discount_percent, tax, total, serials[], warranty_months};
    totals.{subtotal, lines_discount, discount, tax_percent, tax, total, words,
    currency}; signature.{name, at, image (data: URL)} or None; printed_at."""
    lang = translation.get_language()[:2]
    currency = _currency(lang)
    status = Document.Status
    return {
        "lang": lang,
        "dir": "rtl" if translation.get_language_bidi() else "ltr",
        "company": _company(),
        "document": {
            "title": TITLES[(document.direction, document.kind)](),
            "kind": document.kind,
            "direction": document.direction,
            "is_sale": document.direction == Direction.SALE,
            "is_quote": document.kind == Kind.QUOTE,
            "number": localize_digits(document.number, lang) if document.number else "",
            "date": format_date(document.issued_on),
            "date_long": format_date(document.issued_on, long=True),
            "valid_until": format_date(document.valid_until),
            "status": document.status,
            "status_label": str(document.get_status_display()),
            "is_draft": document.status in (status.DRAFT, status.PENDING, status.REJECTED),
            "is_cancelled": document.status == status.CANCELLED,
            "is_approved": document.status == status.APPROVED,
            "price_list": document.price_list.name if document.price_list_id and document.price_list else "",
            "notes": document.notes,
            "salesperson": str(document.assignee) if document.assignee_id and document.assignee else "",
            "source_number": localize_digits(document.source.number, lang)
            if document.source_id and document.source and document.source.number
            else "",
        },
        "party": _party(document.identity_id, lang),
        "lines": _lines(document, lang),
        "totals": {
            "subtotal": _money(document.subtotal),
            "lines_discount": _money(document.lines_discount) if document.lines_discount else "",
            "discount": _money(document.discount) if document.discount else "",
            "tax_percent": _percent(document.tax_percent, lang) if document.tax_percent else "",
            "tax": _money(document.tax),
            "total": _money(document.total),
            "words": f"{amount_in_words(document.total, lang)} {currency}",
            "currency": currency,
        },
        "signature": _signature(document),
        "printed_at": format_date(document.updated_at),
    }


# --- rendering --------------------------------------------------------------------------------


class _Viewer:
    """The viewer's language and calendar for the duration of a render."""

    def __init__(self, user: Any, language: str | None) -> None:
        self.lang = _language(user, language)
        self.calendar = _calendar(user, self.lang)

    def __enter__(self) -> _Viewer:
        self._lang = translation.override(self.lang)
        self._lang.__enter__()
        self._cal = calendar_override(self.calendar)
        self._cal.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._cal.__exit__(*exc)
        self._lang.__exit__(*exc)


def _settings_for(document: Document) -> DocumentSettings | None:
    return DocumentSettings.objects.filter(kind=document.kind, direction=document.direction).first()


def _font_css(*, for_pdf: bool) -> str:
    faces = []
    for weight, key in (("400", "regular"), ("700", "bold")):
        path = FONTS_DIR / FONT_FILES[key]
        url = path.as_uri() if for_pdf else static(f"sales/fonts/{FONT_FILES[key]}")
        faces.append(
            f'@font-face{{font-family:"Vazirmatn";src:url("{url}") format("truetype");'
            f"font-weight:{weight};font-style:normal;}}"
        )
    return "\n".join(faces)


def _css_safe(css: str) -> str:
    """CSS placed inside <style>: no "<" at all (a CSS escape instead), so it cannot close
    the element or open another one."""
    return (css or "").replace("<", "\\3c ")


def _inject_head(html: str, head: str) -> str:
    lowered = html.lower()
    at = lowered.find("</head>")
    if at >= 0:
        return html[:at] + head + html[at:]
    return head + html


def _render(document: Document, *, user: Any, language: str | None, for_pdf: bool) -> str:
    doc_settings = _settings_for(document)
    with _Viewer(user, language):
        source = (doc_settings.print_template if doc_settings else "") or ""
        template = None
        if source.strip():
            try:
                template = _engine.from_string(source)
            except TemplateSyntaxError:
                log.warning("print template of %s is broken; using the default", document.doc_type)
        if template is None:
            template = _engine.from_string(default_print_template(document.kind, document.direction))
        context = print_context(document, user=user)
        html = template.render(Context(context, autoescape=True))
        css = "\n".join(
            [_font_css(for_pdf=for_pdf), default_print_css(), (doc_settings.print_css if doc_settings else "") or ""]
        )
    return _inject_head(html, f"<style>{_css_safe(css)}</style>")


def document_html(document: Document, *, user: Any, language: str | None = None, for_pdf: bool = False) -> str:
    """The printed document as a standalone HTML page (its own <style>, fonts by URL)."""
    return _render(document, user=user, language=language, for_pdf=for_pdf)


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    allowed = FONTS_DIR.resolve()

    class LocalFetcher(URLFetcher):
        """Only the vendored fonts and data: URLs; everything else is refused."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                path = Path(unquote(urlsplit(url).path)).resolve()
                if path.is_relative_to(allowed) and path.is_file():
                    return super().fetch(path.as_uri(), headers)
            raise ValueError(f"not fetched while printing: {url[:80]}")

    return LocalFetcher(allowed_protocols=("file", "data"), fail_on_errors=False)


def document_pdf(document: Document, *, user: Any, language: str | None = None) -> bytes:
    from weasyprint import HTML

    html = _render(document, user=user, language=language, for_pdf=True)
    return HTML(string=html, base_url=FONTS_DIR.as_uri() + "/", url_fetcher=_fetcher()).write_pdf()
