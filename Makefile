# make serve: install everything into .venv, create or upgrade the database, serve the site
#             (with a random secret made once into var/secret).
# make test:  install everything into .venv and run the whole suite (core and bundled plugins),
#             on SQLite, and on PostgreSQL and Redis when they answer on 127.0.0.1.
# make test-fast: the suite without the tests marked browser, functional or slow, on SQLite only
#             (the edit-and-check loop; make test still runs everything).
# make pot:   extract the marked texts into a .pot per distribution (committed; docs/i18n.md).
# make po:    bring every catalog (.po) up to date with its .pot, for translators.
# make mo:    compile the catalogs (.mo, not committed); install, serve and test do it too.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/*/pyproject.toml))
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/pybossa_test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

#: Each bundled plugin's package folder (src/<package>): its own translation domain, <package>.
PLUGIN_PACKAGES := $(patsubst %/__init__.py,%,$(wildcard plugins/*/*/src/*/__init__.py))
CATALOGS := $(shell find pybossa_core/locale plugins -name '*.po' -path '*/LC_MESSAGES/*' 2>/dev/null)
.PHONY: install serve test test-fast pot po mo

$(VENV)/.installed: setup.cfg pyproject.toml $(addsuffix /pyproject.toml,$(PLUGIN_DIRS))
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || (apt-get update && apt-get install -y python3-venv)
	@# The browser tests (tests/browser) drive Debian's Chromium through Playwright.
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]' $(addprefix -e ,$(PLUGIN_DIRS))
	@# pbs (PYBOSSA's command line client, driven by tests/test_pbs.py) pins Click 7, which
	@# schemathesis cannot share: it gets a venv of its own.
	$(PYTHON) -m venv $(VENV)/pbs
	$(VENV)/pbs/bin/pip install --quiet pybossa-pbs==3.0.0
	touch $@

install: $(VENV)/.installed mo

# The .pot of the core (domain pybossa_core) and of each plugin (domain: its package's name).
pot: $(VENV)/.installed
	$(BIN)/python -m pybossa_core.catalogs pot pybossa_core $(PLUGIN_PACKAGES)

po: $(VENV)/.installed
	@for po in $(CATALOGS); do \
		domain=$$(basename $$po .po); pot=$$(dirname $$(dirname $$(dirname $$po)))/$$domain.pot; \
		$(BIN)/pybabel --quiet update --no-wrap --ignore-obsolete -i $$pot -o $$po -l $$(basename $$(dirname $$(dirname $$po))) || exit 1; \
	done

mo: $(patsubst %.po,%.mo,$(CATALOGS))

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel --quiet compile -i $< -o $@

# The development site's secret: random, made on the first `make serve`, kept in var/ (not in git).
# PYBOSSA_SECRET, when set, wins.
var/secret:
	@mkdir -p var && umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(32))' > $@

serve: install var/secret
	PYBOSSA_SECRET="$${PYBOSSA_SECRET:-$$(cat var/secret)}" $(BIN)/pybossa db upgrade
	PYBOSSA_SECRET="$${PYBOSSA_SECRET:-$$(cat var/secret)}" $(BIN)/pybossa serve

# PYBOSSA_TEST_DATABASE_URL / PYBOSSA_TEST_REDIS_URL are set only when the service answers;
# with REQUIRE_SERVICES=1 (as CI runs it) a missing service fails the run instead.
test: install
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_ADMIN_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "PostgreSQL answers: the suite runs on SQLite and on PostgreSQL"; \
		export PYBOSSA_TEST_DATABASE_URL=$(TEST_DATABASE_URL); \
	elif [ -n "$(REQUIRE_SERVICES)" ]; then echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; \
	else echo "PostgreSQL does not answer: the suite runs on SQLite only"; fi; \
	if $(BIN)/python -c "import redis; redis.Redis.from_url('$(TEST_REDIS_URL)', socket_timeout=3).ping()" 2>/dev/null; then \
		echo "Redis answers: the Redis back ends are tested too"; \
		export PYBOSSA_TEST_REDIS_URL=$(TEST_REDIS_URL); \
	elif [ -n "$(REQUIRE_SERVICES)" ]; then echo "Redis does not answer on 127.0.0.1:6379" >&2; exit 1; \
	else echo "Redis does not answer: in-process back ends only"; fi; \
	$(BIN)/pytest $(PYTEST_ARGS)

# Markers: setup.cfg registers them, tests/conftest.py puts browser and functional on their folders.
test-fast: install
	PYBOSSA_TEST_DATABASE_URL= PYBOSSA_TEST_REDIS_URL= $(BIN)/pytest -m "not browser and not functional and not slow" $(PYTEST_ARGS)
