"""A small world for the template/quick-send/occasion/inbound tests: the identities test
world (sara with a mobile and an email, a VIP identity bob may not see), an SMS line open
to all staff, an organisation mailbox, and bob holding identity rights but no messaging
admin rights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from crm.identities.models import Identity
from crm.identities.testing import IDENTITY_PERMS, IdentityWorld, build_identity_world
from crm.messaging.models import Mailbox, SmsLine
from crm.org.models import User
from crm.org.testing import appoint, fresh, make_position, make_user


@dataclass
class M3World:
    alice: User
    bob: User
    charlie: User
    ids: IdentityWorld
    line: SmsLine
    mailbox: Mailbox

    def identity(self, name: str) -> Identity:
        return self.ids.identities[name]


def build_m3_world(alice: User, charlie: User) -> M3World:
    ids = build_identity_world(alice)
    bob = make_user("bobm3", first_name="Bob")
    appoint(bob, make_position("Sales desk", IDENTITY_PERMS))
    line = SmsLine.objects.create(name="Main line", number="+982100001111", provider="kannel", is_default=True)
    mailbox = Mailbox.objects.create(name="Sales", address="sales@example.com", is_default=True)
    return M3World(alice=alice, bob=fresh(bob), charlie=charlie, ids=ids, line=line, mailbox=mailbox)


@pytest.fixture(name="world")
def world_fixture(alice: User, charlie: User) -> M3World:
    return build_m3_world(alice, charlie)


def inbound_sms(world: M3World, text: str, *, sender: str = "09121234567", ref: str = "r1", **extra: Any) -> Any:
    from crm.messaging.inbound import inbound_receive

    return inbound_receive(
        channel="sms",
        from_address=sender,
        to_address=world.line.number,
        body=text,
        provider_ref=ref,
        sms_line=world.line,
        **extra,
    )
