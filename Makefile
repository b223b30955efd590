# GVisage: two commands do all the set-up on a fresh machine.
#   make reproduce   # creates .venv if missing, installs, runs every notebook on the synthetic twin (quick profile)
#   make test        # creates .venv if missing, installs, runs the test suite
PYTHON  ?= python3
VENV    ?= .venv
PROFILE ?= quick
SEED    ?= 20250130
# torch/torchvision pair that imports together on this project's machines (a local wheel on them; PyPI elsewhere).
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.gvisage-installed

.PHONY: reproduce test install benchmarks clean-runs

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_SPEC)
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

reproduce: $(STAMP)
	$(VENV)/bin/gvisage reproduce --profile $(PROFILE) --seed $(SEED) --out runs/$(PROFILE)
	@mkdir -p figures && cp runs/$(PROFILE)/figures/* figures/
	@echo "overview: runs/$(PROFILE)/index.html   rendered notebooks: runs/$(PROFILE)/html/   figures: figures/   provenance: runs/$(PROFILE)/run.json"

test: $(STAMP)
	$(PY) -m pytest

benchmarks: $(STAMP)
	$(PY) benchmarks/delong.py
	$(PY) benchmarks/preprocess.py
	$(PY) benchmarks/train_throughput.py

clean-runs:
	rm -rf runs
