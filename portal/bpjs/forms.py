"""Forms of the BPJS desk; each carries the row version the liaison saw."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.core.changes import NOTE_MAX
from portal.web.forms import PortalForm, VersionField


class EnrolForm(PortalForm):
    version = VersionField()
    kpj = StringField(_l("Nomor KPJ"), validators=[DataRequired(message=_l("Isi nomor KPJ.")), Length(max=20)])
    enrolled_on = DateField(_l("Tanggal terdaftar"), validators=[
        DataRequired(message=_l("Isi tanggal terdaftar (tttt-bb-hh)."))])


class EnrolmentChangeForm(PortalForm):
    version = VersionField()
    note = TextAreaField(_l("Catatan"), validators=[Optional(), Length(max=NOTE_MAX)])


class LapseForm(EnrolmentChangeForm):
    lapsed_on = DateField(_l("Tidak aktif sejak"), validators=[
        DataRequired(message=_l("Isi tanggal iuran berhenti (tttt-bb-hh)."))])
