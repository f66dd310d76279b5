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
DEBIAN_DATA := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

.PHONY: help setup data-files demo pipeline summary test bench clean

help:
	@echo "make demo    set up, then prepare -> train -> export -> embed -> cluster -> reduce -> plots -> report"
	@echo "make test    set up, then run the test suite"
	@echo "make bench   speed and memory figures (see bench/)"
	@echo "variables:   ARCH=$(ARCH) EPOCHS=$(EPOCHS) SEED=$(SEED)"

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

$(ART)/model-$(ARCH).keras: $(ART)/data.npz
	$(FMTWIST) train --arch $(ARCH) --epochs $(EPOCHS) --seed $(SEED)

$(ART)/model-$(ARCH).onnx: $(ART)/model-$(ARCH).keras
	$(FMTWIST) export --model $<

$(ART)/embeddings.npz: $(ART)/model-$(ARCH).onnx
	$(FMTWIST) embed --model $<

pipeline: $(ART)/embeddings.npz

demo: setup pipeline summary

summary:
	@echo; echo "fmtwist demo: made in $(ART)/"; ls -lh $(ART) | tail -n +2

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	find $(ART) -mindepth 1 ! -name .gitkeep -delete
