"""Single-shot measurements: bytes of a first page load, import of 10,000 rows and export of all
approved workers — the last two only when the app has them (detected from its url_map and CLI)."""
from __future__ import annotations

import csv
import gzip
import io
import os
import re
import subprocess
import sys
import time
from datetime import date, timedelta
from html import unescape

from bench.client import Client
from bench.server import RssSampler
from portal.core import nik

ASSET = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')
ACCEPT = {"Accept-Encoding": "gzip, deflate, br",
          "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def first_load(client: Client, path: str = "/antrian/") -> dict:
    """What a browser with an empty cache transfers for `path`: the page and its CSS/JS, with
    compression offered; and what a repeat visit needs (assets without a long max-age come again,
    or at least revalidate)."""
    page = client.get(path, **ACCEPT)
    assets = []
    for href in dict.fromkeys(ASSET.findall(page.text)):
        r = client.get(unescape(href), **ACCEPT)
        assets.append({"path": href, "bytes": r.wire, "encoding": r.header("Content-Encoding") or "identity",
                       "cache_control": r.header("Cache-Control") or "", "gzip_bytes": _gz(r)})
    total = page.wire + sum(a["bytes"] for a in assets)
    # What the same load would weigh with gzip (level 6, as nginx and Flask-Compress default).
    gz_total = _gz(page) + sum(a["gzip_bytes"] for a in assets)
    cached = [a for a in assets if re.search(r"max-age=(\d{6,})|immutable", a["cache_control"])]
    return {"page_bytes": page.wire, "page_encoding": page.header("Content-Encoding") or "identity",
            "assets": assets, "first_load_bytes": total, "target_bytes": 30 * 1024,
            "repeat_load_bytes": total - sum(a["bytes"] for a in cached), "met": total <= 30 * 1024,
            "gzip_estimate_bytes": gz_total, "page_gzip_bytes": _gz(page)}


def _gz(r) -> int:
    """The response's size on the wire were its body gzipped (as is, when it already is)."""
    if (r.header("Content-Encoding") or "identity") != "identity":
        return r.wire
    return r.wire - len(r.body) + len(gzip.compress(r.body, 6))


# Known endpoints (issue 5), then a guess from the rules for anything renamed later.
EXPORTS = (("exports.list_csv", {"status": "approved"}, "supervisor"),  # every approved worker, CSV
           ("exports.bpjs_xlsx", {}, "bpjs"))  # approved, not yet enrolled: BPJS's registration workbook


def detect(app) -> dict:
    """Endpoints and commands for import and export, if the app has them yet."""
    from flask import url_for
    rules = list(app.url_map.iter_rules())
    imports = [r.rule for r in rules if r.rule.rstrip("/") == "/impor" and "POST" in r.methods]
    exports = []
    with app.test_request_context():
        for endpoint, args, role in EXPORTS:
            if endpoint in app.view_functions:
                exports.append({"path": url_for(endpoint, **args), "role": role, "endpoint": endpoint})
    if not exports:
        guessed = [r for r in rules if "GET" in r.methods and not r.arguments
                   and re.search(r"ekspor|export|unduh|\.xlsx|\.csv", r.rule + r.endpoint)]
        exports = [{"path": r.rule, "role": "supervisor", "endpoint": r.endpoint} for r in guessed[:1]]
    return {"import_rules": imports, "exports": exports, "import_cli": "import-workers" in app.cli.commands}


def import_file(n: int = 10_000, kecamatan: str = "160901", serial: int = 9000) -> bytes:
    """A CSV of `n` new, valid rows with the headers issue 5 names (NIK serials from `serial` up:
    the seeded ones stay far below, so nothing clashes)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["NIK", "Nama", "Jenis Kelamin", "Tgl Lahir", "Alamat", "Desa/Kelurahan", "Kecamatan", "No HP",
                "Kategori"])
    born = date(1970, 1, 1)
    for i in range(n):
        day = born + timedelta(days=i % 9000)
        sex = "P" if i % 2 else "L"
        w.writerow([nik.compose(kecamatan, day, sex, serial + i // 9000), f"Peserta Uji {i:05d}",
                    "Perempuan" if sex == "P" else "Laki-laki", day.isoformat(), "Dusun 1", "", "Muaradua",
                    "081234567890", "Marbot masjid"])
    return out.getvalue().encode("utf-8")


def _forms(html: str) -> list[dict]:
    forms = []
    for m in re.finditer(r"<form\b([^>]*)>(.*?)</form>", html, re.S):
        attrs, body = m.group(1), m.group(2)
        action = re.search(r'action="([^"]*)"', attrs)
        method = re.search(r'method="([^"]*)"', attrs)
        fields = {}
        for inp in re.finditer(r"<input\b([^>]*)>", body):
            name = re.search(r'name="([^"]+)"', inp.group(1))
            value = re.search(r'value="([^"]*)"', inp.group(1))
            kind = re.search(r'type="([^"]+)"', inp.group(1))
            if name and (kind is None or kind.group(1) not in ("file", "checkbox", "submit")):
                fields[name.group(1)] = unescape(value.group(1)) if value else ""
        for sel in re.finditer(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
            opt = re.search(r'<option value="([^"]+)"', sel.group(2))
            fields[sel.group(1)] = opt.group(1) if opt else ""
        file_input = re.search(r'<input\b[^>]*type="file"[^>]*name="([^"]+)"|<input\b[^>]*name="([^"]+)"[^>]*type="file"', body)
        forms.append({"action": unescape(action.group(1)) if action else "", "fields": fields, "body": body,
                      "method": (method.group(1) if method else "get").lower(),
                      "file": (file_input.group(1) or file_input.group(2)) if file_input else None})
    return forms


def import_web(client: Client, rule: str, content: bytes) -> dict:
    """Upload, preview and confirm through the pages, the way a verifier would; best effort, since
    the import screens are newer than this driver: any step it cannot find is reported, not faked."""
    page = client.get(rule)
    upload = next((f for f in _forms(page.text) if f["file"]), None)
    if upload is None:
        return {"status": "driver_failed", "why": f"no file upload form on {rule} (status {page.status})"}
    started = time.perf_counter()
    r = client.post_file(upload["action"] or rule, upload["fields"], upload["file"], "bench-10000.csv", content)
    preview_s = time.perf_counter() - started
    if r.status in (302, 303):
        r = client.get(r.header("Location"))
    posts = [f for f in _forms(r.text) if f["method"] == "post" and not f["file"]]
    confirm = next((f for f in posts if re.search(r"konfirm|confirm", f["action"], re.I)), None)
    if r.status >= 400 or confirm is None:
        return {"status": "driver_failed", "why": f"no confirm form after upload (status {r.status})",
                "preview_s": round(preview_s, 2)}
    r2 = client.post(confirm["action"], confirm["fields"])
    total = time.perf_counter() - started
    return {"status": "ok" if r2.status < 400 else f"http_{r2.status}", "preview_s": round(preview_s, 2),
            "total_s": round(total, 2), "rows": 10_000, "target_s": 5.0, "met": r2.status < 400 and total < 5}


def import_cli(repo: str, env: dict, path: str) -> dict:
    """`flask import-workers FILE --opd KESRA` on the seeded database (includes app start-up)."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "bench.wsgi_bench", "import-workers", path,
                          "--opd", "KESRA"], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    total = time.perf_counter() - started
    return {"status": "ok" if out.returncode == 0 else f"exit_{out.returncode}", "total_s": round(total, 2),
            "rows": 10_000, "tail": (out.stdout + out.stderr)[-300:], "target_s": 5.0,
            "met": out.returncode == 0 and total < 5}


def export(client: Client, server, path: str) -> dict:
    """Download `path` (the app streams it) while sampling the workers' RSS; rows counted as
    lines for CSV (less the header)."""
    before = RssSampler(server)
    with before:
        time.sleep(0.05)
    with RssSampler(server) as rss:
        started = time.perf_counter()
        r = client.get(path, **{"Accept-Encoding": "identity"})
        total = time.perf_counter() - started
    rows = r.body.count(b"\n") - 1 if path.split("?")[0].endswith(".csv") and r.status == 200 else None
    return {"status": r.status, "path": path, "bytes": len(r.body), "rows": rows, "total_s": round(total, 2),
            "rss_before_mb": before.result()["rss_peak_worker_mb"], **rss.result()}


def write_import_file(directory: str) -> str:
    """The CLI's file: other NIKs than the web upload's, so both import 10,000 new names."""
    path = os.path.join(directory, "bench-import-10000.csv")
    with open(path, "wb") as f:
        f.write(import_file(serial=9100))
    return path
