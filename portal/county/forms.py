"""The budget page's scenario form. Fields parse what people type (3.934, 2025-07-01) and say in
Indonesian what is wrong; ranges are the domain's (portal.county.fiscal) to refuse."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form

from portal.web.fields import DayField, Required, WholeField


class ScenarioForm(Form):
    """Query-string form (GET, no CSRF): how many more to enrol, from which date."""
    n = WholeField(_l("Pekerja yang akan didaftarkan"), render_kw={"inputmode": "numeric"},
                   validators=[Required(_l("Isi jumlah pekerja yang akan didaftarkan."))])
    mulai = DayField(_l("Mulai dibayar"), validators=[Required(_l("Isi tanggal mulai."))])
