"""Broken plugins, installed into a temporary environment as a deployer would install them:
each way a plugin can fail is named on one line by ``pybossa plugins``, stops ``pybossa serve``
with plugins.strict, and fails the plugin's own tests; two plugins claiming one importer stop
``pybossa serve`` naming both distributions."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pybossa_core.testing import SECRET

PYBOSSA = str(Path(sys.executable).with_name("pybossa"))

HOOKS = {
    # A misspelled hook: pluggy's validation finds it.
    "typo": '''
        @hookimpl
        def register_importerz():
            return []
    ''',
    "raises": '''
        @hookimpl
        def register_importers():
            raise RuntimeError("no service configured")
    ''',
    "wrongtype": '''
        @hookimpl
        def register_importers():
            return "csv"
    ''',
    "unimportable": '''
        import missing_dependency_xyz
    ''',
    "twin-a": '''
        @hookimpl
        def register_importers():
            return [ImporterSpec("twin", "Twin A", colander.MappingSchema, list)]
    ''',
    "twin-b": '''
        @hookimpl
        def register_importers():
            return [ImporterSpec("twin", "Twin B", colander.MappingSchema, list)]
    ''',
}

#: What ``pybossa plugins`` says of each, on one line.
LISTED = {
    "typo": "importer-typo - FAILED PluginValidationError: unknown hook 'register_importerz' in plugin ",
    "raises": "importer-raises - FAILED register_importers raised RuntimeError: no service configured",
    "wrongtype": "importer-wrongtype - FAILED register_importers returned a str, not a list of ImporterSpec",
    "unimportable": "importer-unimportable - FAILED ModuleNotFoundError: No module named 'missing_dependency_xyz'",
    "twin-a": "importer-twin-a 0.1.0 CONFLICT importer twin with importer-twin-b (register_importers)",
    "twin-b": "importer-twin-b 0.1.0 CONFLICT importer twin with importer-twin-a (register_importers)",
}

PLUGIN_TESTS = '''
from pybossa_core.testing import create_user


def test_its_importer_is_registered(pybossa_hooks):
    assert pybossa_hooks.register_importers()


def test_a_site_serves_it(pybossa_testapp):
    create_user(pybossa_testapp, "owner")
'''


#: The distributions installed: one holding the four broken plugins, and the two twins.
DISTRIBUTIONS = {"broken": ("typo", "raises", "wrongtype", "unimportable"), "twin-a": ("twin-a",), "twin-b": ("twin-b",)}


def package_of(kind: str) -> str:
    return f"pybossa_importer_{kind.replace('-', '_')}"


def write_distribution(root: Path, name: str, kinds: tuple[str, ...]) -> Path:
    """Write the distribution ``pybossa-importer-<name>``: one plugin package per kind, each with
    its own tests under ``tests/<kind>/``."""
    distribution = root / f"pybossa-importer-{name}"
    entry_points = "\n".join(f'importer-{kind} = "{package_of(kind)}"' for kind in kinds)
    distribution.mkdir()
    (distribution / "pyproject.toml").write_text(textwrap.dedent('''
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "pybossa-importer-{name}"
        version = "0.1.0"
        requires-python = ">=3.11"

        [project.entry-points.pybossa]
    ''').format(name=name) + entry_points + "\n")
    header = "import colander\n\nfrom pybossa_core.plugin_api import ImporterSpec, hookimpl\n"
    for kind in kinds:
        package, tests = distribution / "src" / package_of(kind), distribution / "tests" / kind
        package.mkdir(parents=True)
        tests.mkdir(parents=True)
        (package / "__init__.py").write_text(header + textwrap.dedent(HOOKS[kind]))
        (tests / "conftest.py").write_text(
            f"import pytest\n\n\n@pytest.fixture\ndef pybossa_plugins():\n    import {package_of(kind)}\n\n"
            f"    return [{package_of(kind)}]\n"
        )
        (tests / f"test_{package_of(kind)}.py").write_text(PLUGIN_TESTS)
    return distribution


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory):
    """An environment with the broken plugins installed beside the core, and a site's ini file."""
    root = tmp_path_factory.mktemp("broken_plugins")
    distributions = [write_distribution(root, name, kinds) for name, kinds in DISTRIBUTIONS.items()]
    target = root / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         *map(str, distributions)],
        check=True, capture_output=True, timeout=300,
    )
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    environ["PYTHONPATH"] = str(target)
    ini = root / "site.ini"
    ini.write_text(f"[app:main]\nuse = egg:pybossa-core\nsecret = {SECRET}\ndatabase.url = sqlite:///{root}/site.sqlite\n")
    return root, environ, ini


def pybossa(broken_site, *args: str, **environ: str) -> subprocess.CompletedProcess:
    root, base, ini = broken_site
    return subprocess.run([PYBOSSA, "-c", str(ini), *args], cwd=root, env={**base, **environ},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_pybossa_plugins_names_each_failure_on_one_line(broken_site):
    listing = pybossa(broken_site, "plugins")

    lines = listing.stdout.splitlines()
    for kind, expected in LISTED.items():
        assert [line for line in lines if line.startswith(expected)], (kind, listing.stdout)
    assert listing.returncode == 1


@pytest.mark.slow
def test_two_plugins_claiming_one_importer_stop_serve_naming_both(broken_site):
    served = pybossa(broken_site, "serve")

    # The last line of the error output says why, after the log of the plugins left out.
    message = served.stderr.splitlines()[-1]
    assert served.returncode == 2
    assert message.startswith("pybossa: importer 'twin' is registered by"), served.stderr
    assert "importer-twin-a (pybossa-importer-twin-a)" in message
    assert "importer-twin-b (pybossa-importer-twin-b)" in message


@pytest.mark.slow
def test_plugins_strict_stops_serve_naming_each_failed_plugin(broken_site):
    served = pybossa(broken_site, "serve", PYBOSSA_PLUGINS_PREFER="importer-twin-a", PYBOSSA_PLUGINS_STRICT="true")

    message = served.stderr.splitlines()[-1]
    assert served.returncode == 2
    assert message.startswith("pybossa: plugin importer-"), served.stderr
    assert "twin" not in message
    for kind in ("typo", "raises", "wrongtype", "unimportable"):
        assert f"plugin importer-{kind} failed: " in message


@pytest.mark.slow
def test_the_broken_plugins_own_tests_fail_saying_why(broken_site):
    root, environ, _ = broken_site
    reasons = {
        "typo": "unknown hook 'register_importerz'",
        "raises": "register_importers raised RuntimeError: no service configured",
        "wrongtype": "register_importers returned a str, not a list of ImporterSpec",
    }
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *(f"tests/{kind}" for kind in reasons)],
        cwd=root / "pybossa-importer-broken", env=environ, capture_output=True, text=True, timeout=300,
    )

    # Each plugin's two tests (one on pybossa_hooks, one on a site) fail in their fixtures.
    assert tests.returncode == 1, tests.stdout
    assert "6 errors" in tests.stdout, tests.stdout
    for kind, reason in reasons.items():
        assert f"PluginStartupError: plugin {package_of(kind)} failed: " in tests.stdout
        assert reason in tests.stdout
