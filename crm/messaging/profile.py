"""What messaging adds to an identity's profile: "Send SMS" and "Send email" buttons and a
"Messages" tab (the identity's messages the user may see, newest first, paged)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from crm.core.web.paging import paginate
from crm.identities.profile import ProfileAction, ProfileTab, register_profile_action, register_profile_tab
from crm.messaging.access import messages_visible_to


def _sms_url(identity: Any) -> str:
    return f"{reverse('messaging:quick_sms')}?identity={identity.pk}"


def _email_url(identity: Any) -> str:
    try:
        return f"{reverse('messaging:mail_compose')}?identity={identity.pk}"
    except NoReverseMatch:  # the composer lands with the email pages
        return f"{reverse('messaging:quick_send')}?channel=email&identity={identity.pk}"


def _messages_tab(request: HttpRequest, identity: Any) -> str:
    qs = (
        messages_visible_to(request.user)
        .filter(identity_id=identity.pk)
        .select_related("sms_line", "mailbox", "fax_line", "user")
        .order_by("-id")
    )
    page = paginate(request, qs, per_page=25)
    return render_to_string("messaging/send/profile_messages.html", {"identity": identity, **page}, request=request)


register_profile_action(ProfileAction("send_sms", _("Send SMS"), "bi-chat-dots", _sms_url, order=40))
register_profile_action(ProfileAction("send_email", _("Send email"), "bi-envelope", _email_url, order=41))
register_profile_tab(ProfileTab("messages", _("Messages"), _messages_tab, order=40))
