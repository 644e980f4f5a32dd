"""The base of every form: Flask-WTF (CSRF) with WTForms' own messages in Indonesian, since
WTForms ships no Indonesian catalogue and a verifier should never read "This field is required."."""
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, ValidationError

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


class PortalForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if str(get_locale()) == "id":
                return _Indonesian()
            return super().get_translations(form)


def first_error(form) -> str:
    """The first problem of an invalid form, to show in its page's message."""
    return next(iter(form.errors.values()))[0]


def small_positive(message):
    """Like NumberRange(1, 2**31 - 1), which converts to float and overflows on absurdly long
    numbers; ids and versions fit a 32-bit column."""
    def check(_form, field) -> None:
        if field.data is not None and not 1 <= field.data < 2**31:
            raise ValidationError(message)
    return check


VERSION = [InputRequired(message=_l("Versi baris tidak ada. Muat ulang halaman.")),
           small_positive(_l("Versi baris tidak sah. Muat ulang halaman."))]
