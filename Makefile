# fmtwist: `make demo` sets everything up and runs the pipeline; `make test` runs the tests.
# Pipeline steps are file targets, so `make` reruns only what is out of date.
#   make demo                       the fast network, its schedule cut short: 2-8 minutes on 2 cores, by CPU
#   make demo ARCH=custom EPOCHS=15 the notebook's own network and settings
#   make demo EPOCHS= REF_EPOCHS=   every network with its architecture's full schedule
#   make demo MAPS="tsne umap pca"  UMAP's map too (1.5-3 minutes more on 2 cores)
#   make demo ART=/tmp/demo         everything in another folder

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FMTWIST := $(BIN)/fmtwist
ART    ?= artifacts
export FMTWIST_ARTIFACTS := $(ART)
ARCH   ?= fast
# Empty: the architecture's own schedule (fast: 14 epochs; default and custom: the notebook's 15). The demo cuts
# fast's to 8 (its learning rate still decays to zero at the last epoch) so that `make demo` ends in 2-8 minutes on
# a 2-core machine (by its CPU) with a network of at least 0.935 test accuracy (README, "make demo").
EPOCHS ?= $(if $(filter fast,$(ARCH)),8)
SEED   ?= 0
# The reference classifier (10 original categories) that names the mystery classes in the report. It only has to
# tell the categories apart well enough to place each in its class: 1 epoch of the cheapest network does (test
# accuracy 0.84, 10/10 placed, the least sure category Shirt at 0.67; 2 epochs: 0.88 in twice the time).
REF_ARCH   ?= default
REF_EPOCHS ?= 1
# The 2-D maps: t-SNE (the notebook's) and PCA; UMAP's costs 1.5-3 minutes on 2 cores (numba compiling, one core)
MAPS   ?= tsne pca
DEBIAN_DATA := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

.PHONY: help setup demo-setup data-files browser demo pipeline summary test test-fast lint format bench clean
.SECONDARY:

help:
	@echo "make demo    set up what the demo needs, then prepare -> train -> export -> embed -> cluster -> reduce -> plots -> report"
	@echo "make test    set up, then run the test suite"
	@echo "make test-fast  the tests not marked slow: no training, t-SNE, UMAP or report runs (~50 s of CPU)"
	@echo "make lint    ruff format --check and ruff check (make format fixes what it can)"
	@echo "make bench   speed and memory figures (see bench/)"
	@echo "variables:   ARCH=$(ARCH) EPOCHS=$(EPOCHS) REF_ARCH=$(REF_ARCH) REF_EPOCHS=$(REF_EPOCHS) SEED=$(SEED) MAPS=\"$(MAPS)\""

# What the tests need: the demo's, then the JAX and PyTorch CPU builds, the test tools and Chromium.
setup: $(VENV)/.installed data-files browser
# What the demo needs, and nothing more: fmtwist and its own dependencies, and the data.
demo-setup: $(VENV)/.demo data-files

# The JAX and PyTorch backends' CPU builds, which the tests train with: on these machines
# torch==2.13.0 is a local CPU build (a plain `pip install torch` pulls a multi-GB CUDA one).
CPU_BACKENDS ?= torch==2.13.0 jax==0.10.2 jaxlib==0.10.2

$(VENV)/.demo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# fmtwist used to depend on tensorflow-cpu; the standard tensorflow wheel replaces it, not joins it
	$(BIN)/pip uninstall --quiet --yes tensorflow-cpu >/dev/null 2>&1 || true
	$(BIN)/pip install --quiet -e .
	touch $@

# ruff only: `make lint` needs neither the tests' backends nor Chromium
$(VENV)/.lint: $(VENV)/.demo pyproject.toml
	$(BIN)/pip install --quiet -e '.[lint]'
	touch $@

$(VENV)/.installed: $(VENV)/.demo
	$(BIN)/pip install --quiet $(CPU_BACKENDS)
	$(BIN)/pip install --quiet -e '.[test,jax,torch]'
	touch $@

# Debian's dataset-fashion-mnist package when we may install it; otherwise
# `fmtwist prepare` downloads the official files and checks their SHA-256.
data-files:
	@if [ -f $(DEBIAN_DATA) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's dataset-fashion-mnist"; \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist \
	    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; }; } >/dev/null \
	    || echo "apt-get failed: fmtwist prepare will download the data"; \
	else echo "not root on Debian: fmtwist prepare will download the data"; fi

# Debian's chromium, for the explore page's browser tests (tests/test_explore_browser.py) and bench/bench_explore.py;
# never `playwright install`, which downloads a browser. Elsewhere the browser tests skip.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium"; \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }; } >/dev/null \
	    || echo "apt-get failed: no /usr/bin/chromium, the browser tests skip (and fail in CI)"; \
	else echo "not root on Debian: no /usr/bin/chromium, the browser tests skip (and fail in CI)"; fi

$(ART)/data.npz: | $(VENV)/.demo data-files
	$(FMTWIST) prepare

# the mystery-label network, exported to ONNX, run over the test images
$(ART)/model-$(ARCH).keras: $(ART)/data.npz
	$(FMTWIST) train --arch $(ARCH) $(if $(EPOCHS),--epochs $(EPOCHS)) --seed $(SEED)

$(ART)/model-$(ARCH).onnx: $(ART)/model-$(ARCH).keras
	$(FMTWIST) export --model $<

$(ART)/embeddings.npz: $(ART)/model-$(ARCH).onnx
	$(FMTWIST) embed --model $<

# the reference classifier on the 10 original categories (names the mystery classes in the report)
$(ART)/model-$(REF_ARCH)-original.keras: $(ART)/data.npz
	$(FMTWIST) train --arch $(REF_ARCH) --labels original $(if $(REF_EPOCHS),--epochs $(REF_EPOCHS)) --seed $(SEED)

$(ART)/model-$(REF_ARCH)-original.onnx: $(ART)/model-$(REF_ARCH)-original.keras
	$(FMTWIST) export --model $<

# the notebook's clusterings and maps. Its DBSCAN (--eps 45 on the standardized encoding) suits its own network:
# on the wider encoding of `fast` it puts every point in one cluster (its warning names this setting instead), so
# the demo runs DBSCAN on the t-SNE map, with eps at the knee of the k-distance curve and the notebook's min_samples.
$(ART)/clusters-dbscan.npz: $(ART)/embeddings.npz $(ART)/coords-tsne.npz
	$(FMTWIST) cluster --method dbscan --coords $(ART)/coords-tsne.npz --eps auto --min-samples 15 --answer-key $(ART)/twist.json

$(ART)/clusters-kmeans.npz: $(ART)/embeddings.npz
	$(FMTWIST) cluster --method kmeans --seed $(SEED)

# the 10 original categories, sought inside each mystery class
$(ART)/clusters-kmeans-within.npz: $(ART)/embeddings.npz
	$(FMTWIST) cluster --method kmeans --within-classes --pca 50 --seed $(SEED) --answer-key $(ART)/twist.json

$(ART)/coords-%.npz: $(ART)/embeddings.npz
	$(FMTWIST) reduce --method $* --seed $(SEED)

CLUSTERS := $(ART)/clusters-dbscan.npz $(ART)/clusters-kmeans.npz $(ART)/clusters-kmeans-within.npz
COORDS   := $(foreach map,$(MAPS),$(ART)/coords-$(map).npz)

$(ART)/figures.stamp: $(ART)/embeddings.npz $(CLUSTERS) $(COORDS)
	$(FMTWIST) plot history
	$(FMTWIST) plot confusion
	$(FMTWIST) plot kdist --clusters $(ART)/clusters-dbscan.npz
	$(FMTWIST) plot scatter --coords $(ART)/coords-tsne.npz --by label
	$(FMTWIST) plot scatter --coords $(ART)/coords-tsne.npz --by cluster --clusters $(ART)/clusters-kmeans.npz
	$(FMTWIST) plot scatter --coords $(ART)/coords-tsne.npz --by cluster --clusters $(ART)/clusters-dbscan.npz
	$(FMTWIST) plot grid --by label --seed $(SEED)
	$(FMTWIST) plot grid --by cluster --clusters $(ART)/clusters-kmeans.npz --seed $(SEED)
	touch $@

# the interactive page: every image on the map, selections, a guess to save (no answer key: it would spoil the puzzle)
$(ART)/explore.html: $(ART)/figures.stamp $(ART)/model-$(REF_ARCH)-original.onnx
	$(FMTWIST) explore --reference $(ART)/model-$(REF_ARCH)-original.onnx

# after the page, so the report links to it
$(ART)/report/index.html: $(ART)/figures.stamp $(ART)/model-$(REF_ARCH)-original.onnx $(ART)/explore.html
	$(FMTWIST) report --answer-key $(ART)/twist.json --reference $(ART)/model-$(REF_ARCH)-original.onnx --seed $(SEED)

pipeline: $(ART)/report/index.html $(ART)/explore.html

demo: demo-setup pipeline summary

summary:
	@echo; echo "fmtwist demo: made in $(ART)/"; ls -lh $(ART) | tail -n +2
	@echo; echo "The report: $(ART)/report/index.html (open it in a browser), $(ART)/report/report.md"
	@echo "The explore page: $(ART)/explore.html (open it in a browser; it works offline)"

test: setup
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

# ruff's settings live in pyproject.toml (line length 120); `make format` rewrites, `make lint` only checks.
lint: $(VENV)/.lint
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(VENV)/.lint
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	find $(ART) -mindepth 1 ! -name .gitkeep -delete
