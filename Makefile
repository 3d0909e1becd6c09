.PHONY: run test lint bench
run:  ## install and run the app with demo data (no services needed)
	bash scripts/run.sh
test:  ## install everything and run the whole suite (PostgreSQL + Redis)
	bash scripts/test.sh
lint:
	.venv/bin/ruff check .
bench:
	.venv/bin/python bench/run.py
