"""The base of every form: Flask-WTF (CSRF) with WTForms' own messages in Indonesian, since
WTForms ships no Indonesian catalogue and a verifier should never read "This field is required."."""
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.exceptions import BadRequest
from wtforms import IntegerField
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import HiddenInput

INDONESIAN = {
    "This field is required.": "Wajib diisi.",
    "Not a valid choice.": "Pilihan tidak sah.",
    "Invalid Choice: could not coerce.": "Pilihan tidak sah.",
    "Invalid choice(s): one or more data inputs could not be coerced.": "Pilihan tidak sah.",
    "Not a valid integer value.": "Harus berupa bilangan bulat.",
    "Not a valid decimal value.": "Harus berupa angka.",
    "Not a valid float value.": "Harus berupa angka.",
    "Not a valid date value.": "Tanggal tidak sah (tulis tttt-bb-hh).",
    "Not a valid datetime value.": "Waktu tidak sah.",
    "Invalid input.": "Isian tidak sah.",
    "Field must be equal to %(other_name)s.": "Harus sama dengan %(other_name)s.",
    "Field must be at least %(min)d character long.": "Paling sedikit %(min)d karakter.",
    "Field must be at least %(min)d characters long.": "Paling sedikit %(min)d karakter.",
    "Field cannot be longer than %(max)d character.": "Paling banyak %(max)d karakter.",
    "Field cannot be longer than %(max)d characters.": "Paling banyak %(max)d karakter.",
    "Field must be between %(min)d and %(max)d characters long.": "Harus %(min)d–%(max)d karakter.",
    "Field must be exactly %(max)d character long.": "Harus tepat %(max)d karakter.",
    "Field must be exactly %(max)d characters long.": "Harus tepat %(max)d karakter.",
    "Number must be at least %(min)s.": "Paling kecil %(min)s.",
    "Number must be at most %(max)s.": "Paling besar %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Harus antara %(min)s dan %(max)s.",
}


class _Indonesian:
    def gettext(self, message: str) -> str:
        return INDONESIAN.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def _hidden(field) -> bool:
    return isinstance(field.widget, HiddenInput)


class PortalForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if str(get_locale()) == "id":
                return _Indonesian()
            return super().get_translations(form)

    def hidden_tag(self, *fields):
        """The hidden fields (CSRF, row version, ids), then what is wrong with any of them as an
        alert: nobody can see or correct a hidden field, so its message says what to do instead
        (reload the page) where a field's own error would otherwise stand."""
        tag = super().hidden_tag(*fields)
        shown = [getattr(self, f, None) if isinstance(f, str) else f for f in fields] if fields else list(self)
        errors = [e for f in shown if f is not None and _hidden(f) for e in f.errors]
        return tag + Markup("").join(Markup('\n<p class="flash error" role="alert">{}</p>').format(e) for e in errors)


def _label(field) -> str:
    """The label a person sees beside the field; none for a hidden field or one whose label is
    only WTForms' guess from its name."""
    text = str(field.label.text)
    return "" if _hidden(field) or text == field.name.replace("_", " ").title() else text


def first_error(form) -> str:
    """The first problem of an invalid form, to show in its page's message; it names the field
    ("Catatan: Paling banyak 500 karakter.") when the page shows it with a label."""
    name, errors = next(iter(form.errors.items()))
    field = form[name] if name in form else None
    label = _label(field) if field is not None else ""
    return f"{label}: {errors[0]}" if label else errors[0]


class StaleForm(BadRequest):
    """A button-only or hidden-field form that does not validate: nothing the user typed is wrong,
    so the answer (400, like a refused CSRF token) says the form expired and to reload the page."""


def small_positive(message):
    """Like NumberRange(1, 2**31 - 1), which converts to float and overflows on absurdly long
    numbers; ids and versions fit a 32-bit column."""
    def check(_form, field) -> None:
        if field.data is not None and not 1 <= field.data < 2**31:
            raise ValidationError(message)
    return check


VERSION = [InputRequired(message=_l("Versi baris tidak ada. Muat ulang halaman.")),
           small_positive(_l("Versi baris tidak sah. Muat ulang halaman."))]


class HiddenInteger(IntegerField):
    """A whole number the page carries for the form (an id, a row version): rendered by
    `form.hidden_tag()` as <input type="hidden">, still checked as an integer. It shows the value
    the view holds, so a view that refuses a stale version can hand the page the current one."""
    widget = HiddenInput()

    def _value(self) -> str:
        return str(self.data) if self.data is not None else super()._value()


class VersionField(HiddenInteger):
    """The row version the user saw (optimistic locking): hidden, required, a positive integer."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, VERSION if validators is None else validators, **kwargs)
