# Two commands do everything on a fresh machine:
#   make demo   - set up, then make a video offline (embedded LLM + animatic engine)
#   make test   - set up, then run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PROMPT ?= a dog's day at the beach

.PHONY: setup demo test test-fast bench bench-gpu clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch 2.13.0 first: on this kind of machine it resolves to the CPU build (no multi-GB CUDA wheels)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[local,diffusion,ray,web,evals,test]'
	# the web UI tests drive a real headless Chromium (Debian/Ubuntu package; needs root or sudo)
	command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; } || \
	  echo "warning: could not install chromium; the web UI test will fail until it is installed" >&2
	rm -f $(VENV)/.installed-*
	touch $@

demo: setup
	$(BIN)/videodrafter make "$(PROMPT)" --scenes 4

# pytest exits 5 when it collected nothing: that is a broken suite, not a pass.
test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the suite is broken" >&2; exit 1; fi; exit $$rc

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

# CPU benchmarks: prints a table, writes benchmarks/results/bench-<time>.json
bench: setup
	$(BIN)/python -m benchmarks.run

# GPU benchmark: the real preset architectures at real sizes with random weights (needs a CUDA GPU)
bench-gpu: setup
	$(BIN)/python -m benchmarks.gpu --video-steps 8

clean:
	rm -rf $(VENV) runs .pytest_cache
