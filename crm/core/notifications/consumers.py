"""The websocket every open tab holds: reminders, mentions and other pop-ups arrive here.

A push through the channel layer wakes the socket at once; a short poll of the
notifications table covers pushes that cannot cross processes (the worker creating a
reminder in the embedded setup, where the layer is in-memory). Each tab remembers the last
id it showed, so nothing pops up twice in the same tab.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from crm.core.notifications.selectors import notification_latest_id, notifications_after
from crm.core.notifications.services import user_group


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.group = user_group(user.pk)
        self.last_id = await database_sync_to_async(notification_latest_id)(user=user)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.poller = asyncio.ensure_future(self._poll())

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "poller"):
            self.poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.poller
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "since":
            # a reconnecting tab says what it saw last, so nothing in between is missed
            with contextlib.suppress(TypeError, ValueError):
                self.last_id = max(0, int(content.get("id", self.last_id)))
            await self._deliver()

    async def notify_wake(self, event: dict[str, Any]) -> None:
        await self._deliver()

    async def _poll(self) -> None:
        interval = getattr(settings, "CRM_NOTIFY_POLL_SECONDS", 3)
        while True:
            await asyncio.sleep(interval)
            await self._deliver()

    async def _deliver(self) -> None:
        rows = await database_sync_to_async(notifications_after)(user=self.user, after_id=self.last_id)
        for row in rows:
            self.last_id = max(self.last_id, row.pk)
            await self.send_json(
                {
                    "type": "notification",
                    "id": row.pk,
                    "kind": row.kind,
                    "title": row.title,
                    "body": row.body,
                    "url": row.url,
                    "at": timezone.localtime(row.created_at).isoformat(),
                }
            )
