"""The notifications websocket (/ws/notifications/): a signed-in user's open tab gets a
notification pushed as soon as `notify()` commits; anonymous sockets are refused."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from crm.core.notifications.consumers import NotificationConsumer
from crm.core.notifications.models import Notification
from crm.core.notifications.services import notify

pytestmark = pytest.mark.django_db(transaction=True)


def as_user(user: Any) -> Any:
    """The consumer behind a stand-in for AuthMiddlewareStack: the scope carries `user`."""
    app = NotificationConsumer.as_asgi()

    async def with_user(scope: dict, receive: Any, send: Any) -> Any:
        return await app({**scope, "user": user}, receive, send)

    return with_user


def tell(user: Any, title: str) -> None:
    notify(
        users=[user],
        kind="test.note",
        values={"title": title, "text": f"{title} text"},
        dedupe_key=str(uuid.uuid4()),
        url="/history/",
    )


def test_authenticated_user_gets_a_pushed_notification(bob: Any, settings: Any) -> None:
    settings.CRM_NOTIFY_POLL_SECONDS = 60  # only the push can deliver within the test

    async def scenario() -> tuple[bool, dict, bool]:
        communicator = WebsocketCommunicator(as_user(bob), "/ws/notifications/")
        connected, _subprotocol = await communicator.connect()
        await database_sync_to_async(tell)(bob, "Call Sara back")
        message = await communicator.receive_json_from(timeout=5)
        nothing_else = await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()
        return connected, message, nothing_else

    connected, message, nothing_else = async_to_sync(scenario)()
    assert connected
    row = Notification.objects.get(user=bob)
    assert message == {
        "type": "notification",
        "id": row.pk,
        "kind": "test.note",
        "title": "Call Sara back",
        "body": "Call Sara back text",
        "url": "/history/",
        "at": message["at"],
    }
    assert nothing_else


def test_only_the_users_own_notifications_arrive(alice: Any, bob: Any, settings: Any) -> None:
    settings.CRM_NOTIFY_POLL_SECONDS = 60

    async def scenario() -> dict:
        communicator = WebsocketCommunicator(as_user(bob), "/ws/notifications/")
        await communicator.connect()
        await database_sync_to_async(tell)(alice, "For Alice")
        await database_sync_to_async(tell)(bob, "For Bob")
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return message

    assert async_to_sync(scenario)()["title"] == "For Bob"


def test_since_replays_what_a_reconnecting_tab_missed(bob: Any, settings: Any) -> None:
    settings.CRM_NOTIFY_POLL_SECONDS = 60
    tell(bob, "Missed one")
    tell(bob, "Missed two")
    first = Notification.objects.filter(user=bob).order_by("pk").first()

    async def scenario() -> list[dict]:
        communicator = WebsocketCommunicator(as_user(bob), "/ws/notifications/")
        await communicator.connect()
        await communicator.send_json_to({"type": "since", "id": first.pk - 1})
        got = [await communicator.receive_json_from(timeout=5) for _ in range(2)]
        await communicator.disconnect()
        return got

    assert [m["title"] for m in async_to_sync(scenario)()] == ["Missed one", "Missed two"]


def test_a_notification_the_push_missed_arrives_by_polling(bob: Any, settings: Any) -> None:
    """The worker of the embedded setup cannot reach the server's in-memory layer."""
    settings.CRM_NOTIFY_POLL_SECONDS = 0.1

    async def scenario() -> dict:
        communicator = WebsocketCommunicator(as_user(bob), "/ws/notifications/")
        await communicator.connect()
        await database_sync_to_async(Notification.objects.create)(user=bob, kind="x", title="Quietly written")
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return message

    assert async_to_sync(scenario)()["title"] == "Quietly written"


def test_anonymous_is_refused() -> None:
    async def scenario() -> tuple[bool, Any]:
        communicator = WebsocketCommunicator(as_user(AnonymousUser()), "/ws/notifications/")
        connected, code = await communicator.connect()
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert not connected
    assert code == 4401
