"""Test input files, built in code (see messy.py) so each test states what it feeds the import."""
