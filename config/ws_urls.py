"""Websocket routes: each context adds its consumers here (notifications arrive with PL-7)."""

websocket_urlpatterns: list = []
