# Two commands a newcomer needs on a fresh clone: `make demo` and `make test`.
# Everything else they rely on (the virtualenv, the packages, the sandbox) is made here.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
CODE   := $(wildcard bctrl_tools mcp_server tests examples benchmarks)
# The TypeScript MCP SDK, a third-party client for tests/mcp/test_typescript_client.py.
TS_CLIENT := tests/mcp/typescript
TS_STAMP  := $(TS_CLIENT)/node_modules/.installed-stamp
NPM       := $(shell command -v npm 2>/dev/null)

.PHONY: install ts-client lint typecheck unit test demo next-steps bench sandbox clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# npm ci installs exactly the committed lock file; without npm the test says it skipped.
$(TS_STAMP): $(TS_CLIENT)/package.json $(TS_CLIENT)/package-lock.json
	cd $(TS_CLIENT) && npm ci --no-audit --no-fund --loglevel=error
	touch $(TS_STAMP)

ts-client: $(if $(NPM),$(TS_STAMP))
	@$(if $(NPM),true,echo "*** npm not found: the TypeScript SDK client test will be SKIPPED ***" >&2)

install: $(STAMP) ts-client

lint: install
	$(VENV)/bin/ruff check $(CODE)
	$(VENV)/bin/ruff format --check $(CODE)

typecheck: install
	$(VENV)/bin/mypy $(CODE)

unit: install
	$(PY) -m pytest tests/unit -q

test: lint typecheck
	$(PY) -m pytest -q

demo: install
	$(PY) examples/demo.py
	@$(MAKE) --no-print-directory next-steps

# What to try after the demo; the commands live in .venv, which is not on PATH.
next-steps:
	@echo ""
	@echo "Next, try the commands yourself (they are in $(VENV)/bin; or first: . $(VENV)/bin/activate):"
	@echo "  $(VENV)/bin/bctrl-sandbox --seed 3 --memory     # a local bctrl API; leave it running"
	@echo "  # in another shell, point the tools at it (never at the real API):"
	@echo "  export BCTRL_BASE_URL=http://127.0.0.1:8787 BCTRL_API_KEY=sandbox"
	@echo "  $(VENV)/bin/bctrl-tools get ID                  # an id the sandbox printed"
	@echo "  $(VENV)/bin/bctrl-tools cancel ID --wait 10"
	@echo "  $(VENV)/bin/bctrl-mcp --help                    # the MCP server, for Claude Desktop/Code"

bench: install
	$(PY) -m benchmarks

sandbox: install
	$(VENV)/bin/bctrl-sandbox --seed 3

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis $(TS_CLIENT)/node_modules
