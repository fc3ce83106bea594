"""Exactly one first admin: registrations released together on a new site make one admin, on every back end."""
from __future__ import annotations

import threading

import pytest
import requests
import sqlalchemy as sa

from pybossa_core.config import configure
from pybossa_core.models import User
from tests.conftest import LiveServer, app_settings, fresh_engine

SIGNUPS = 8


def register_together(url: str, count: int) -> list[int]:
    """Register ``count`` accounts from as many threads, their POSTs released at one moment."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def sign_up(number: int) -> None:
        browser = requests.Session()
        token = browser.get(f"{url}/account/register", headers={"Accept": "application/json"}).json()["form"]["csrf"]
        account = {"fullname": f"Racer {number}", "name": f"racer{number}", "email_addr": f"racer{number}@example.com",
                   "password": "Pass-word-1", "confirm": "Pass-word-1"}
        barrier.wait()
        answer = browser.post(f"{url}/account/register", json=account, headers={"X-CSRFToken": token})
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=sign_up, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize("round_", range(3))
def test_racing_first_registrations_make_exactly_one_admin(backend, tmp_path_factory, round_):
    with fresh_engine(backend, tmp_path_factory, f"first_admin{round_}") as engine:
        site = configure(app_settings(engine, tmp_path_factory.mktemp("uploads")), environ={}).make_wsgi_app()
        server = LiveServer(site)
        try:
            statuses = register_together(server.url, SIGNUPS)
        finally:
            server.server.shutdown()
        with engine.connect() as connection:
            admins = connection.scalar(sa.select(sa.func.count()).select_from(User).where(User.admin.is_(True)))
            users = connection.scalar(sa.select(sa.func.count()).select_from(User))

    assert statuses == [200] * SIGNUPS
    assert (users, admins) == (SIGNUPS, 1)
