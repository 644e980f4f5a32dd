"""The interface language: a POST that switches between Bahasa Indonesia and English."""
from flask import Blueprint

bp = Blueprint("lang", __name__)

from portal.lang import routes  # noqa: E402,F401  (registers the views)
