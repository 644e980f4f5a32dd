"""Forms of the admin pages: accounts, reference data, targets, contribution rates, API tokens."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.api.tokens import NAME_MAX
from portal.county.fiscal import BASIS_MAX
from portal.web.fields import DayField, Required, WholeField
from portal.web.forms import PortalForm


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


class TargetForm(PortalForm):
    """A year's coverage target; the domain (trend.set_target) checks the year and the percent."""
    year = StringField(_l("Tahun"), validators=[DataRequired(_l("Isi tahun target."))])
    coverage = StringField(_l("Target cakupan dari nama layak (%)"),
                           validators=[DataRequired(_l("Isi target cakupan dalam persen."))])


class RateForm(PortalForm):
    """A new contribution rate with the date it takes effect."""
    effective_from = DayField(_l("Berlaku mulai"), validators=[Required(_l("Isi tanggal."))])
    jkk = WholeField(_l("Iuran JKK per bulan (Rp)"), render_kw={"inputmode": "numeric"},
                     validators=[Required(_l("Isi iuran JKK."))])
    jkm = WholeField(_l("Iuran JKM per bulan (Rp)"), render_kw={"inputmode": "numeric"},
                     validators=[Required(_l("Isi iuran JKM."))])
    basis = StringField(_l("Dasar hukum"), validators=[
        Required(_l("Tulis dasar hukum tarif.")),
        Length(max=BASIS_MAX, message=_l("Dasar hukum paling banyak %(max)d karakter.", max=BASIS_MAX))])


class TokenForm(PortalForm):
    name = StringField(_l("Nama token (pemakainya)"), validators=[
        DataRequired(message=_l("Tulis nama token, misalnya pemakainya.")),
        Length(max=NAME_MAX, message=_l("Nama token paling banyak 80 karakter."))])


class RevokeForm(PortalForm):
    """Button-only action; still carries CSRF."""
