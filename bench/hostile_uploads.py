"""Each hostile upload of tests/files/hostile.py (and a large good list for comparison) posted to
each upload route of the portal in this process (Flask's test client, a fresh SQLite database):
the answer, its time, and the process's resident memory (peak during the request, and after).

    python -m bench.hostile_uploads [--repeat N]

The peak is VmHWM after resetting it (/proc/self/clear_refs), so it is this request's alone; the
file is read in a forked child whose memory is its own (capped by sheets.READ_MEMORY)."""
from __future__ import annotations

import argparse
import io
import re
import tempfile
import time

import openpyxl

from config import TestingConfig
from portal import create_app
from portal.web.extensions import db
from tests import factories
from tests.files import hostile

ROUTES = {"/impor": ("dinsos", "file"), "/antrian/unggah": ("dinsos", "berkas"), "/bpjs/impor": ("bpjs", "berkas")}
MB = 2**20
# The beginnings of every refusal a file can get (portal.core.sheets and the decision sheet's own).
ANSWER = re.compile(r"((?:Berkas (?:terlalu|\.xlsx ini|CSV|Excel ini|kosong|ini bukan)|Isi berkas|Workbook tidak|"
                    r"Unggah berkas \.xlsx hasil|Baris judul kolom tidak|Kolom wajib)[^<]*)")


def _status(field: str) -> int:
    with open("/proc/self/status") as status:
        return int(re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.M).group(1)) * 1024


def good_list(rows: int = 20_000) -> bytes:
    """A large list as an OPD would send it: 20,000 rows of 10 columns (shared strings, as Excel)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["No", "NIK", "Nama", "L/P", "Tgl Lahir", "Alamat", "Desa", "Kecamatan", "No HP", "Pekerjaan"])
    for n in range(rows):
        ws.append([n + 1, f"1609{n:012d}", f"Nama Orang {n}", "L", "12-03-1985", f"Dusun {n % 9}", "Bumi Agung",
                   "Muara Dua", "081234567890", "PEKSOS"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="uploads of each file per route (the slowest shown)")
    args = parser.parse_args()
    files = {name: (filename, build()) for name, (filename, build, _code) in hostile.SHAPES.items()}
    files["good_20000_rows"] = ("daftar.xlsx", good_list())
    with tempfile.TemporaryDirectory() as folder:
        config = type("Bench", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                                                 "UPLOAD_FOLDER": f"{folder}/unggahan"})
        app = create_app(config)
        with app.app_context():
            db.create_all()
            factories.World(db.session)
        print(f"baseline RSS {_status('VmRSS') / MB:.0f} MB")
        print(f"{'file':22} {'KB':>6} {'route':16} {'status':>6} {'seconds':>8} {'peak MB':>8} {'+MB':>5}  answer")
        for name, (filename, data) in files.items():
            for route, (username, field) in ROUTES.items():
                client = app.test_client()
                client.post("/masuk", data={"username": username, "password": factories.PASSWORD})
                worst = (0.0, 0, 0, 0, "")
                for _ in range(args.repeat):
                    with open("/proc/self/clear_refs", "w") as clear:
                        clear.write("5")
                    before = _status("VmRSS")
                    started = time.perf_counter()
                    r = client.post(route, data={field: (io.BytesIO(data), filename)},
                                    content_type="multipart/form-data")
                    elapsed = time.perf_counter() - started
                    said = ANSWER.search(r.get_data(as_text=True))
                    answer = said.group(1)[:70] if r.status_code != 303 and said else r.headers.get("Location", "")
                    worst = max(worst, (elapsed, r.status_code, _status("VmHWM"), before, answer))
                elapsed, status, peak, before, answer = worst
                print(f"{name:22} {len(data) // 1024:6} {route:16} {status:6} {elapsed:8.2f} {peak / MB:8.0f} "
                      f"{(peak - before) / MB:5.0f}  {answer}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
