"""pluggy's markers of the ``pybossa`` project, in a module of their own so that the hook
specifications, the plugin manager and ``plugin_api`` (which plugins import ``hookimpl`` from)
all depend on it and not on each other."""
from __future__ import annotations

import pluggy

#: Marks the hook specifications in ``pybossa_core.hookspecs``.
hookspec = pluggy.HookspecMarker("pybossa")
#: Marks a plugin's hook implementations (plugins import it from ``pybossa_core.plugin_api``).
hookimpl = pluggy.HookimplMarker("pybossa")
