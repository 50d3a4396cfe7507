"""The two ways to check a record: its reference and a hash printed on it, or the PDF itself."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from govern.verify.checks import HEX64, normalise_digest


class ReferenceForm(FlaskForm):
    """The record reference and a hash, as printed on the record."""

    reference = StringField(
        "Record reference",
        description="Printed at the top of the record and in its footer, for example D2026-0004-A57",
        validators=[DataRequired("Enter the record reference printed on the record"),
                    Length(max=80, message="A record reference is at most 80 characters")],
    )
    digest = StringField(
        "SHA-256 hash",
        description="The 64 letters and digits after 'SHA-256' on the record's first page, or the file's own "
                    "SHA-256 (as sha256sum or Get-FileHash prints it)",
        validators=[DataRequired("Enter the SHA-256 hash printed on the record")],
    )

    def validate_digest(self, field: Any) -> None:
        """64 hexadecimal characters (spaces and line breaks from a copy and paste do not count)."""
        if not HEX64.fullmatch(normalise_digest(field.data or "")):
            raise ValidationError("Enter all 64 letters and digits of the SHA-256 hash (the footer shows only the "
                                  "first 16: copy it from the record's first page)")


class FileForm(FlaskForm):
    """The PDF record itself."""

    record = FileField("The record (PDF)", description="The PDF file as it was downloaded from the system")
