# The two commands of the README's quick start.
.PHONY: start test setup build app lint

setup:
	bash scripts/setup.sh

# Set up, build the graph and the search index from corpus/, and start the app.
start: setup
	.venv/bin/contrats build corpus
	.venv/bin/contrats app

# Set up and run the whole test suite (slow and browser tests included).
test: setup
	.venv/bin/python -m pytest -q

lint:
	.venv/bin/ruff check .
