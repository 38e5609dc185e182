"""Jobs without HTTP: the store of articles and their audio, the caches, the workers that narrate.

The web shell and the CLI use it; it imports no web module (an import-linter contract says so).
"""
