# Two commands do all the set-up: `make demo` and `make test` (both install into .venv/ first if needed).
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)

.PHONY: install demo test test-fast bench clean

install:
	bash scripts/install.sh

demo: install
	$(PY) scripts/demo.py --out out/demo

test: install
	$(PY) -m pytest -q tests

test-fast: install
	$(PY) -m pytest -q -m "not slow" tests

bench: install
	$(PY) bench/run_all.py --out bench/results

clean:
	rm -rf out build *.egg-info vnvc/_native*.so
