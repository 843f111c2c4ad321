"""A small world for bulk-send tests: an SMS line, a mailbox, identities with mobiles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm.identities.models import Email, Identity, Phone
from crm.messaging.models import Mailbox, SmsLine
from crm.org.testing import appoint, fresh, make_position, make_user

SENDER_PERMS = (
    "messaging.add_bulksend",
    "messaging.view_bulksend",
    "messaging.add_targetgroup",
    "identities.view_identity",
    "identities.view_all_identity",
)


@dataclass
class BulkWorld:
    line: SmsLine
    mailbox: Mailbox
    people: list[Identity] = field(default_factory=list)


def make_people(actor: Any, n: int, *, start: int = 0, email: bool = True) -> list[Identity]:
    people = []
    for i in range(start, start + n):
        person = Identity.objects.create(
            first_name=f"P{i}", last_name="Test", display_name=f"P{i} Test", created_by=actor
        )
        Phone.objects.create(identity=person, number=f"+98912{i:07d}", kind=Phone.Kind.MOBILE, is_primary=True)
        if email:
            Email.objects.create(identity=person, address=f"p{i}@example.com", is_primary=True)
        people.append(person)
    return people


def build_bulk_world(actor: Any, n: int = 5) -> BulkWorld:
    line = SmsLine.objects.create(name="Main", number="+982100000000", provider="kannel", is_default=True)
    mailbox = Mailbox.objects.create(name="News", address="news@example.com", is_default=True)
    return BulkWorld(line=line, mailbox=mailbox, people=make_people(actor, n))


def make_sender(username: str) -> Any:
    user = make_user(username, first_name=username.title())
    appoint(user, make_position(f"Sender {username}", SENDER_PERMS))
    return fresh(user)
