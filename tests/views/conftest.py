"""Fixtures for the web views: signed-in browsers, a site that sends real mail, a stand-in OAuth provider."""
from __future__ import annotations

import email
import re
import socket
import threading
from email.message import Message

import pytest
import webtest

from pybossa_core.config import configure
from pybossa_core.interfaces import ISigninThrottle, find_service
from pybossa_core.services.passwords import hash_password
from tests.conftest import app_settings, fresh_engine

JSON = {"Accept": "application/json"}
PASSWORD = "Secret-pass1"
#: One scrypt hash for every test user (hashing is slow on purpose).
PASSWORD_HASH = hash_password(PASSWORD)


@pytest.fixture(autouse=True)
def fresh_signin_counts(app):
    """Each test starts with no failed sign-ins (nor password-reset requests) counted."""
    find_service(app.registry, ISigninThrottle, "signin").clear()
    find_service(app.registry, ISigninThrottle, "reset").clear()


def csrf_of(testapp) -> str:
    """Return the browser's CSRF token, as a JavaScript client reads it from a form."""
    return testapp.get("/account/register", headers=JSON).json["form"]["csrf"]


def sign_in(testapp, user, password: str = PASSWORD):
    """Sign ``user`` in on ``testapp``'s browser; return the answer's JSON."""
    return testapp.post_json(
        "/account/signin", {"email": user.email_addr, "password": password}, headers={"X-CSRFToken": csrf_of(testapp)}
    ).json


@pytest.fixture
def member(make):
    """A volunteer with a password."""
    return make.user("member", fullname="Member One", passwd_hash=PASSWORD_HASH)


@pytest.fixture
def browser(testapp, member):
    """``testapp`` signed in as ``member``."""
    sign_in(testapp, member)
    return testapp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the loopback SMTP server received."""

    def __init__(self):
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def pop(self) -> Message:
        with self.lock:
            assert len(self.messages) == 1, [message["Subject"] for message in self.messages]
            return self.messages.pop()

    def link(self, message: Message, path: str) -> str:
        """Return the link to ``path`` in ``message``, relative to the site."""
        body = message.get_payload(decode=True).decode("utf-8")
        match = re.search(rf"http://[^/\s]+({re.escape(path)}\?key=[^\s]+)", body)
        assert match, body
        return match.group(1)


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture(scope="session")
def mail_site(backend, tmp_path_factory, smtp_server):
    """A site on its own database that commits for real and mails through the loopback SMTP server."""
    controller, _ = smtp_server
    with fresh_engine(backend, tmp_path_factory, "mail") as engine:
        settings = app_settings(
            engine,
            tmp_path_factory.mktemp("mail_uploads"),
            **{
                "mail.delivery": "smtp",
                "mail.host": "127.0.0.1",
                "mail.port": str(controller.port),
                "account.confirmation_required": "true",
            },
        )
        yield configure(settings, environ={}).make_wsgi_app()


@pytest.fixture
def mail_browser(mail_site):
    find_service(mail_site.registry, ISigninThrottle, "signin").clear()
    find_service(mail_site.registry, ISigninThrottle, "reset").clear()
    return webtest.TestApp(mail_site, extra_environ={"HTTP_HOST": "localhost:5000", "REMOTE_ADDR": "127.0.0.1"})


@pytest.fixture
def inbox(smtp_server):
    _, inbox = smtp_server
    inbox.messages.clear()
    return inbox

# Fixtures shared by the project and admin view tests.
from tests.views.admin_fixtures import boss  # noqa: E402,F401
from tests.views.project_fixtures import project  # noqa: E402,F401
