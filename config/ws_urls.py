"""Websocket routes: each context adds its consumers here."""

from django.urls import path

from crm.core.notifications.consumers import NotificationConsumer

websocket_urlpatterns: list = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
