# Two commands do everything on a fresh machine:
#   make demo   - set up, then make a video offline (embedded LLM + animatic engine)
#   make test   - set up, then run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)
PROMPT ?= a dog's day at the beach
# llama.cpp for any x86-64 CPU with AVX2: a -march=native build uses AVX-512/AMX where the CPU has
# them, and on such a CPU in this sandbox the embedded model died with SIGSEGV on its first token.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

.PHONY: setup demo test test-fast bench bench-gpu clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch 2.13.0 first: on this kind of machine it resolves to the CPU build (no multi-GB CUDA wheels)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet -e '.[local,diffusion,ray,web,evals,server,test]'
	# a llama.cpp wheel cached from an earlier native build can crash on this CPU: if the embedded
	# model cannot generate, rebuild llama.cpp portably without the cache and check again
	$(BIN)/python -m videodrafter.llm.local_check || { \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet --no-cache-dir --force-reinstall --no-deps \
	    "llama-cpp-python==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')" && \
	  $(BIN)/python -m videodrafter.llm.local_check; }
	# the narration's offline voice (Debian/Ubuntu package; needs root or sudo)
	command -v espeak-ng >/dev/null || \
	  { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq espeak-ng; } || \
	  echo "warning: could not install espeak-ng; until it is, make videos with --voice none or a speech server (--voice openai-compatible:...)" >&2
	# the web UI tests drive a real headless Chromium (Debian/Ubuntu package; needs root or sudo)
	command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; } || \
	  echo "warning: could not install chromium; the web UI test will fail until it is installed" >&2
	# the web UI's status icons (⏳ ✅ 🎬) are emoji: without a colour emoji font Chromium draws boxes
	fc-list 2>/dev/null | grep -qi "Noto Color Emoji" || \
	  { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-noto-color-emoji; } || \
	  echo "warning: could not install fonts-noto-color-emoji; emoji in the web UI will show as boxes" >&2
	# the CapCut export reads clip lengths and sizes through MediaInfo: pymediainfo's wheel usually bundles
	# libmediainfo, the Debian/Ubuntu package covers the platforms where it does not (needs root or sudo)
	dpkg -s libmediainfo0v5 >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libmediainfo0v5; } || \
	  $(BIN)/python -c 'import sys, pymediainfo; sys.exit(not pymediainfo.MediaInfo.can_parse())' || \
	  echo "warning: could not install libmediainfo0v5; export --format capcut will fail until it is installed" >&2
	rm -f $(VENV)/.installed-*
	touch $@

demo: setup
	$(BIN)/videodrafter make "$(PROMPT)" --scenes 4

# pytest exits 5 when it collected nothing: that is a broken suite, not a pass.
test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=15; rc=$$?; \
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
