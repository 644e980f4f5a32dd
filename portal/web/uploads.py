"""Every upload that is previewed before it is applied (BPJS's participant file, the offline
decision sheet): the forms, the stash that keeps the file between preview and apply, and the
flow itself (`UploadFlow`: upload → preview → apply, all or nothing).

Why a stash on disk: sessions are signed cookies (no room for a 5 MB file), and asking for the
file again on apply lets someone apply a different file than the one previewed. The file goes
to the instance folder under a random token (128 bits) carried in the URL; only the user who
uploaded it can open it, its SHA-256 is checked on apply (also against the hidden field of the
preview's form), the content is deleted once applied, and anything older than a day is purged
(on every new upload, and by `flask purge-uploads` in the evening job). Files are 0600 in a 0700
folder whatever the umask: they hold NIKs, like the backups.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from typing import Callable

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

from portal.core import clock, sheets
from portal.core.errors import TransitionError
from portal.web import unit
from portal.web.forms import PortalForm
from portal.web.text import describe

TOKEN = re.compile(r"^[0-9a-f]{32}$")
MAX_AGE = 24 * 3600  # seconds a stashed file is kept, applied or not


class UploadForm(PortalForm):
    berkas = FileField(_l("Berkas"), validators=[FileRequired(message=_l("Pilih berkas untuk diunggah."))])


class ApplyForm(PortalForm):
    sha = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])


def upload(form: UploadForm, limit: int) -> tuple[str, bytes]:
    """The uploaded file's plain name and at most `limit` + 1 bytes of it (so "too big" shows)."""
    storage = form.berkas.data
    return sheets.file_name(storage.filename or ""), storage.stream.read(limit + 1)


class Stash:
    """Uploaded files under `folder`: <token>.bin (content) and <token>.json (owner, kind, name,
    SHA-256, and the result once applied)."""

    def __init__(self, folder: str):
        self.folder = folder
        os.makedirs(folder, mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)  # makedirs' mode is cut by the umask, and an older folder may be 0755

    def _path(self, token: str, ext: str) -> str:
        return os.path.join(self.folder, f"{token}.{ext}")

    def _create(self, path: str, data: bytes) -> None:
        """Write a new file readable by the portal's user only (0600 whatever the umask), dated
        by the portal's clock so that `purge` and a test moving the clock agree."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(data)
            f.flush()
            moment = clock.now().timestamp()
            os.utime(f.fileno(), (moment, moment))

    def put(self, user_id: int, kind: str, name: str, data: bytes) -> str:
        """Keep `data`; returns its token. Purges what is older than a day first."""
        self.purge()
        token = secrets.token_hex(16)
        self._create(self._path(token, "bin"), data)
        self._write(token, {"user": user_id, "kind": kind, "name": name, "created": clock.now().timestamp(),
                            "sha256": hashlib.sha256(data).hexdigest(), "result": None})
        return token

    def meta(self, token: str, user_id: int, kind: str) -> dict | None:
        """The stash's record, if `token` is well formed, of this kind and this user's."""
        if not TOKEN.match(token or ""):
            return None
        try:
            with open(self._path(token, "json"), encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError):
            return None
        return meta if meta.get("user") == user_id and meta.get("kind") == kind else None

    def content(self, token: str, meta: dict) -> bytes | None:
        """The file's bytes, if still kept and unchanged (same SHA-256)."""
        try:
            with open(self._path(token, "bin"), "rb") as f:
                data = f.read()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == meta["sha256"] else None

    def finish(self, token: str, meta: dict, result: dict) -> None:
        """Record the result of applying the file and delete its content."""
        self._write(token, {**meta, "result": result})
        try:
            os.remove(self._path(token, "bin"))
        except OSError:
            pass

    def _write(self, token: str, meta: dict) -> None:
        tmp = self._path(token, "tmp")
        self._create(tmp, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        os.replace(tmp, self._path(token, "json"))

    def purge(self) -> int:
        """Delete every file last written more than MAX_AGE ago on the portal's clock; returns how
        many. One directory listing and a stat per file: cheap enough for every upload."""
        limit, removed = clock.now().timestamp() - MAX_AGE, 0
        for name in os.listdir(self.folder):
            path = os.path.join(self.folder, name)
            try:
                if os.path.getmtime(path) < limit:
                    os.remove(path)
                    removed += 1
            except OSError:
                pass
        return removed


def stash() -> Stash:
    """The stash of this portal: UPLOAD_FOLDER, else instance/unggahan."""
    return Stash(current_app.config["UPLOAD_FOLDER"] or os.path.join(current_app.instance_path, "unggahan"))


def refusals(lines, keep) -> list[dict]:
    """The lines `keep` selects, as kept on the result page: number, NIK, name, verdict, why."""
    return [{"number": x.number, "nik": x.nik, "name": x.name, "verdict": x.verdict, "message": describe(x)}
            for x in lines if keep(x)]


@dataclass(frozen=True)
class UploadFlow:
    """One kind of previewed upload. `check(data, name)` reads the file (a TransitionError says
    why it is unreadable); `review(data, name)` gives the preview shown before anything changes."""
    kind: str
    template: str
    preview_endpoint: str
    check: Callable[[bytes, str], object]
    review: Callable[[bytes, str], object]

    def upload(self):
        """GET: the form. POST: read the file, check that it is readable, keep it and go to its
        preview; an unreadable file is refused here with its reason (422)."""
        form = UploadForm()
        if request.method == "GET":
            return render_template(self.template, form=form)
        if not form.validate():
            return render_template(self.template, form=form), 422
        name, data = upload(form, sheets.MAX_BYTES)
        try:
            self.check(data, name)
        except TransitionError as error:
            form.berkas.errors = [describe(error)]
            return render_template(self.template, form=form), 422
        token = stash().put(current_user.id, self.kind, name, data)
        return redirect(url_for(self.preview_endpoint, token=token), 303)

    def _stashed(self, token: str) -> tuple[dict, bytes | None]:
        """This user's upload `token` (its content is None once applied); otherwise a 404 page
        saying it is gone (purged after a day, or never this user's) with the form to upload again."""
        meta = stash().meta(token, current_user.id, self.kind)
        data = None if meta is None or meta["result"] else stash().content(token, meta)
        if meta is None or (data is None and not meta["result"]):
            message = _("Unggahan ini tidak ada lagi: berkas dan hasilnya disimpan paling lama 24 jam, lalu dihapus. "
                        "Yang sudah diterapkan tetap tercatat; bila belum diterapkan, unggah berkasnya lagi.")
            abort(make_response(render_template(self.template, form=UploadForm(formdata=None), message=message), 404))
        return meta, data

    def preview(self, token: str, message: str | None = None, status: int = 200):
        """The upload's preview, or its result once applied."""
        meta, data = self._stashed(token)
        if meta["result"]:
            return render_template(self.template, form=UploadForm(formdata=None), meta=meta, result=meta["result"])
        return render_template(self.template, form=UploadForm(formdata=None), meta=meta, token=token,
                               preview=self.review(data, meta["name"]),
                               apply_form=ApplyForm(formdata=None, sha=meta["sha256"]),
                               message=message, describe=describe), status

    def apply(self, token: str, run: Callable[[bytes, str], object], summary: Callable[[object], dict]):
        """Apply the kept file with `run(data, name)` as one unit of work, keep `summary(result)`
        for the result page and go there; a refusal rolls everything back and shows the preview."""
        meta, data = self._stashed(token)
        form = ApplyForm()
        if meta["result"]:
            return redirect(url_for(self.preview_endpoint, token=token), 303)
        if not form.validate() or form.sha.data != meta["sha256"]:
            return self.preview(token, _("Berkas ini bukan yang dipratinjau. Muat ulang halaman, lalu coba lagi."),
                                409)
        done = unit.commit(lambda: run(data, meta["name"]))
        if not done.ok:
            return self.preview(token, done.message, done.status)
        stash().finish(token, meta, summary(done.value))
        flash(_("Diterapkan."), "info")
        return redirect(url_for(self.preview_endpoint, token=token), 303)
