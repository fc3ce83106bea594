"""Settings: ini values, PYBOSSA_* overrides, and clear errors for unknown or malformed ones."""
from __future__ import annotations

import pytest

from pybossa_core.config import configure
from pybossa_core.interfaces import IAuthProviders, IImporters, IPluginHooks, IPresenters, IStatsCalculators, find_service
from pybossa_core.settings import SettingsError, environment_variable, load_settings

BASE = {"secret": "a-secret-long-enough-for-thirty-two"}


def test_defaults_fill_what_the_ini_leaves_out():
    settings = load_settings(BASE, environ={})
    assert settings["database.url"] == "sqlite:///var/pybossa.sqlite"
    assert (settings["host"], settings["port"], settings["api.max_limit"]) == ("127.0.0.1", 5000, 100)
    assert "png" in settings["uploads.allowed_extensions"]


def test_environment_overrides_the_ini():
    environ = {"PYBOSSA_DATABASE_URL": "postgresql://db/site", "PYBOSSA_PORT": "8080", "PYBOSSA_HOST": "0.0.0.0"}
    settings = load_settings({**BASE, "port": "5000"}, environ=environ)
    assert (settings["database.url"], settings["port"], settings["host"]) == ("postgresql://db/site", 8080, "0.0.0.0")
    assert environment_variable("api.max_limit") == "PYBOSSA_API_MAX_LIMIT"


@pytest.mark.parametrize(
    "raw, environ, named",
    [
        ({"databse.url": "x"}, {}, "databse.url"),
        ({}, {"PYBOSSA_DATABSE_URL": "x"}, "PYBOSSA_DATABSE_URL"),
        ({"port": "eighty"}, {}, "port"),
        ({}, {"PYBOSSA_PORT": "70000"}, "port"),
        ({"api.max_limit": "0"}, {}, "api.max_limit"),
        ({"secret": "short"}, {}, "secret"),
    ],
)
def test_unknown_or_malformed_settings_stop_startup_naming_the_key(raw, environ, named):
    with pytest.raises(SettingsError) as error:
        configure({**BASE, **raw}, environ=environ)
    assert named in str(error.value)


def test_missing_secret_stops_startup():
    with pytest.raises(SettingsError, match="secret"):
        load_settings({}, environ={})


def test_library_settings_pass_through():
    settings = load_settings({**BASE, "pyramid.reload_templates": "false", "retry.attempts": "2"}, environ={})
    assert settings["retry.attempts"] == "2"


def test_bundled_plugins_are_discovered_at_startup(app):
    """The four bundled distributions are installed by the Makefile and found through entry points."""
    registry = app.registry
    assert "csv" in find_service(registry, IImporters) and "basic" in find_service(registry, IPresenters)
    assert "twitter" in find_service(registry, IAuthProviders) and "project" in find_service(registry, IStatsCalculators)
    names = {info.name for info in find_service(registry, IPluginHooks).list_plugins()}
    assert {"importer-csv", "presenter-basic", "auth-twitter", "stats-default"} <= names
    assert find_service(registry, IPluginHooks).failed == []


def test_library_settings_in_the_ini_can_be_overridden_too():
    settings = load_settings({**BASE, "retry.attempts": "3"}, environ={"PYBOSSA_RETRY_ATTEMPTS": "5"})
    assert settings["retry.attempts"] == "5"
    with pytest.raises(SettingsError, match="PYBOSSA_RETRY_ATTEMPTS"):
        load_settings(BASE, environ={"PYBOSSA_RETRY_ATTEMPTS": "5"})


@pytest.mark.parametrize("secret", ["development-secret-change-me", "x" * 31])
def test_a_short_or_published_secret_stops_startup_saying_how_to_set_one(secret):
    with pytest.raises(SettingsError) as error:
        load_settings({"secret": secret}, environ={})
    assert "setting 'secret'" in str(error.value) and "PYBOSSA_SECRET" in str(error.value)


def test_the_development_site_ships_no_secret_and_make_serve_makes_one(tmp_path):
    """development.ini names none; `make serve` makes a random one into var/secret, once."""
    import subprocess
    from pathlib import Path

    from pyramid.paster import get_appsettings

    ini = Path(__file__).parent.parent / "development.ini"
    assert "secret" not in get_appsettings(str(ini))
    with pytest.raises(SettingsError, match="PYBOSSA_SECRET"):
        load_settings({}, environ={})
    made = []
    for _ in range(2):
        subprocess.run(["make", "-s", "-f", str(ini.parent / "Makefile"), "var/secret"], cwd=tmp_path, check=True)
        made.append((tmp_path / "var" / "secret").read_text().strip())
    assert made[0] == made[1] and load_settings({"secret": made[0]}, environ={})["secret"] == made[0]
    assert (tmp_path / "var" / "secret").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("url", ["crowd.example.org", "ftp://crowd.example.org", "https://", "https://x.org/?a=1"])
def test_site_url_must_be_an_http_url(url):
    with pytest.raises(SettingsError, match="site.url"):
        load_settings({**BASE, "site.url": url}, environ={})
