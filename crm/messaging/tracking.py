"""Email tracking and unsubscribe (CM-6), in the public /m/ space.

Every outgoing message has a random `Message.token` (UUID4): the links below carry it, so
only the recipient's own email can open, click or unsubscribe for that message.

- Clicks: the http(s) links of a bulk email's HTML (as written in the send, without
  placeholders) are stored on the send (`BulkSend.links`) when it starts; each message's
  HTML gets `/m/c/<token>/<n>/` instead, which records the click and redirects to
  `links[n]` — to nothing else, so it is no open redirect.
- Opens: a 1×1 GIF `/m/o/<token>/` at the end of the HTML; the first open sets
  `opened_at` and writes one `opened` event.
- Unsubscribe: `/m/u/<token>/` asks, then puts the address on the opt-out list
  (`Suppression`); a link is added to every bulk email, and `List-Unsubscribe` headers.

The email transport calls `email_parts(message)` (or `rewrite_html` / `rewrite_text` /
`unsubscribe_url` / `list_unsubscribe_headers`) when it builds the mail."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.messaging.models import BulkSend, Message, MessageEvent, Suppression

HREF = re.compile(r"""(\bhref\s*=\s*)(["'])(https?://[^"'<>\s]+)\2""", re.IGNORECASE)
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
MAX_LINKS = 200


def _absolute(path: str) -> str:
    return f"{getattr(settings, 'CRM_PUBLIC_URL', '').rstrip('/')}{path}"


def tracked_links(html: str) -> list[str]:
    """The distinct http(s) links of a send's HTML that can be tracked (no placeholders)."""
    links: list[str] = []
    for match in HREF.finditer(html or ""):
        url = htmllib.unescape(match.group(3))
        if "{{" in url or "}}" in url or url in links:
            continue
        links.append(url)
        if len(links) >= MAX_LINKS:
            break
    return links


def open_url(message: Message) -> str:
    return _absolute(reverse("messaging_public:open", args=[message.token]))


def click_url(message: Message, n: int) -> str:
    return _absolute(reverse("messaging_public:click", args=[message.token, n]))


def unsubscribe_url(message: Message) -> str:
    return _absolute(reverse("messaging_public:unsubscribe", args=[message.token]))


_send_settings: dict[int, tuple[list[str], bool, bool]] = {}


def _settings_of(message: Message) -> tuple[list[str], bool, bool] | None:
    """(links, track_opens, track_clicks) of the message's bulk send; cached per process:
    they do not change once a send has started."""
    send_id = message.bulk_send_id
    if not send_id:
        return None
    if send_id not in _send_settings:
        row = BulkSend.objects.filter(pk=send_id).values_list("links", "track_opens", "track_clicks").first()
        if row is None:
            return None
        if len(_send_settings) > 1000:
            _send_settings.clear()
        _send_settings[send_id] = (list(row[0] or []), bool(row[1]), bool(row[2]))
    return _send_settings[send_id]


def rewrite_html(message: Message, html: str) -> str:
    """A bulk email's HTML as sent: tracked links, the open pixel, the unsubscribe footer.
    Other messages' HTML is returned unchanged."""
    found = _settings_of(message)
    if found is None or not html:
        return html
    links, track_opens, track_clicks = found
    if track_clicks and links:
        index = {url: n for n, url in enumerate(links)}

        def swap(match: re.Match[str]) -> str:
            n = index.get(htmllib.unescape(match.group(3)))
            if n is None:
                return match.group(0)
            return f"{match.group(1)}{match.group(2)}{htmllib.escape(click_url(message, n))}{match.group(2)}"

        html = HREF.sub(swap, html)
    footer = (
        f'<p class="unsubscribe"><small><a href="{htmllib.escape(unsubscribe_url(message))}">'
        f"{htmllib.escape(_('Unsubscribe'))}</a></small></p>"
    )
    if track_opens:
        footer += f'<img src="{htmllib.escape(open_url(message))}" width="1" height="1" alt="">'
    closing = re.search(r"</body\s*>", html, re.IGNORECASE)
    if closing:
        return html[: closing.start()] + footer + html[closing.start() :]
    return html + footer


def rewrite_text(message: Message, text: str) -> str:
    """A bulk email's plain text as sent: with the unsubscribe link at the end."""
    if not message.bulk_send_id:
        return text
    return f"{text}\n\n-- \n{_('Unsubscribe')}: {unsubscribe_url(message)}"


def list_unsubscribe_headers(message: Message) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers for bulk emails (one-click unsubscribe)."""
    if not message.bulk_send_id:
        return {}
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(message)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def email_parts(message: Message) -> tuple[str, str, dict[str, str]]:
    """(text, html, extra headers) of an outgoing email as it should leave."""
    return (
        rewrite_text(message, message.body),
        rewrite_html(message, message.html),
        list_unsubscribe_headers(message),
    )


# --- what the public endpoints record -----------------------------------------------------


def message_by_token(token: Any) -> Message | None:
    return Message.objects.filter(token=token, direction=Message.Direction.OUT).first()


def _event(message: Message, kind: str, dedupe_key: str | None, data: dict[str, Any] | None = None) -> bool:
    try:
        with transaction.atomic():
            MessageEvent.objects.create(message=message, kind=kind, dedupe_key=dedupe_key, data=data or {})
        return True
    except IntegrityError:
        return False


def tracking_open(*, message: Message) -> bool:
    """Record an open; only the first one counts. True when this was the first."""
    now = timezone.now()
    first = bool(Message.objects.filter(pk=message.pk, opened_at__isnull=True).update(opened_at=now))
    if first:
        _event(message, MessageEvent.Kind.OPENED, f"open:{message.pk}")
    return first


def tracking_click(*, message: Message, n: int) -> str | None:
    """Record a click on link n and return where to go, or None for an unknown link."""
    if not message.bulk_send_id:
        return None
    links = BulkSend.objects.filter(pk=message.bulk_send_id).values_list("links", flat=True).first() or []
    if not 0 <= n < len(links):
        return None
    url = str(links[n])
    if not url.lower().startswith(("http://", "https://")):
        return None
    now = timezone.now()
    Message.objects.filter(pk=message.pk, clicked_at__isnull=True).update(clicked_at=now)
    Message.objects.filter(pk=message.pk, opened_at__isnull=True).update(opened_at=now)  # a click is an open
    _event(message, MessageEvent.Kind.CLICKED, f"click:{message.pk}:{n}", {"n": n, "url": url[:500]})
    return url


def tracking_unsubscribe(*, message: Message) -> Suppression:
    """Put the message's address on the opt-out list (idempotent)."""
    with transaction.atomic():
        suppression, _created = Suppression.objects.get_or_create(
            channel=message.channel,
            address=message.to_address,
            defaults={
                "reason": Suppression.Reason.OPT_OUT,
                "identity_id": message.identity_id,
                "note": _("Unsubscribe link of message %(id)s") % {"id": message.pk},
            },
        )
    _event(message, MessageEvent.Kind.UNSUBSCRIBED, f"unsub:{message.pk}")
    return suppression


def is_unsubscribed(message: Message) -> bool:
    return Suppression.objects.filter(channel=message.channel, address=message.to_address).exists()
