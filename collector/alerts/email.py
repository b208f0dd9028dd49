"""E-mail deliveries: plain text, in the subscription's languages (Italian first, then English, by default),
over SMTP with STARTTLS and the credentials of the settings (`COLLECTOR_SMTP_*`)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from collector.alerts import texts
from collector.alerts.payload import AlertEvent
from collector.alerts.settings import AlertSettings
from collector.alerts.webhook import DeliveryFailed
from collector.reports.present import show
from i18n import translator

PREFIX = "[Mettiamoci la faccia]"


def _pct(value: float, language: str) -> str:
    return show(value, "share", language, translator(language))


def _block(event: AlertEvent, language: str, name: str) -> str:
    t = translator(language)
    d = event.detail
    lines = [event.summary.get(language) or texts.summary(event.alert, event.status, event.subject,
                                                          event.service_point_name, d, language), ""]  # fmt: skip
    status = t(texts.FIRING if event.status == "firing" else texts.RESOLVED)
    lines.append(f"{status}: {event.alert}")
    if event.organisation:
        lines.append(f"{t(texts.LINES['organisation'])}: {event.organisation_name or event.organisation}")
    if event.service_point:
        called = event.service_point_name
        place = f"{called} ({event.service_point})" if called and called != event.service_point else event.service_point
        lines.append(f"{t(texts.LINES['service_point'])}: {place}")
    if event.kiosk:
        lines.append(f"{t(texts.LINES['kiosk'])}: {event.kiosk}")
    lines.append(f"{t(texts.LINES['at'])}: {event.at.isoformat(timespec='seconds')}")
    if event.alert == "below_target" and "shares" in d:
        target = d["target"]
        for key, face, limit in (("green", "positive", "min_green_share"), ("red", "negative", "max_red_share")):
            s = d["shares"][face]
            lines.append(
                f"{t(texts.LINES[key])}: {_pct(s['share'], language)} ({_pct(s['low'], language)}"
                f"–{_pct(s['high'], language)}); {t(texts.LINES['target'])}: {_pct(target[limit], language)}"
            )
        lines.append(f"{t(texts.LINES['ratings'])}: {show(d['total'], 'count', language, t)}")
    elif d:
        shown = ", ".join(f"{k} {v}" for k, v in d.items() if not isinstance(v, dict | list))
        lines.append(f"{t(texts.LINES['details'])}: {shown}")
    lines += ["", event.link, "", t(texts.WHY, name=name)]
    return "\n".join(lines)


def message(event: AlertEvent, sender: str, to: str, languages: list[str], name: str) -> EmailMessage:
    languages = languages or ["it", "en"]
    mail = EmailMessage()
    first = texts.summary(
        event.alert, event.status, event.subject, event.service_point_name, event.detail, languages[0]
    )
    mail["Subject"] = f"{PREFIX} {first}"
    mail["From"] = sender
    mail["To"] = to
    mail["Message-ID"] = make_msgid("mlf-alert")
    mail["Content-Language"] = ", ".join(languages)
    mail.set_content("\n\n-----\n\n".join(_block(event, lang, name) for lang in languages) + "\n")
    return mail


def _send(settings: AlertSettings, mail: EmailMessage) -> None:
    if settings.smtp_host is None:
        raise DeliveryFailed("no mail server configured (COLLECTOR_SMTP_HOST)")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.alerts_timeout_s) as smtp:
            if settings.smtp_starttls:
                context = ssl.create_default_context(
                    cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None
                )
                smtp.starttls(context=context)
            if settings.smtp_username and settings.smtp_password is not None:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:300]) from None


async def send(settings: AlertSettings, mail: EmailMessage) -> None:
    await asyncio.to_thread(_send, settings, mail)
