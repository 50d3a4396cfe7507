"""What a file is, judged from its bytes: the allow-list of papers we accept, their signatures, and
what each must prove by being opened (:func:`refusal`).

The name and the browser's Content-Type are never trusted. Each accepted type has a signature at
offset 0; Word and Excel files of today are zip packages, told apart (and from an arbitrary zip) by
the main part their ``[Content_Types].xml`` declares; older Word and Excel files are OLE2 compound
files, which look alike from outside, so for them (only) the extension decides between the two.

A signature only says what a file claims to be. :func:`refusal` then opens it as that: Office files as
zips within size and compression-ratio limits, with every part's content type checked; PDFs parsed
with pikepdf and refused when they carry JavaScript, launch actions or embedded files; images decoded
with Pillow; older Office files opened as OLE2 compound files and checked for their main stream; and a
file that is also a zip or a PDF (a polyglot) is refused. Its answer is the reason, in plain English.

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
from struct import error as struct_error


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


# --- what a file must prove by being opened ----------------------------------------------------------------

#: Office packages: limits on what the zip unpacks to (zip bombs) and on how many parts it has.
OFFICE_MAX_ENTRIES = 5000
OFFICE_MAX_ENTRY_BYTES = 50 * 1024 * 1024
OFFICE_MAX_TOTAL_BYTES = 100 * 1024 * 1024
#: Ratio of unpacked to packed size above which an entry is a bomb, not a document (XML packs ~10:1).
OFFICE_MAX_RATIO = 100
#: Entries smaller than this are not judged by their ratio (a run of spaces packs very well).
OFFICE_RATIO_FLOOR = 1024 * 1024
#: Content types an accepted Office package may not declare: macros, ActiveX controls, embedded OLE objects.
OFFICE_REFUSED_TYPES = ("macroenabled", "vbaproject", "activex", "oleobject", "vbadata")
#: Images: more pixels than this is a decompression bomb, not a paper (a 300 dpi A3 scan is ~17 million).
IMAGE_MAX_PIXELS = 60_000_000
#: How many PDF objects to look through before giving up (a PDF this complex is refused).
PDF_MAX_OBJECTS = 500_000

_PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WEBP"}


def refusal(data: bytes, kind: FileKind) -> str | None:
    """Why a file whose bytes say it is ``kind`` is refused once opened as such, or None if it is fine."""
    polyglot = _polyglot(data, kind)
    if polyglot:
        return polyglot
    if kind in (DOCX, XLSX):
        return _office_refusal(data)
    if kind is PDF:
        return _pdf_refusal(data)
    if kind in (DOC, XLS):
        return _ole_refusal(data, kind)
    return _image_refusal(data, kind)


def _polyglot(data: bytes, kind: FileKind) -> str | None:
    """A file that is also another kind (a picture that is a zip, a PDF that is a zip) is refused: a
    program that reads it as the other kind would find something we never checked."""
    if kind not in (DOCX, XLSX) and _looks_like_zip(data):
        return f"The selected file is a {kind.label} with a zip archive hidden in it. Save it again as a plain file."
    # PDF readers look for the header anywhere in the first kilobyte.
    if kind is not PDF and b"%PDF-" in data[:1024]:
        return f"The selected file is a {kind.label} that is also a PDF. Save it again as a plain file."
    return None


def _looks_like_zip(data: bytes) -> bool:
    try:
        return zipfile.is_zipfile(io.BytesIO(data))
    except (OSError, ValueError):
        return False


def _office_refusal(data: bytes) -> str | None:
    label = "Word document or Excel spreadsheet"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            entries = package.infolist()
            if len(entries) > OFFICE_MAX_ENTRIES:
                return f"The selected {label} has too many parts to be a document."
            total = 0
            for info in entries:
                if info.file_size > OFFICE_MAX_ENTRY_BYTES or (
                    info.file_size > OFFICE_RATIO_FLOOR
                    and info.file_size > OFFICE_MAX_RATIO * max(info.compress_size, 1)
                ):
                    return f"The selected {label} unpacks to far more than its size: it cannot be accepted."
                total += info.file_size
                if total > OFFICE_MAX_TOTAL_BYTES:
                    return f"The selected {label} unpacks to far more than its size: it cannot be accepted."
            # The sizes above are what the zip says; unpack each part to prove them (and the checksums).
            unpacked = 0
            for info in entries:
                with package.open(info) as handle:
                    while chunk := handle.read(1024 * 1024):
                        unpacked += len(chunk)
                        if unpacked > OFFICE_MAX_TOTAL_BYTES:
                            return f"The selected {label} unpacks to far more than its size: it cannot be accepted."
            types = package.read("[Content_Types].xml")[:CONTENT_TYPES_LIMIT].decode("utf-8", "replace").lower()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError,
            ValueError, KeyError):
        return f"The selected {label} is damaged or encrypted: it cannot be opened."
    if any(refused in types for refused in OFFICE_REFUSED_TYPES):
        return f"The selected {label} contains macros or embedded programs. Save it without them and try again."
    return None


def _pdf_refusal(data: bytes) -> str | None:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return _pdf_active_content(pdf)
    except pikepdf.PasswordError:
        return "The selected PDF is protected by a password. Save it without one and try again."
    except (pikepdf.PdfError, ValueError, RecursionError, OSError):
        return "The selected PDF is damaged: it cannot be opened."


def _pdf_active_content(pdf: object) -> str | None:
    """Walk every object reachable from the trailer (each indirect object once) looking for actions
    that run something and files carried inside."""
    import pikepdf

    stack: list[object] = [pdf.trailer]  # type: ignore[attr-defined]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        obj = stack.pop()
        visited += 1
        if visited > PDF_MAX_OBJECTS:
            return "The selected PDF is too complex to check."
        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if isinstance(obj, pikepdf.Dictionary):
            keys = set(obj.keys())
            action = str(obj.get("/S", ""))
            if "/JS" in keys or "/JavaScript" in keys or action == "/JavaScript":
                return "The selected PDF contains JavaScript. Save or print it to a new PDF without it and try again."
            if action == "/Launch" or "/Launch" in keys:
                return ("The selected PDF would start a program when opened. "
                        "Save or print it to a new PDF and try again.")
            if "/EmbeddedFiles" in keys or "/EF" in keys or str(obj.get("/Subtype", "")) == "/FileAttachment":
                return "The selected PDF has files inside it. Attach those files separately, and the PDF without them."
            stack.extend(obj[key] for key in keys)
        elif isinstance(obj, pikepdf.Array):
            stack.extend(obj)
    return None


def _ole_refusal(data: bytes, kind: FileKind) -> str | None:
    import olefile

    main = "WordDocument" if kind is DOC else ("Workbook", "Book")
    try:
        with olefile.OleFileIO(data) as ole:
            streams = {"/".join(path).lower() for path in ole.listdir(streams=True, storages=True)}
            has_main = any(ole.exists(name) for name in ((main,) if isinstance(main, str) else main))
    except (OSError, ValueError, IndexError, struct_error, NotImplementedError):
        return f"The selected file is not a {kind.label} that can be opened."
    if not has_main:
        return f"The selected file is not a {kind.label}: it holds no document."
    if any(name.startswith(("macros", "_vba_project_cur", "vba")) or "/vba" in name for name in streams):
        return f"The selected {kind.label} contains macros. Save it without them and try again."
    return None


def _image_refusal(data: bytes, kind: FileKind) -> str | None:
    from PIL import Image, UnidentifiedImageError

    problem = f"The selected file is not a {kind.label} that can be opened."
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != _PILLOW_FORMATS.get(kind):
                return problem
            width, height = image.size
            if width * height > IMAGE_MAX_PIXELS:
                return f"The selected {kind.label} is too large an image ({width} by {height} pixels)."
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # verify() skips the pixel data: decode it, to prove the picture is one
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError):
        return problem
    return None
