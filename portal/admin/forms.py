from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class ReasonForm(FlaskForm):
    code = StringField(_l("Kode"), validators=[DataRequired(), Length(max=30)])
    label = StringField(_l("Keterangan"), validators=[DataRequired(), Length(max=120)])
    note_required = BooleanField(_l("Catatan wajib"))


class CategoryForm(FlaskForm):
    code = StringField(_l("Kode"), validators=[DataRequired(), Length(max=30)])
    name = StringField(_l("Nama kategori"), validators=[DataRequired(), Length(max=120)])
    opd = SelectField(_l("OPD pemilik"), choices=[], validate_choice=True)


class ToggleForm(FlaskForm):
    """Button-only action; still carries CSRF."""
