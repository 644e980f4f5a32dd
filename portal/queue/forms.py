"""Forms of the queue. Each carries the row version the verifier saw."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from portal.core.changes import NOTE_MAX
from portal.web.forms import PortalForm, VersionField, small_positive


class DecisionForm(PortalForm):
    version = VersionField()
    note = TextAreaField(_l("Catatan"), validators=[Optional(), Length(max=NOTE_MAX)])


class RejectForm(DecisionForm):
    reason = IntegerField(_l("Alasan penolakan"), validators=[
        InputRequired(message=_l("Pilih alasan penolakan.")), small_positive(_l("Pilih alasan penolakan."))])


class CorrectForm(PortalForm):
    version = VersionField()
    full_name = StringField(_l("Nama lengkap"), validators=[DataRequired(), Length(max=120)])
    address = StringField(_l("Alamat"), validators=[Optional(), Length(max=200)])
    desa_code = SelectField(_l("Desa/kelurahan"), validate_choice=True)
    phone = StringField(_l("No. HP"), validators=[
        Optional(), Length(max=20),
        Regexp(r"^\+?[0-9 \-]{6,20}$", message=_l("No. HP hanya angka, spasi, tanda - atau +."))])


class BulkForm(PortalForm):
    """Bulk approval: the rows ticked, or every row matching the filter (portal.web.queue_filter
    reads the filter from the same post)."""
    scope = HiddenField(default="selected")
    opd = HiddenField(default="")
    # "id:version,id:version": exactly the rows the confirmation counted
    items = HiddenField(default="")
