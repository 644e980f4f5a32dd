"""Forms of the likely-duplicates page: buttons carrying worker ids and the row version seen."""
from flask_babel import lazy_gettext as _l
from wtforms.validators import InputRequired

from portal.web.forms import HiddenInteger, PortalForm, VersionField, small_positive


def _worker_id():
    message = _l("Pasangan nama tidak lengkap. Muat ulang halaman.")
    return [InputRequired(message=message), small_positive(message)]


class MergeForm(PortalForm):
    """Keep one of a pair; `version` is the dropped worker's row version as shown."""
    keep = HiddenInteger(validators=_worker_id())
    drop = HiddenInteger(validators=_worker_id())
    version = VersionField()


class DismissForm(PortalForm):
    """Two people after all."""
    first = HiddenInteger(validators=_worker_id())
    second = HiddenInteger(validators=_worker_id())
