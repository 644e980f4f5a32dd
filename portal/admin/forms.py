from flask_babel import lazy_gettext as _l
from portal.forms import PortalForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class ReasonForm(PortalForm):
    code = StringField(_l("Kode"), validators=[DataRequired(), Length(max=30)])
    label = StringField(_l("Keterangan"), validators=[DataRequired(), Length(max=120)])
    note_required = BooleanField(_l("Catatan wajib"))


class CategoryForm(PortalForm):
    code = StringField(_l("Kode"), validators=[DataRequired(), Length(max=30)])
    name = StringField(_l("Nama kategori"), validators=[DataRequired(), Length(max=120)])
    opd = SelectField(_l("OPD pemilik"), choices=[], validate_choice=True)


class ToggleForm(PortalForm):
    """Button-only action; still carries CSRF."""


class ActiveForm(PortalForm):
    """Switch something on ("1") or off ("0"); anything else is refused."""
    active = SelectField(choices={"0": "0", "1": "1"}, validate_choice=True,
                         validators=[DataRequired()])


class UserForm(PortalForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(), Length(max=40)])
    full_name = StringField(_l("Nama lengkap"), validators=[Length(max=120)])
    role = SelectField(_l("Peran"), choices=[], validate_choice=True)
    opd = SelectField(_l("OPD (untuk verifikator)"), choices=[], validate_choice=True)


class AssignForm(PortalForm):
    opd = SelectField(_l("OPD"), choices=[], validate_choice=True)
