"""The site as a WSGI application, for any WSGI server: ``pybossa_core.wsgi:application``.

The settings come from the ini file named by ``PYBOSSA_CONFIG`` (else ``./development.ini``
when present, else the ``PYBOSSA_*`` environment alone), as for the ``pybossa`` command.
Each server process that imports this module builds its own application.
"""
from __future__ import annotations

import os
import sys

from pybossa_core.cli import SWITCH_INTERVAL, access_log, default_config, settle_heap, site_application

# Requests make many short database round trips; a thread back from one waits for the GIL up
# to the switch interval (5 ms by default), so every server process sets a shorter one.
sys.setswitchinterval(SWITCH_INTERVAL)

application = site_application(os.environ.get("PYBOSSA_CONFIG") or default_config())
#: What each worker of ``pybossa serve --workers N`` serves: the site with one log line per
#: request, as the one-process server writes it (granian's own access log is off).
logged_application = access_log(application)
settle_heap()
