from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired


class TargetForm(FlaskForm):
    """A year's coverage target; the domain (trend.set_target) checks the year and the percent."""
    year = StringField(_l("Tahun"), validators=[DataRequired(_l("Isi tahun target."))])
    coverage = StringField(_l("Target cakupan dari nama layak (%)"),
                           validators=[DataRequired(_l("Isi target cakupan dalam persen."))])
