"""The web floor: the Flask glue every audience shares (settings, extensions, database
session, errors, security headers, locale choice, CLI, presenters). It imports the domain
and never an audience package (tests/test_boundaries.py)."""
