"""Reading the project's own source in tests: which modules a piece of Python imports."""
from __future__ import annotations

import ast


def imported_modules(source: str) -> set[str]:
    """Return every module ``source`` imports (``from x import y`` gives ``x``)."""
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules
