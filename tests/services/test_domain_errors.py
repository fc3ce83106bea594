"""Services raise the domain's errors (pybossa_core.errors), never Pyramid's HTTP exceptions:
the exception views in errors.py alone decide what each one answers."""
from __future__ import annotations

from pathlib import Path

from tests.source import imported_modules

SERVICES = Path(__file__).resolve().parents[2] / "pybossa_core" / "services"


def test_no_service_imports_pyramids_http_exceptions():
    strays = {
        str(path.relative_to(SERVICES)): modules
        for path in sorted(SERVICES.rglob("*.py"))
        if (modules := {m for m in imported_modules(path.read_text(encoding="utf-8")) if m.startswith(("pyramid.httpexceptions", "webob.exc"))})
    }
    assert not strays
