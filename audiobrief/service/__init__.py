"""Jobs without HTTP: the Service, the seams it needs (backends.py) and their engines — embedded
(SQLite, files, threads) and distributed (PostgreSQL, SAQ on Redis, S3) — and the worker process.

The web shell and the CLI use it; it imports no web module (an import-linter contract says so).
"""
