"""The pybossa command: db upgrade, create-admin, plugins, refresh-stats, and a clear error for bad settings."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from pybossa_core.cli import main


def write_ini(tmp_path, **extra) -> str:
    lines = ["[app:main]", "use = egg:pybossa-core", "secret = a-secret-long-enough-for-thirty-two",
             f"database.url = sqlite:///{tmp_path}/site.sqlite", f"uploads.dir = {tmp_path}/uploads",
             f"shared_state.path = {tmp_path}/shared_state.sqlite", f"mail.dir = {tmp_path}/mail"]
    lines += [f"{key} = {value}" for key, value in extra.items()]
    path = tmp_path / "site.ini"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_db_upgrade_then_create_admin_prints_its_api_key(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PYBOSSA_DATABASE_URL", raising=False)
    ini = write_ini(tmp_path)
    assert main(["-c", ini, "db", "upgrade"]) == 0
    assert main(["-c", ini, "db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["-c", ini, "create-admin", "alice", "alice@example.com"]) == 0
    api_key = capsys.readouterr().out.strip()
    engine = sa.create_engine(f"sqlite:///{tmp_path}/site.sqlite")
    with engine.connect() as connection:
        row = connection.execute(sa.text("select name, admin from user where api_key = :k"), {"k": api_key}).one()
        categories = connection.execute(sa.text("select short_name from category order by id")).scalars().all()
    engine.dispose()
    assert (row.name, bool(row.admin)) == ("alice", True)
    # A new site starts with PYBOSSA's two categories, once however often it is upgraded.
    assert categories == ["thinking", "sensing"]
    assert main(["-c", ini, "create-admin", "alice", "other@example.com"]) == 1


def test_plugins_lists_the_bundled_plugins(tmp_path, capsys):
    assert main(["-c", write_ini(tmp_path), "plugins"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in ("importer-csv", "presenter-basic", "auth-twitter", "stats-default"):
        [line] = [line for line in lines if line.startswith(f"{name} ")]
        assert " OK (register_" in line


def test_plugins_shows_disabled_plugins_and_misspelled_names_without_a_secret(tmp_path, capsys):
    ini = Path(write_ini(tmp_path, **{"plugins.disabled": "importer-csv importer-cvs"}))
    ini.write_text(ini.read_text().replace("secret = a-secret-long-enough-for-thirty-two\n", ""))
    ini = str(ini)

    assert main(["-c", ini, "plugins"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert "importer-csv - DISABLED" in lines
    assert "WARNING plugins.disabled names importer-cvs, which is no installed plugin" in lines
    assert not [line for line in lines if line.startswith("importer-csv ") and " OK " in line]
    # Other commands still need the site's secret.
    assert main(["-c", ini, "refresh-stats"]) == 2


def test_a_bad_setting_is_reported_not_raised(tmp_path, capsys):
    assert main(["-c", write_ini(tmp_path, port="eighty"), "db", "upgrade"]) == 2
    assert "port" in capsys.readouterr().err


@pytest.mark.parametrize("workers, message", [
    ("0", "--workers must be at least 1, not 0"),
    ("-2", "--workers must be at least 1, not -2"),
    ("two", "--workers takes a whole number of processes, not 'two'"),
])
def test_serve_refuses_a_bad_number_of_workers_at_once(tmp_path, capsys, workers, message):
    with pytest.raises(SystemExit) as stopped:
        main(["-c", write_ini(tmp_path), "serve", "--workers", workers])
    assert stopped.value.code == 2 and message in capsys.readouterr().err


def test_the_workers_setting_is_checked_like_every_setting(tmp_path, capsys):
    assert main(["-c", write_ini(tmp_path, workers="0"), "serve"]) == 2
    assert "setting 'workers'" in capsys.readouterr().err


@pytest.mark.functional
def test_serve_lets_the_site_judge_forwarded_addresses(tmp_path):
    """Behind a trusted proxy, each forwarded client gets its own rate-limit window."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import requests

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ini = write_ini(tmp_path, **{"ratelimit.limit": "1", "proxies.trusted": "127.0.0.1"})
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    environ["PYBOSSA_PORT"] = str(port)
    assert main(["-c", ini, "db", "upgrade"]) == 0
    server = subprocess.Popen([sys.executable, "-m", "pybossa_core.cli", "-c", ini, "serve", "--threads", "2"],
                              env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/api/project"
        for _ in range(100):
            try:
                first = requests.get(url, headers={"X-Forwarded-For": "1.1.1.1"}, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert first.status_code == 200
        assert requests.get(url, headers={"X-Forwarded-For": "1.1.1.1"}, timeout=5).status_code == 429
        assert requests.get(url, headers={"X-Forwarded-For": "2.2.2.2"}, timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_refresh_stats_stores_the_dashboard_figures(tmp_path, capsys):
    ini = write_ini(tmp_path)
    assert main(["-c", ini, "db", "upgrade"]) == 0
    assert main(["-c", ini, "create-admin", "alice", "alice@example.com"]) == 0
    assert main(["-c", ini, "refresh-stats"]) == 0
    assert "dashboard figures computed" in capsys.readouterr().out
    engine = sa.create_engine(f"sqlite:///{tmp_path}/site.sqlite")
    with engine.connect() as connection:
        data = connection.execute(sa.text("select data from site_snapshot where name = 'dashboard'")).scalar_one()
    engine.dispose()
    assert '"new_users_week"' in data and '"series": [[1]]' in data


def test_rebuild_figures_recomputes_counters_written_around_the_triggers(tmp_path, capsys):
    ini = write_ini(tmp_path)
    assert main(["-c", ini, "db", "upgrade"]) == 0
    assert main(["-c", ini, "create-admin", "alice", "alice@example.com"]) == 0
    engine = sa.create_engine(f"sqlite:///{tmp_path}/site.sqlite")
    with engine.begin() as connection:
        owner = connection.execute(sa.text("select id from user where name = 'alice'")).scalar_one()
        connection.execute(sa.text(
            "insert into project (name, short_name, description, long_description, created, updated, owner_id,"
            " owners_ids, published, featured, allow_anonymous_contributors, secret_key, info, webhook, private,"
            " invited_ids, zip_download, contacted) values ('P', 'p', '', '', '2026-01-01', '2026-01-01', :owner, '[]',"
            " 1, 0, 1, 's', '{}', null, 0, '[]', 1, 0)"), {"owner": owner})
        connection.execute(sa.text(
            "insert into task (project_id, created, state, quorum, calibration, priority_0, info, n_answers, fav_user_ids,"
            " n_task_runs) select id, '2026-01-01', 'ongoing', 0, 0, 0, '{}', 3, '[]', 0 from project"))
        # Written around the triggers: the counters say nothing of the task until they are rebuilt.
        connection.execute(sa.text("delete from project_counts"))
    assert main(["-c", ini, "rebuild-figures"]) == 0
    assert "statistics counters rebuilt" in capsys.readouterr().out
    with engine.connect() as connection:
        assert connection.execute(sa.text("select sum(n_tasks) from project_counts")).scalar_one() == 1
    engine.dispose()


def test_serve_names_the_projects_whose_scheduler_or_aggregator_is_missing(tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time

    from sqlalchemy.orm import Session

    from pybossa_core.db import get_engine
    from tests.factories import Factories

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ini = write_ini(tmp_path)
    assert main(["-c", ini, "db", "upgrade"]) == 0
    engine = get_engine({"database.url": f"sqlite:///{tmp_path}/site.sqlite"})
    with Session(engine) as session:
        make = Factories(session)
        owner = make.user("owner")
        make.project(owner, "gone", info={"sched": "fifo"})
        make.project(owner, "fine", info={"sched": "breadth_first"})
        session.commit()
    engine.dispose()
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    environ["PYBOSSA_PORT"] = str(port)
    with subprocess.Popen([sys.executable, "-m", "pybossa_core.cli", "-c", ini, "serve", "--threads", "1"],
                          env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as server:
        try:
            # The warning is logged before the server listens: once it does, everything is said.
            deadline = time.monotonic() + 60
            while server.poll() is None and time.monotonic() < deadline:
                with socket.socket() as client:
                    if client.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.05)
        finally:
            server.terminate()
            _, errors = server.communicate(timeout=10)
    [warning] = [line for line in errors.splitlines() if "The scheduler" in line]
    assert "The scheduler fifo is not installed on this site" in warning and "Project gone uses 'default'" in warning
