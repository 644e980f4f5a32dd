"""Upload forms, and the stash that keeps an uploaded file between its preview and its apply.

Why a stash on disk: sessions are signed cookies (no room for a 5 MB file), and asking for the
file again on apply lets someone apply a different file than the one previewed. The file goes
to the instance folder under a random token (128 bits) carried in the URL; only the user who
uploaded it can open it, its SHA-256 is checked on apply (also against the hidden field of the
preview's form), the content is deleted once applied, and anything older than a day is swept.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

from portal.forms import PortalForm

TOKEN = re.compile(r"^[0-9a-f]{32}$")
MAX_AGE = 24 * 3600


class UploadForm(PortalForm):
    berkas = FileField(_l("Berkas"), validators=[FileRequired(message=_l("Pilih berkas untuk diunggah."))])


class ApplyForm(PortalForm):
    sha = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])


def upload(form: UploadForm, limit: int) -> tuple[str, bytes]:
    """The uploaded file's plain name and at most `limit` + 1 bytes of it (so "too big" shows)."""
    storage = form.berkas.data
    name = re.split(r"[\\/]", storage.filename or "")[-1][:200]
    return name, storage.stream.read(limit + 1)


class Stash:
    """Uploaded files under `folder`: <token>.bin (content) and <token>.json (owner, kind, name,
    SHA-256, and the result once applied)."""

    def __init__(self, folder: str):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    def _path(self, token: str, ext: str) -> str:
        return os.path.join(self.folder, f"{token}.{ext}")

    def put(self, user_id: int, kind: str, name: str, data: bytes) -> str:
        """Keep `data`; returns its token."""
        self._sweep()
        token = secrets.token_hex(16)
        with open(self._path(token, "bin"), "wb") as f:
            f.write(data)
        self._write(token, {"user": user_id, "kind": kind, "name": name, "created": time.time(),
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
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(meta, f, ensure_ascii=False)
        os.replace(tmp, self._path(token, "json"))

    def _sweep(self) -> None:
        limit = time.time() - MAX_AGE
        for name in os.listdir(self.folder):
            path = os.path.join(self.folder, name)
            try:
                if os.path.getmtime(path) < limit:
                    os.remove(path)
            except OSError:
                pass
