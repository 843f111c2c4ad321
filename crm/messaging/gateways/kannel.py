"""Kannel (bearerbox + smsbox) through smsbox's HTTP `sendsms` interface.

Line settings (`SmsLine.config`): `url` (smsbox, default http://127.0.0.1:13013), `username`,
optional `smsc` (route to one SMSC link), `dlr_mask` (default 31: every report),
`callback_url` (where Kannel reaches the CRM, default CRM_PUBLIC_URL), `concurrency`
(requests in flight, default 8), `timeout` (seconds, default 10). `SmsLine.secret` is the
sendsms password.

Persian (anything outside GSM 7-bit) goes as UCS-2 (`coding=2`, text in UTF-8 with
`charset=UTF-8`); Kannel splits long texts into concatenated parts itself. Each message's
`dlr-url` carries its id, the hand-off marker and the shared secret; Kannel fills in the
status (%d), the SMSC's answer (%A), the time (%T) and the SMSC's id (%F).

Requests go out over keep-alive connections (one per pool thread) so a batch of a few
hundred messages is handed over in a fraction of a second. A request is never repeated
inside one hand-off: if the answer is lost, the transport's exactly-once rule decides."""

from __future__ import annotations

import datetime as dt
import http.client
import threading
import time
import urllib.parse
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.urls import reverse

from crm.messaging.gateways.base import (
    ACCEPTED,
    BUFFERED,
    DELIVERED,
    FAILED,
    DeliveryReport,
    GatewayError,
    GatewayRefused,
    InboundSms,
)
from crm.messaging.gateways.registry import register_gateway

DEFAULT_URL = "http://127.0.0.1:13013"
# Kannel's DLR types: 1 delivered, 2 failed at the handset, 4 buffered, 8 SMSC ack, 16 SMSC reject
STATES = {"1": DELIVERED, "2": FAILED, "4": BUFFERED, "8": ACCEPTED, "16": FAILED}
IDLE_SECONDS = 4.0  # reuse a kept-alive connection only if it was used this recently


class GatewayUnavailable(GatewayError):
    """Kannel answered and did not take the message (e.g. 503): it was not handed off."""


def gsm7(text: str) -> bool:
    from crm.messaging.sending import GSM7

    return all(ch in GSM7 for ch in text)


class _Connections(threading.local):
    def __init__(self) -> None:
        self.pool: dict[tuple[str, int, bool], tuple[http.client.HTTPConnection, float]] = {}


_local = _Connections()
_executors: dict[int, ThreadPoolExecutor] = {}
_executors_lock = threading.Lock()


def _executor(size: int) -> ThreadPoolExecutor:
    with _executors_lock:
        if size not in _executors:
            _executors[size] = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"kannel{size}")
        return _executors[size]


def _http_get(url: str, timeout: float) -> tuple[int, str]:
    """GET over this thread's kept-alive connection. Errors before the request was written
    (a refused connection) raise GatewayUnavailable; errors after it (no answer, reset)
    raise GatewayError — Kannel may or may not have taken the message."""
    parts = urllib.parse.urlsplit(url)
    tls = parts.scheme == "https"
    host, port = parts.hostname or "127.0.0.1", parts.port or (443 if tls else 80)
    key = (host, port, tls)
    path = parts.path + ("?" + parts.query if parts.query else "")
    now = time.monotonic()
    conn, last = _local.pool.pop(key, (None, 0.0))
    if conn is not None and now - last > IDLE_SECONDS:
        conn.close()
        conn = None
    if conn is None:
        cls = http.client.HTTPSConnection if tls else http.client.HTTPConnection
        conn = cls(host, port, timeout=timeout)
        try:
            conn.connect()
        except OSError as exc:
            raise GatewayUnavailable(f"cannot connect to {host}:{port}: {exc}") from exc
    try:
        conn.request("GET", path, headers={"Connection": "keep-alive"})
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        raise GatewayError(f"no answer from {host}:{port}: {exc!r}") from exc
    if response.will_close:
        conn.close()
    else:
        _local.pool[key] = (conn, time.monotonic())
    return response.status, body


def callback_base(line: Any) -> str:
    config = getattr(line, "config", None) or {}
    return (
        config.get("callback_url")
        or getattr(settings, "CRM_SMS_CALLBACK_URL", "")
        or getattr(settings, "CRM_PUBLIC_URL", "")
        or "http://127.0.0.1:8000"
    ).rstrip("/")


class KannelGateway:
    key = "kannel"

    def __init__(self, line: Any) -> None:
        self.line = line
        config = (getattr(line, "config", None) or {}) if line is not None else {}
        self.url = (config.get("url") or DEFAULT_URL).rstrip("/")
        if not self.url.endswith("/cgi-bin/sendsms"):
            self.url += "/cgi-bin/sendsms"
        self.username = config.get("username", "")
        self.password = getattr(line, "secret", "") or ""
        self.smsc = config.get("smsc", "")
        self.dlr_mask = int(config.get("dlr_mask", 31) or 0)
        self.concurrency = max(1, min(int(config.get("concurrency", 16) or 16), 64))
        self.timeout = float(config.get("timeout", 10) or 10)

    # --- sending ---------------------------------------------------------------------

    def request_url(self, message: Any) -> str:
        from crm.messaging.callbacks import callback_secret

        text = message.body or ""
        params = {
            "username": self.username,
            "password": self.password,
            "from": getattr(self.line, "number", "") or getattr(message, "from_address", ""),
            "to": message.to_address,
            "text": text,
            "charset": "UTF-8",
            "coding": "0" if gsm7(text) else "2",
        }
        if self.smsc:
            params["smsc"] = self.smsc
        handoff = (getattr(message, "meta", None) or {}).get("handoff") or {}
        if self.dlr_mask and getattr(message, "wants_reports", True):
            dlr = (
                f"{callback_base(self.line)}{reverse('messaging_public:kannel_dlr')}"
                f"?secret={urllib.parse.quote(callback_secret(), safe='')}"
                f"&m={message.pk}&a={urllib.parse.quote(str(handoff.get('a', '')), safe='')}"
                "&s=%d&r=%A&t=%T&f=%F"
            )
            params["dlr-mask"] = str(self.dlr_mask)
            params["dlr-url"] = dlr
        return f"{self.url}?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"

    def send_one(self, message: Any) -> str:
        status, body = _http_get(self.request_url(message), self.timeout)
        answer = body.strip()
        # "0: Accepted for delivery" (202), "3: Queued for later delivery" (202)
        if status in (200, 202) and answer[:2] in ("0:", "3:"):
            attempt = ((getattr(message, "meta", None) or {}).get("handoff") or {}).get("a", "")
            return f"kannel:{message.pk}:{attempt}"
        if 400 <= status < 500:
            raise GatewayRefused(f"Kannel refused the message ({status}): {answer[:300]}")
        raise GatewayUnavailable(f"Kannel did not take the message ({status}): {answer[:300]}")

    def send(self, line: Any, messages: list[Any]) -> dict[int, str | BaseException]:
        if line is not None and line is not self.line:
            self.__init__(line)  # type: ignore[misc]
        if not messages:
            return {}
        if len(messages) == 1 or self.concurrency == 1:
            pairs = [(m.pk, self._outcome(m)) for m in messages]
        else:
            pairs = list(_executor(self.concurrency).map(lambda m: (m.pk, self._outcome(m)), messages))
        return dict(pairs)

    def _outcome(self, message: Any) -> str | BaseException:
        try:
            return self.send_one(message)
        except BaseException as exc:
            return exc

    # --- callbacks ---------------------------------------------------------------------

    def parse_dlr(self, request_params: Mapping[str, str]) -> DeliveryReport:
        message_id = int(str(request_params.get("m", "")).strip())
        status = str(request_params.get("s", "")).strip()
        if status not in STATES:
            raise ValueError(f"unknown Kannel DLR status {status!r}")
        at = None
        stamp = str(request_params.get("t", "")).strip()
        if stamp.isdigit():
            at = dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC)
        return DeliveryReport(
            message_id=message_id,
            state=STATES[status],
            attempt=str(request_params.get("a", ""))[:40],
            provider_status=status,
            provider_ref=str(request_params.get("f", ""))[:200],
            reply=str(request_params.get("r", ""))[:300],
            at=at,
        )

    def parse_inbound(self, request_params: Mapping[str, str]) -> InboundSms:
        from_number = str(request_params.get("from", "")).strip()
        ref = str(request_params.get("id", "")).strip()
        if not from_number or not ref:
            raise ValueError("an inbound SMS needs `from` and `id`")
        at = None
        stamp = str(request_params.get("time", "")).strip()
        if stamp.isdigit():
            at = dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC)
        return InboundSms(
            from_number=from_number[:32],
            to_number=str(request_params.get("to", "")).strip()[:32],
            text=str(request_params.get("text", ""))[:5000],
            provider_ref=f"kannel:{ref[:180]}",
            received_at=at,
            meta={"smsc": str(request_params.get("smsc", ""))[:40]},
        )


register_gateway("kannel", KannelGateway, "Kannel")
