"""What a file is, judged from its bytes: the allow-list of papers we accept, and their signatures.

The name and the browser's Content-Type are never trusted. Each accepted type has a signature at
offset 0; Word and Excel files of today are zip packages, told apart (and from an arbitrary zip) by
the main part their ``[Content_Types].xml`` declares; older Word and Excel files are OLE2 compound
files, which look alike from outside, so for them (only) the extension decides between the two.

Signatures are written out here rather than taken from ``filetype``: its GIF matcher accepts any
file starting "GIF", its OLE2 matchers need internals a short file lacks, and its Office matcher
reads only the first entries of the zip.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class FileKind:
    """An accepted type: how users call it, the Content-Type we serve, its extensions (first is usual)."""

    label: str
    mime: str
    extensions: tuple[str, ...]


PDF = FileKind("PDF", "application/pdf", (".pdf",))
DOCX = FileKind("Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileKind("Excel spreadsheet", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
DOC = FileKind("Word document (older format)", "application/msword", (".doc",))
XLS = FileKind("Excel spreadsheet (older format)", "application/vnd.ms-excel", (".xls",))
PNG = FileKind("PNG image", "image/png", (".png",))
JPEG = FileKind("JPEG image", "image/jpeg", (".jpg", ".jpeg"))
GIF = FileKind("GIF image", "image/gif", (".gif",))
WEBP = FileKind("WebP image", "image/webp", (".webp",))

ACCEPTED: tuple[FileKind, ...] = (PDF, DOCX, DOC, XLSX, XLS, PNG, JPEG, GIF, WEBP)
ACCEPTED_EXTENSIONS: frozenset[str] = frozenset(ext for kind in ACCEPTED for ext in kind.extensions)

#: What the upload form's hint and every refusal say is accepted.
ACCEPTED_DESCRIPTION = "a PDF, a Word document, an Excel spreadsheet or an image (PNG, JPEG, GIF or WebP)"

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"

#: The main part each accepted Office package declares. Macro-enabled and template variants declare
#: other content types, so they are refused.
OOXML_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
#: A real [Content_Types].xml is a few kilobytes; read no more than this of it (zip bombs).
CONTENT_TYPES_LIMIT = 256 * 1024
_OVERRIDE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Override\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"""([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _signature_kind(data: bytes) -> FileKind | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def _ooxml_kind(data: bytes) -> FileKind | None:
    """Word or Excel if the zip declares exactly one of their main parts and holds it; else None."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            try:
                info = package.getinfo("[Content_Types].xml")
            except KeyError:
                return None
            if info.file_size > CONTENT_TYPES_LIMIT:
                return None
            with package.open(info) as handle:
                xml = handle.read(CONTENT_TYPES_LIMIT + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError,
            ValueError):
        return None  # corrupt, encrypted or oddly compressed: not a paper we can accept
    if len(xml) > CONTENT_TYPES_LIMIT or b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        return None
    if any(PurePosixPath(name).name.lower() == "vbaproject.bin" for name in names):
        return None  # macros, whatever the package claims to be
    found: set[FileKind] = set()
    for match in _OVERRIDE.finditer(xml):
        attributes = {m.group(1): (m.group(2) if m.group(2) is not None else m.group(3))
                      for m in _ATTRIBUTE.finditer(match.group(1))}
        kind = OOXML_MAIN_PARTS.get((attributes.get(b"ContentType") or b"").decode("utf-8", "replace"))
        part = (attributes.get(b"PartName") or b"").decode("utf-8", "replace").lstrip("/")
        if kind is not None and part in names:
            found.add(kind)
    return found.pop() if len(found) == 1 else None


def detect(data: bytes, filename: str) -> FileKind | None:
    """The accepted type of ``data``, or None. ``filename`` only chooses between .doc and .xls."""
    kind = _signature_kind(data)
    if kind is not None:
        return kind
    if data.startswith(ZIP_SIGNATURE):
        return _ooxml_kind(data)
    if data.startswith(OLE2_SIGNATURE):
        extension = PurePosixPath(filename.lower()).suffix
        return {".doc": DOC, ".xls": XLS}.get(extension)
    return None


# Characters Windows refuses in names, and quotes that would break a header or an attribute.
_RESERVED = set('<>:"/\\|?*')
MAX_NAME_LENGTH = 150


def clean_filename(filename: str, kind: FileKind) -> str:
    """A safe display and download name: no directories, control, invisible or bidi characters,
    and an extension that matches the content (content wins: a PDF called ``x.png`` becomes ``x.pdf``;
    one called ``notes.v2`` becomes ``notes.v2.pdf``)."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if c not in _RESERVED and not unicodedata.category(c).startswith("C"))
    name = " ".join(name.split()).strip(" .")
    path = PurePosixPath(name) if name else PurePosixPath("paper")
    stem, suffix = path.stem, path.suffix.lower()
    if suffix in kind.extensions:
        extension = suffix
    else:
        extension = kind.extensions[0]
        if suffix not in ACCEPTED_EXTENSIONS:
            stem = path.name  # keep whatever followed the dot; it is part of the name
    stem = stem.strip(" .")[:MAX_NAME_LENGTH].strip(" .") or "paper"
    return stem + extension
