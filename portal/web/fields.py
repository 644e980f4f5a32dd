"""Form fields that read what people type: whole numbers as 3.934 or Rp16.800, dates as
<input type="date"> sends them, and a "required" that takes 0 for an answer."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.widgets import DateInput, TextInput

WHOLE = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+|[0-9]{1,12}")  # 3934 or 3.934; twelve digits is plenty
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # what <input type="date"> sends


class Required:
    """Something must be typed: blank (spaces only) is missing, while 0 is an answer."""
    field_flags = {"required": True}

    def __init__(self, message: str):
        self.message = message

    def __call__(self, _form, field) -> None:
        value = field.raw_data[0] if field.raw_data else ""
        if not isinstance(value, str) or not value.strip():
            raise StopValidation(self.message)


class WholeField(Field):
    """A whole number without sign, Indonesian thousands dots allowed, "Rp" ignored."""
    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return str(self.data) if self.data is not None else ""

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        text = valuelist[0].strip() if isinstance(valuelist[0], str) else ""
        text = re.sub(r"^rp\.?\s*", "", text, flags=re.I)
        self.data = None
        if not text:
            return  # Required names what is missing
        if text.startswith("-") and WHOLE.fullmatch(text[1:].strip()):
            raise ValueError(_l("Tidak boleh negatif."))
        if re.fullmatch(r"[0-9]{13,}", text.replace(".", "")):
            raise ValueError(_l("Angka terlalu besar."))
        if not WHOLE.fullmatch(text):
            raise ValueError(_l("Isi dengan bilangan bulat, misalnya 3.934."))
        self.data = int(text.replace(".", ""))


class DayField(Field):
    """A date as YYYY-MM-DD (a browser's date input)."""
    widget = DateInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        text = valuelist[0].strip() if isinstance(valuelist[0], str) else ""
        self.data = None
        if not text:
            return  # Required names what is missing
        try:
            if not DAY.fullmatch(text):
                raise ValueError
            self.data = date.fromisoformat(text)
        except ValueError:
            message = _l("Tanggal tidak dikenali; tulis sebagai TTTT-BB-HH, misalnya 2025-07-01.")
            raise ValueError(message) from None
