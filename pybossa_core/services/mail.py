"""E-mail: written to ``var/mail/`` by default, or sent over SMTP, once the transaction commits.

``mail.delivery = file`` (the default) writes each message as a file under
``mail.dir`` so a fresh site needs no mail server; ``mail.delivery = smtp``
sends through ``mail.host``:``mail.port`` with pyramid_mailer.  A message
queued by a request leaves only if that request's transaction commits (an
account that was not created never gets a welcome mail), as a background job
on the site's job runner: retried when the mail server fails, listed among the
failed jobs when it keeps failing, and sent once even when its job runs twice (each
message carries its own ``Message-ID`` as well).  Jobs know nothing of mail: the mail
job finds the mailer as the site's :class:`~pybossa_core.interfaces.IMailer`.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from pyramid.i18n import Localizer
from pyramid_mailer.mailer import DebugMailer, Mailer
from pyramid_mailer.message import Message

from pybossa_core.i18n import _, translate
from pybossa_core.interfaces import IMailer
from pybossa_core.services.jobs import JobContext, JobQueue

#: The kind of the mail job, as admins see it and ``jobs.timeouts`` names it.
KIND = "mail"


@dataclass(frozen=True)
class Mail:
    subject: str
    recipient: str
    body: str


class MailService:
    """Sends :class:`Mail` the way the settings say."""

    def __init__(self, settings: Mapping[str, Any]):
        self.sender = settings["mail.default_sender"]
        if settings["mail.delivery"] == "smtp":
            self.mailer = Mailer(
                host=settings["mail.host"],
                port=settings["mail.port"],
                username=settings["mail.username"] or None,
                password=settings["mail.password"] or None,
                tls=settings["mail.tls"],
                ssl=settings["mail.ssl"],
                default_sender=self.sender,
            )
        else:
            directory = os.path.abspath(settings["mail.dir"])
            os.makedirs(directory, exist_ok=True)
            self.mailer = DebugMailer(directory)

    def send_now(self, mail: Mail, message_id: str | None = None) -> None:
        """Send ``mail``; ``message_id`` (its ``Message-ID``) lets mail clients see a repeat as one message."""
        headers = {"Message-ID": message_id} if message_id else {}
        message = Message(subject=mail.subject, sender=self.sender, recipients=[mail.recipient], body=mail.body,
                          extra_headers=headers)
        self.mailer.send_immediately(message, fail_silently=False)


def new_message_id(settings: Mapping[str, Any]) -> str:
    """A ``Message-ID`` of the site's mail domain, made once per message (before its job runs)."""
    domain = parseaddr(settings["mail.default_sender"])[1].rpartition("@")[2] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def send_after_commit(jobs: JobQueue, mail: Mail) -> None:
    """Send ``mail`` in a background job once the transaction of ``jobs`` commits."""
    jobs.enqueue(send_mail, mail.subject, mail.recipient, mail.body, new_message_id(jobs.settings), kind=KIND)


def send_mail(context: JobContext, subject: str, recipient: str, body: str, message_id: str | None = None) -> None:
    """Job: send one message with the site's mail settings, once even if the job runs again."""
    if context.done("sent"):
        return
    context.find_service(IMailer).send_now(Mail(subject, recipient, body), message_id)
    context.mark_done("sent")


# Each message is written in its recipient's language: ``localizer`` is theirs
# (:func:`pybossa_core.i18n.localizer_for`), and its texts are the core's catalog's.


def account_validation(localizer: Localizer, brand: str, fullname: str, url: str) -> tuple[str, str]:
    words = {"brand": brand, "fullname": fullname, "url": url}
    return (
        localizer.translate(_("Welcome to ${brand}!", mapping=words)),
        localizer.translate(_(
            "Hi ${fullname},\n\nPlease confirm your e-mail address to finish creating your ${brand} account:\n\n"
            "${url}\n\nThe link expires in an hour. If you did not sign up, ignore this message.\n", mapping=words)),
    )


def email_change(localizer: Localizer, brand: str, fullname: str, url: str) -> tuple[str, str]:
    words = {"brand": brand, "fullname": fullname, "url": url}
    return (
        localizer.translate(_("You have updated your email in ${brand}! Verify it", mapping=words)),
        localizer.translate(_(
            "Hi ${fullname},\n\nPlease confirm your new e-mail address for ${brand}:\n\n${url}\n\n"
            "Until you do, your account keeps its previous address.\n", mapping=words)),
    )


def password_recovery(localizer: Localizer, brand: str, fullname: str, url: str) -> tuple[str, str]:
    words = {"brand": brand, "fullname": fullname, "url": url}
    return (
        localizer.translate(_("Account Recovery")),
        localizer.translate(_(
            "Hi ${fullname},\n\nSomeone asked to reset the password of your ${brand} account. "
            "To choose a new one, follow this link:\n\n${url}\n\n"
            "The link works once and expires in an hour. If you did not ask, ignore this message.\n", mapping=words)),
    )


def export_ready(localizer: Localizer, brand: str, fullname: str, project: str, kind: Any, file_format: str,
                 url: str) -> tuple[str, str]:
    words = {"brand": brand, "fullname": fullname, "project": project, "kind": kind, "format": file_format.upper(),
             "url": url}
    return (
        translate(localizer, _("Your export of ${project} is ready", mapping=words)),
        translate(localizer, _(
            "Hi ${fullname},\n\nThe ${format} export of the ${kind} data of ${project} is ready to download:\n\n"
            "${url}\n\nThe link serves it as long as the project's data stay the same; after a change it "
            "prepares a new one.\n\nThe ${brand} team\n", mapping=words)),
    )


def email_changed(localizer: Localizer, brand: str, fullname: str, new_email: str, undo_url: str) -> tuple[str, str]:
    """The notice to an account's previous address: a stolen session must not take the account quietly."""
    words = {"brand": brand, "fullname": fullname, "new_email": new_email, "undo_url": undo_url}
    return (
        localizer.translate(_("Your ${brand} e-mail address was changed", mapping=words)),
        localizer.translate(_(
            "Hi ${fullname},\n\nThe e-mail address of your ${brand} account was changed to ${new_email}.\n\n"
            "If you did not do this, follow this link within a week to restore this address and sign "
            "every browser out:\n\n${undo_url}\n", mapping=words)),
    )


def password_changed(localizer: Localizer, brand: str, fullname: str, recovery_url: str) -> tuple[str, str]:
    words = {"brand": brand, "fullname": fullname, "recovery_url": recovery_url}
    return (
        localizer.translate(_("Your ${brand} password was changed", mapping=words)),
        localizer.translate(_(
            "Hi ${fullname},\n\nThe password of your ${brand} account was changed. If you did not do this, "
            "choose a new one here:\n\n${recovery_url}\n", mapping=words)),
    )


def provider_recovery(localizer: Localizer, brand: str, fullname: str, provider_title: str) -> tuple[str, str]:
    words = {"brand": brand, "fullname": fullname, "provider": provider_title}
    return (
        localizer.translate(_("Account Recovery")),
        localizer.translate(_(
            "Hi ${fullname},\n\nYour ${brand} account has no password: you sign in with ${provider}. "
            "Use the ${provider} button on the sign-in page.\n", mapping=words)),
    )


def includeme(config) -> None:
    config.register_service(MailService(config.get_settings()), IMailer)
