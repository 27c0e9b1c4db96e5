# Two commands do everything: `make demo` (run the pipeline on the built-in sandbox) and
# `make test` (run every test). Both create and reuse the virtualenv in .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export PYTHONPATH := $(CURDIR)/plugins
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test bench lint install clean releases rollback

demo: $(STAMP)  ## Run the daily DAGs through Airflow for 30 sandbox days, then print the funnel.
	$(BIN)/python -m social_roi demo $(ARGS)

# Two pytest-xdist workers, one per core (decision 62): a module, or the modules sharing a session
# fixture, stay on one worker (tests/conftest.py). `make test XDIST=` runs in one process.
XDIST ?= -n 2 --dist loadgroup --no-loadscope-reorder

test: $(STAMP)  ## Run every test (unit, connectors, dbt, gate, publish, DAG, end-to-end).
	$(BIN)/python -m pytest $(XDIST) $(ARGS)

bench: $(STAMP)  ## Attribution at 1 M conversions; extraction per source over 30 demo days (figures, not pass/fail).
	$(BIN)/python bench/attribution_data_driven.py
	$(BIN)/python bench/attribution_rule_based.py
	$(BIN)/python bench/extract.py

releases: $(STAMP)  ## List the releases of the serving database (current, kept, restored).
	$(BIN)/python -m social_roi releases

rollback: $(STAMP)  ## Serve an earlier release again: `make rollback` (the previous one) or `make rollback RELEASE=12`.
	$(BIN)/python -m social_roi rollback $(RELEASE)

lint: $(STAMP)
	$(BIN)/ruff check dags plugins tests bench

install: $(STAMP)

$(STAMP): requirements.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

clean:  ## Remove runtime state (landing zone, databases, Airflow home); keeps .venv.
	rm -rf var warehouse dbt_project/target dbt_project/logs
