"""Forms of the import pages (CSRF through PortalForm)."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import DataRequired

from portal.web.forms import PortalForm


class UploadForm(PortalForm):
    file = FileField(_l("File daftar nama (.xlsx atau .csv)"),
                     validators=[FileRequired(_l("Pilih file .xlsx atau .csv yang akan diunggah."))])
    # An administrator picks the OPD (the view fills the choices); a verifier's form has no such field.
    opd = SelectField(_l("OPD tujuan"), choices=[], validate_choice=True,
                      validators=[DataRequired(_l("Pilih OPD tujuan impor."))])


class ConfirmForm(PortalForm):
    """Button-only action (confirm or discard an upload); still carries CSRF."""
