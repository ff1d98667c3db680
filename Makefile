# Two commands on a fresh machine: `make run` and `make test`.
# Both create .venv (if missing) from nothing but a Python 3.11+ interpreter.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test bench clean package package-check screenshots pack-schema

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,server]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/fieldnote

# pytest-xdist: one worker per core, at most 4 (each worker starts its own sync servers and
# PostgreSQL databases); `make test TEST_WORKERS=0` runs everything in this one process.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/ruff format --check desktop sync tests bench packaging scripts
	$(BIN)/ruff check desktop sync tests bench packaging scripts
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --maxprocesses 4 --dist worksteal

# The instrument pack JSON Schema, generated from desktop/forms/pack_format.py (without make:
# `python -m desktop.forms.pack_format docs/schemas/pack.schema.json`).
pack-schema: $(STAMP)
	$(BIN)/python -m desktop.forms.pack_format docs/schemas/pack.schema.json

# The main screens with demo data, offscreen at 1366x768 and 1024x700, in docs/images/screens/.
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

bench: $(STAMP)
	for b in bench/*.py; do echo "== $$b"; QT_QPA_PLATFORM=offscreen $(BIN)/python $$b || exit 1; done

# The frozen desktop app for this machine's OS, in dist/Fieldnote/ (packaging/README.md);
# on Linux also the tarball dist/fieldnote-<version>-linux-<arch>.tar.gz.
PACKAGE_STAMP := $(VENV)/.package-stamp
$(PACKAGE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[package]'
	touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(BIN)/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/fieldnote.spec
	if [ "$$(uname -s)" = Linux ]; then $(BIN)/python packaging/linux/make_tarball.py; fi

# Build, then run the built executable's self-check, the packaging tests (which now include
# the frozen build's self-check) and the frozen-vs-source start-up benchmark. CI runs it.
package-check: package
	QT_QPA_PLATFORM=offscreen dist/Fieldnote/Fieldnote --self-check
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider tests/packaging
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/frozen.py 3

clean:
	rm -rf $(VENV) build dist *.egg-info
