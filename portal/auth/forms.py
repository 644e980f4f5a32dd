from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.web.forms import PortalForm


class LoginForm(PortalForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=200)])


class ChangePasswordForm(PortalForm):
    current = PasswordField(_l("Kata sandi sekarang"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(), Length(min=10, max=200)])
    repeat = PasswordField(_l("Ulangi kata sandi baru"), validators=[
        DataRequired(), EqualTo("new", message=_l("Kedua kata sandi baru tidak sama."))])


class CodeForm(PortalForm):
    """A code from the authenticator app (6 digits) or one of the recovery codes."""
    code = StringField(_l("Kode verifikasi"), validators=[
        DataRequired(message=_l("Masukkan kode dari aplikasi autentikator atau kode cadangan.")), Length(max=40)])
