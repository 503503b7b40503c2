# report-qa: `make run` starts the chat over the bundled report; `make test` runs every test.
PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed
export GRADIO_ANALYTICS_ENABLED = False
export HF_HUB_OFFLINE = 1
export TOKENIZERS_PARALLELISM = false

.PHONY: install index run serve test test-fast check lint eval eval-check eval-milvus bench browser clean

install: $(STAMP)

# torch is installed first and pinned: the CPU wheel lies on this machine; an unpinned torch pulls CUDA.
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,milvus]'
	$(BIN)/python -m ingest.onnx_export  # the embedding model as ONNX, once, so the first `ask` is fast
	$(BIN)/python -c "import torch, sys; v = torch.__version__; sys.exit(0 if v.startswith('2.13.0') and not torch.version.cuda else 'torch ' + v + ' is not the CPU 2.13.0 build')"
	touch $(STAMP)

index: install
	$(BIN)/report-qa ingest

run: index
	$(BIN)/report-qa serve

serve: run

# Headless Chromium for the browser test comes from Debian; without it that test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null) || echo "warning: chromium could not be installed; the browser test will skip"

test: install browser
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not browser"

lint: install
	$(BIN)/ruff check ingest retrieval ui evals tests scripts

check: lint test

eval: index
	$(BIN)/report-qa eval --compare --out evals/runs/latest
	$(BIN)/report-qa eval --compare --dataset evals/heldout.jsonl --out evals/runs/heldout
	$(BIN)/report-qa eval --dataset evals/dataset.jsonl --dataset evals/heldout.jsonl --dataset evals/extra.jsonl --dataset 'evals/ofsted-*.jsonl' --out evals/runs/reports

eval-check: index
	$(BIN)/report-qa eval --check --out evals/runs/ci

# The same gate with the Milvus first stage (milvus-lite); docs/scaling.md compares the two.
eval-milvus: index
	$(BIN)/report-qa eval --check --store-backend milvus --out evals/runs/milvus

bench: index
	$(BIN)/report-qa bench

clean:
	rm -rf $(VENV) corpus/index evals/runs
