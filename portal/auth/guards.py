"""Role checks as decorators, so a view states who may use it in one line."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def roles_required(*roles: str):
    """Logged in (else to the login page) and in one of `roles` (else 403)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        wrapped.roles = roles  # read by the authorization-matrix test
        return wrapped
    return decorator
