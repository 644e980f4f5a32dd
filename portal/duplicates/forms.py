"""Forms of the claim and duplicate pages: buttons carrying ids and the row version seen."""
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import AnyOf, InputRequired

from portal.domain.duplicates import OWNERS
from portal.forms import PortalForm
from portal.queue.forms import VERSION, small_positive


def _worker_id():
    message = _l("Pasangan nama tidak lengkap. Muat ulang halaman.")
    return [InputRequired(message=message), small_positive(message)]


class ResolveForm(PortalForm):
    """Keep the current owner or move the worker to the claimant OPD."""
    owner = StringField(validators=[InputRequired(message=_l("Pilih pemilik nama ini.")),
                                    AnyOf(OWNERS, message=_l("Pilihan pemilik tidak sah."))])
    version = IntegerField(validators=VERSION)


class MergeForm(PortalForm):
    """Keep one of a pair; `version` is the dropped worker's row version as shown."""
    keep = IntegerField(validators=_worker_id())
    drop = IntegerField(validators=_worker_id())
    version = IntegerField(validators=VERSION)


class DismissForm(PortalForm):
    """Two people after all."""
    first = IntegerField(validators=_worker_id())
    second = IntegerField(validators=_worker_id())
