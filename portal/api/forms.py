"""Forms of the API token pages (admin)."""
from flask_babel import lazy_gettext as _l
from portal.forms import PortalForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.domain.api_tokens import NAME_MAX


class TokenForm(PortalForm):
    name = StringField(_l("Nama token (pemakainya)"), validators=[
        DataRequired(message=_l("Tulis nama token, misalnya pemakainya.")),
        Length(max=NAME_MAX, message=_l("Nama token paling banyak 80 karakter."))])


class RevokeForm(PortalForm):
    """Button-only action; still carries CSRF."""
