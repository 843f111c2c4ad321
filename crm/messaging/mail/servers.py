"""Which SMTP / IMAP server a mailbox talks to, and opening connections to them.

A mailbox's own host wins; without one, the organisation's mail server (PL-11,
`crm.org.models.MailServerSettings`) is the fallback, with the mailbox's own login when it
has one and the organisation's otherwise."""

from __future__ import annotations

import contextlib
import imaplib
import smtplib
import ssl
from dataclasses import dataclass

from django.conf import settings

from crm.messaging.mail.errors import MailError, MailErrorCode
from crm.messaging.models import Mailbox
from crm.org.models import MailServerSettings

TIMEOUT = 30


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    username: str
    password: str
    security: str  # "none" | "starttls" | "ssl"

    def __repr__(self) -> str:  # never print the password
        return f"ServerConfig({self.host}:{self.port}, user={self.username!r}, {self.security})"


def _org() -> MailServerSettings | None:
    return MailServerSettings.objects.first()


def smtp_config(mailbox: Mailbox) -> ServerConfig:
    if mailbox.smtp_host:
        return ServerConfig(
            mailbox.smtp_host,
            mailbox.smtp_port,
            mailbox.smtp_username,
            mailbox.smtp_password or "",
            mailbox.smtp_security,
        )
    org = _org()
    if org is None or not org.smtp_host:
        raise MailError(MailErrorCode.NO_SERVER, kind="SMTP")
    own_login = bool(mailbox.smtp_username)
    return ServerConfig(
        org.smtp_host,
        org.smtp_port,
        mailbox.smtp_username if own_login else org.smtp_username,
        (mailbox.smtp_password or "") if own_login else (org.smtp_password or ""),
        org.smtp_security,
    )


def imap_config(mailbox: Mailbox) -> ServerConfig:
    if mailbox.imap_host:
        return ServerConfig(
            mailbox.imap_host,
            mailbox.imap_port,
            mailbox.imap_username,
            mailbox.imap_password or "",
            mailbox.imap_security,
        )
    org = _org()
    if org is None or not org.imap_host:
        raise MailError(MailErrorCode.NO_SERVER, kind="IMAP")
    own_login = bool(mailbox.imap_username)
    return ServerConfig(
        org.imap_host,
        org.imap_port,
        mailbox.imap_username if own_login else org.imap_username,
        (mailbox.imap_password or "") if own_login else (org.imap_password or ""),
        Mailbox.Security.SSL if org.imap_ssl else Mailbox.Security.NONE,
    )


def has_imap(mailbox: Mailbox) -> bool:
    try:
        imap_config(mailbox)
    except MailError:
        return False
    return True


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if getattr(settings, "CRM_MAIL_INSECURE_TLS", False):  # self-signed test servers only
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def smtp_connect(config: ServerConfig, *, timeout: float = TIMEOUT) -> smtplib.SMTP:
    """An SMTP connection, logged in when the config has a username. Caller quits it."""
    if config.security == Mailbox.Security.SSL:
        conn: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=timeout, context=_tls())
    else:
        conn = smtplib.SMTP(config.host, config.port, timeout=timeout)
        if config.security == Mailbox.Security.STARTTLS:
            conn.starttls(context=_tls())
    try:
        conn.ehlo_or_helo_if_needed()
        if config.username:
            conn.login(config.username, config.password)
    except Exception:
        conn.close()
        raise
    return conn


def imap_connect(config: ServerConfig, *, timeout: float = TIMEOUT) -> imaplib.IMAP4:
    """An IMAP connection, logged in. Caller logs out."""
    if config.security == Mailbox.Security.SSL:
        conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(config.host, config.port, ssl_context=_tls(), timeout=timeout)
    else:
        conn = imaplib.IMAP4(config.host, config.port, timeout=timeout)
        if config.security == Mailbox.Security.STARTTLS:
            conn.starttls(ssl_context=_tls())
    try:
        conn.login(config.username, config.password)
    except Exception:
        with contextlib.suppress(OSError):
            conn.shutdown()
        raise
    return conn


def connection_check(mailbox: Mailbox, *, timeout: float = 10) -> list[tuple[str, bool, str]]:
    """Try SMTP and IMAP logins: (server, ok, detail) per server that is set up."""
    results: list[tuple[str, bool, str]] = []
    for kind, config_of in (("SMTP", smtp_config), ("IMAP", imap_config)):
        try:
            config = config_of(mailbox)
        except MailError as exc:
            results.append((kind, False, exc.message))
            continue
        try:
            if kind == "SMTP":
                conn = smtp_connect(config, timeout=timeout)
                conn.quit()
            else:
                imap = imap_connect(config, timeout=timeout)
                status, _data = imap.select(mailbox.imap_folder or "INBOX", readonly=True)
                imap.logout()
                if status != "OK":
                    results.append((kind, False, f"folder {mailbox.imap_folder!r}: {status}"))
                    continue
            results.append((kind, True, f"{config.host}:{config.port}"))
        except (OSError, smtplib.SMTPException, imaplib.IMAP4.error) as exc:
            results.append((kind, False, _describe(exc)))
    return results


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    if isinstance(exc, bytes):
        text = exc.decode(errors="replace")
    return f"{exc.__class__.__name__}: {text}"[:300]
