"""Views; see the package docstring."""
