"""Benchmarks of the registry, run against a real gunicorn and PostgreSQL: ``python -m bench``."""
