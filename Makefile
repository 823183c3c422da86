# The two entry points of the README: `make demo` and `make test`. Everything they need is installed here,
# by package name, from PyPI (Python packages), npm (anvil, solc-js) and Maven Central (Elasticsearch).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install elasticsearch chromium

demo: install
	$(BIN)/aquarius demo

test: install elasticsearch chromium lint
	scripts/install-clients.sh
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund --no-save
	touch $@

elasticsearch:
	scripts/fetch-elasticsearch.sh >/dev/null

# The explorer's browser test drives Debian's chromium (installed with apt-get when missing).
chromium:
	scripts/install-chromium.sh
