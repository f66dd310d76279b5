# fmtwist: `make demo` sets everything up and runs the pipeline; `make test` runs the tests.
# Pipeline steps are file targets, so `make` reruns only what is out of date.
#   make demo EPOCHS=2        a quick run
#   make demo ARCH=default    the notebook's first network

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FMTWIST := $(BIN)/fmtwist
ART    := artifacts
ARCH   ?= custom
EPOCHS ?= 15
SEED   ?= 0
# The reference classifier (10 original categories) that names the mystery classes in the report:
# the small network learns them in a few epochs (3 epochs, 88.5 %, already placed all 10 categories right).
REF_ARCH   ?= default
REF_EPOCHS ?= 5
DEBIAN_DATA := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

.PHONY: help setup data-files demo pipeline summary test bench clean
.SECONDARY:

help:
	@echo "make demo    set up, then prepare -> train -> export -> embed -> cluster -> reduce -> plots -> report"
	@echo "make test    set up, then run the test suite"
	@echo "make bench   speed and memory figures (see bench/)"
	@echo "variables:   ARCH=$(ARCH) EPOCHS=$(EPOCHS) REF_ARCH=$(REF_ARCH) REF_EPOCHS=$(REF_EPOCHS) SEED=$(SEED)"

setup: $(VENV)/.installed data-files

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
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

$(ART)/data.npz: | $(VENV)/.installed data-files
	$(FMTWIST) prepare

# the mystery-label network, exported to ONNX, run over the test images
$(ART)/model-$(ARCH).keras: $(ART)/data.npz
	$(FMTWIST) train --arch $(ARCH) --epochs $(EPOCHS) --seed $(SEED)

$(ART)/model-$(ARCH).onnx: $(ART)/model-$(ARCH).keras
	$(FMTWIST) export --model $<

$(ART)/embeddings.npz: $(ART)/model-$(ARCH).onnx
	$(FMTWIST) embed --model $<

# the reference classifier on the 10 original categories (names the mystery classes in the report)
$(ART)/model-$(REF_ARCH)-original.keras: $(ART)/data.npz
	$(FMTWIST) train --arch $(REF_ARCH) --labels original --epochs $(REF_EPOCHS) --seed $(SEED)

$(ART)/model-$(REF_ARCH)-original.onnx: $(ART)/model-$(REF_ARCH)-original.keras
	$(FMTWIST) export --model $<

# the notebook's clusterings and maps
$(ART)/clusters-dbscan.npz: $(ART)/embeddings.npz
	$(FMTWIST) cluster --method dbscan --eps 45 --min-samples 15

$(ART)/clusters-kmeans.npz: $(ART)/embeddings.npz
	$(FMTWIST) cluster --method kmeans --seed $(SEED)

# the 10 original categories, sought inside each mystery class
$(ART)/clusters-kmeans-within.npz: $(ART)/embeddings.npz
	$(FMTWIST) cluster --method kmeans --within-classes --pca 50 --seed $(SEED) --answer-key $(ART)/twist.json

$(ART)/coords-%.npz: $(ART)/embeddings.npz
	$(FMTWIST) reduce --method $* --seed $(SEED)

CLUSTERS := $(ART)/clusters-dbscan.npz $(ART)/clusters-kmeans.npz $(ART)/clusters-kmeans-within.npz
COORDS   := $(ART)/coords-tsne.npz $(ART)/coords-umap.npz $(ART)/coords-pca.npz

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

$(ART)/report/index.html: $(ART)/figures.stamp $(ART)/model-$(REF_ARCH)-original.onnx
	$(FMTWIST) report --answer-key $(ART)/twist.json --reference $(ART)/model-$(REF_ARCH)-original.onnx --seed $(SEED)

pipeline: $(ART)/report/index.html

demo: setup pipeline summary

summary:
	@echo; echo "fmtwist demo: made in $(ART)/"; ls -lh $(ART) | tail -n +2
	@echo; echo "The report: $(ART)/report/index.html (open it in a browser), $(ART)/report/report.md"

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	find $(ART) -mindepth 1 ! -name .gitkeep -delete
