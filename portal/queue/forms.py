"""Forms of the queue. Each carries the row version the verifier saw."""
from flask_babel import lazy_gettext as _l
from portal.forms import PortalForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from portal.domain.transitions import NOTE_MAX


def small_positive(message):
    """Like NumberRange(1, 2**31 - 1), which converts to float and overflows on absurdly long
    numbers; ids and versions fit a 32-bit column."""
    def check(_form, field) -> None:
        if field.data is not None and not 1 <= field.data < 2**31:
            raise ValidationError(message)
    return check


VERSION = [InputRequired(message=_l("Versi baris tidak ada. Muat ulang halaman.")),
           small_positive(_l("Versi baris tidak sah. Muat ulang halaman."))]


class DecisionForm(PortalForm):
    version = IntegerField(validators=VERSION)
    note = TextAreaField(_l("Catatan"), validators=[Optional(), Length(max=NOTE_MAX)])


class RejectForm(DecisionForm):
    reason = IntegerField(_l("Alasan penolakan"), validators=[
        InputRequired(message=_l("Pilih alasan penolakan.")), small_positive(_l("Pilih alasan penolakan."))])


class CorrectForm(PortalForm):
    version = IntegerField(validators=VERSION)
    full_name = StringField(_l("Nama lengkap"), validators=[DataRequired(), Length(max=120)])
    address = StringField(_l("Alamat"), validators=[Optional(), Length(max=200)])
    desa_code = SelectField(_l("Desa/kelurahan"), validate_choice=True)
    phone = StringField(_l("No. HP"), validators=[
        Optional(), Length(max=20),
        Regexp(r"^\+?[0-9 \-]{6,20}$", message=_l("No. HP hanya angka, spasi, tanda - atau +."))])


class BulkForm(PortalForm):
    """Bulk approval: the rows ticked, or every row matching the filter."""
    scope = HiddenField(default="selected")
    status = HiddenField(default="pending")
    q = HiddenField(default="")
    opd = HiddenField(default="")
    # "id:version,id:version": exactly the rows the confirmation counted
    items = HiddenField(default="")
