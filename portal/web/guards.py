"""Role checks as decorators, so a view states who may use it in one line, and `can`, which reads
those same guards so the navigation never offers a page its view would refuse."""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app
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
        wrapped.roles = roles  # read by `can`
        return wrapped
    return decorator


def can(endpoint: str) -> bool:
    """Whether the current user may open `endpoint`, by the roles its view's guard names (a view
    without a role guard is open to everyone)."""
    roles = getattr(current_app.view_functions[endpoint], "roles", None)
    if roles is None:
        return True
    return current_user.is_authenticated and current_user.role in roles
