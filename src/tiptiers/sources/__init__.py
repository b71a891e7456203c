"""Parsers and importers: pure functions from files to validated records."""
