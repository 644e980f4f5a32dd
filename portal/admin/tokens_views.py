"""/admin/token: the read-only API tokens (portal.api.tokens) that /api/summary accepts."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin.forms import RevokeForm, TokenForm
from portal.admin.views import bp
from portal.api import tokens as api_tokens
from portal.core.models import ApiToken
from portal.core.roles import ADMINS
from portal.web import unit
from portal.web.extensions import db
from portal.web.forms import StaleForm
from portal.web.guards import roles_required


def _page(form=None, status=200):
    return render_template("admin/tokens.html", tokens=api_tokens.listing(db.session),
                           form=form or TokenForm(formdata=None), revoke=RevokeForm()), status


@bp.get("/token")
@roles_required(*ADMINS)
def tokens():
    """Every API token (name, maker, created, last used, status) and a form to make one."""
    return _page()


@bp.post("/token")
@roles_required(*ADMINS)
def create_token():
    """Make a token; its plain value is shown once, on the page the browser is sent back to."""
    form = TokenForm()
    if not form.validate():
        return _page(form, 422)
    done = unit.commit(lambda: api_tokens.create(db.session, current_user, form.name.data))
    if not done.ok:
        form.name.errors = [*form.name.errors, done.message]
        return _page(form, done.status)
    token, plain = done.value
    flash(_("Token \u201c%(name)s\u201d dibuat. Salin sekarang, token ini tidak akan ditampilkan lagi: %(token)s",
            name=token.name, token=plain), "info")
    return redirect(url_for("admin.tokens"), 303)


@bp.post("/token/<int:token_id>/cabut")
@roles_required(*ADMINS)
def revoke_token(token_id: int):
    """Revoke a token: requests carrying it are refused from now on."""
    token = db.session.get(ApiToken, token_id) or abort(404)
    if not RevokeForm().validate():
        raise StaleForm()
    done = unit.commit(lambda: api_tokens.revoke(db.session, current_user, token))
    if not done.ok:
        flash(done.message, "error")
        return _page(status=done.status)
    flash(_("Token \u201c%(name)s\u201d dicabut.", name=token.name), "info")
    return redirect(url_for("admin.tokens"), 303)
