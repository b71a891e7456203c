"""Render a notice from its templates and send it by SMTP.

Settings: `TIPTIERS_SMTP_URL` (`smtp://host:port`, `smtp://user:password@host:port?starttls=1`, or `smtps://...`
for TLS from the start); without it nothing is sent and notices wait in the queue. `TIPTIERS_MAIL_FROM` (default
`tiptiers@localhost`) is the sender; `TIPTIERS_BASE_URL` (default `http://127.0.0.1:8000`) starts every link.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tiptiers.web import i18n
from tiptiers.web.i18n import N_

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
i18n.install(_env)  # each notice in its recipient's language (render's `lang`)


class MailSettingsError(ValueError):
    """TIPTIERS_SMTP_URL cannot be used; the message says why."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    tls: bool = False  # smtps: TLS from the first byte
    sender: str = "tiptiers@localhost"


def smtp_settings(url: str | None = None) -> SmtpSettings | None:
    """The settings of TIPTIERS_SMTP_URL (or `url`); None when unset."""
    url = (url if url is not None else os.environ.get("TIPTIERS_SMTP_URL", "")).strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailSettingsError(f"TIPTIERS_SMTP_URL: {parts.scheme or url!r} is not smtp://HOST:PORT or smtps://HOST:PORT")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise MailSettingsError("TIPTIERS_SMTP_URL: the port is not a number from 1 to 65535") from None
    query = parse_qs(parts.query)
    return SmtpSettings(host=parts.hostname, port=port,
                        username=unquote(parts.username) if parts.username else None,
                        password=unquote(parts.password) if parts.password else None,
                        starttls=query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes"),
                        tls=parts.scheme == "smtps",
                        sender=os.environ.get("TIPTIERS_MAIL_FROM", "").strip() or "tiptiers@localhost")


def smtp_configured() -> bool:
    try:
        return smtp_settings() is not None
    except MailSettingsError:
        return False


def base_url() -> str:
    return (os.environ.get("TIPTIERS_BASE_URL", "").strip() or "http://127.0.0.1:8000").rstrip("/")


# The words the store puts in a notice's context (a request's stage, a dispute's outcome, a claim's state), as it
# writes them in English; shown in the notice's language.
WORDS = {w: w for w in (N_("draft"), N_("questionnaire"), N_("final report"), N_("maintained"),
                        N_("accepted: the claim is withdrawn"), N_("accepted: the claim is corrected"),
                        N_("unverified"), N_("corroborated"), N_("confirmed by government"),
                        N_("disputed by government"), N_("withdrawn"))}


def _in_language(context: dict[str, Any]) -> dict[str, Any]:
    """The context as the current language shows it: the country (the store names it in English) by its name in
    that language, the words of WORDS translated."""
    if i18n.current() == i18n.DEFAULT:
        return context
    from tiptiers.countries import country_table

    shown = dict(context)
    found = country_table().find(str(context["country"])) if context.get("country") else None
    if found is not None:
        shown["country"] = i18n.country_name_in(found.iso3, found.name)
    for key in ("stage", "outcome", "state"):
        value = str(context.get(key, "")).replace("_", " ")
        if value in WORDS:
            shown[key] = i18n.gettext(value)
    return shown


def render(kind: str, context: dict[str, Any], lang: str | None = None) -> tuple[str, str, str]:
    """(subject, text, html) of a notice of `kind` in `lang` (None: the language being answered in, English outside
    a request); `context` must hold what the templates name (StrictUndefined)."""
    with i18n.use(lang or i18n.current()):
        context = _in_language(context)
        text = _env.get_template(f"{kind}.txt").render(**context)
        subject, _, body = text.partition("\n")
        html = _env.get_template(f"{kind}.html").render(subject=subject.strip(), **context)
    return subject.strip(), body.strip() + "\n", html


def message_id(*parts: object) -> str:
    """The Message-ID of one message (`parts` name it), the same each time it is sent: a job is retried when the
    server accepted the message but recording that failed, and the repeat then carries the same id, which mail
    clients and many servers show once (SMTP cannot make sending and recording one step)."""
    digest = hashlib.sha256("\x1f".join([base_url(), *map(str, parts)]).encode()).hexdigest()[:32]
    return f"<{digest}@tiptiers>"


def send(settings: SmtpSettings, to: str, subject: str, text: str, html: str, message_id: str | None = None) -> str:
    """One SMTP conversation; the Message-ID sent (`message_id`, or a new one). Raises on any refusal (the job is
    then retried)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, to, subject
    message["Message-ID"] = message_id or make_msgid(domain="tiptiers")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    smtp: smtplib.SMTP
    if settings.tls:
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=30, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=30)
    with smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(message)
    return str(message["Message-ID"])
