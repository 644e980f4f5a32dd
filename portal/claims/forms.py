"""The claim decision: the owner kept and the row version seen."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import AnyOf, InputRequired

from portal.claims.rules import OWNERS
from portal.web.forms import PortalForm, VersionField


class ResolveForm(PortalForm):
    """Keep the current owner or move the worker to the claimant OPD."""
    owner = StringField(validators=[InputRequired(message=_l("Pilih pemilik nama ini.")),
                                    AnyOf(OWNERS, message=_l("Pilihan pemilik tidak sah."))])
    version = VersionField()
