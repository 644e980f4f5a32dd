"""Forms of the BPJS desk; each carries the row version the liaison saw."""
from flask_babel import lazy_gettext as _l
from portal.forms import PortalForm
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.domain.transitions import NOTE_MAX
from portal.queue.forms import VERSION


class EnrolForm(PortalForm):
    version = IntegerField(validators=VERSION)
    kpj = StringField(_l("Nomor KPJ"), validators=[DataRequired(message=_l("Isi nomor KPJ.")), Length(max=20)])
    enrolled_on = DateField(_l("Tanggal terdaftar"), validators=[
        DataRequired(message=_l("Isi tanggal terdaftar (tttt-bb-hh)."))])


class EnrolmentChangeForm(PortalForm):
    version = IntegerField(validators=VERSION)
    note = TextAreaField(_l("Catatan"), validators=[Optional(), Length(max=NOTE_MAX)])
