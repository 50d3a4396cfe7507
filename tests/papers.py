"""Small real papers for tests, and bad ones, each built in the test run (nothing binary is committed).

Good: a PDF (pikepdf), images (Pillow), Word and Excel packages, and older Word and Excel files (an
OLE2 compound file with its main stream, written out here: no library writes new ones). Bad: a PDF
that runs JavaScript when opened, launches a program or carries a file; a zip bomb dressed as a .docx;
polyglots; OLE2 junk.
"""

from __future__ import annotations

import io
import struct
import zipfile
from typing import Any

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def pdf(setup: Any = None) -> bytes:
    """A one-page PDF; ``setup(pdf)`` may add to it first (an action, an attachment)."""
    import pikepdf

    document = pikepdf.new()
    document.add_blank_page(page_size=(595, 842))
    if setup is not None:
        setup(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_with_open_action_javascript() -> bytes:
    """A PDF whose /OpenAction runs JavaScript when it is opened."""
    import pikepdf

    def add(document: Any) -> None:
        document.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))

    return pdf(add)


def pdf_with_launch_action() -> bytes:
    """A PDF that starts a program when it is opened (/Launch)."""
    import pikepdf

    def add(document: Any) -> None:
        document.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))

    return pdf(add)


def pdf_with_javascript_in_a_link() -> bytes:
    """JavaScript hidden in a page's annotation, reached only through the page tree."""
    import pikepdf

    def add(document: Any) -> None:
        action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("this.exportDataObject()"))
        link = document.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                                                         Rect=[0, 0, 10, 10], A=action))
        document.pages[0].Annots = pikepdf.Array([link])

    return pdf(add)


def pdf_with_embedded_file() -> bytes:
    """A PDF carrying a file inside it."""
    import pikepdf

    def add(document: Any) -> None:
        document.attachments["payload.exe"] = pikepdf.AttachedFileSpec(document, b"MZ\x90\x00")

    return pdf(add)


def image(fmt: str) -> bytes:
    """A small picture in ``fmt`` (PNG, JPEG, GIF, WEBP)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 94, 184)).save(buffer, format=fmt)
    return buffer.getvalue()


def zipped(files: dict[str, str | bytes]) -> bytes:
    """A zip holding ``files`` (name -> content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def content_types(part: str, content_type: str, extra: str = "") -> str:
    """A package's [Content_Types].xml declaring ``part`` (and ``extra`` overrides)."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type}"/>{extra}</Types>'
    )


def docx(extra: dict[str, str | bytes] | None = None, types_extra: str = "") -> bytes:
    """A Word package (just its main part)."""
    return zipped({"[Content_Types].xml": content_types("word/document.xml", WORD_MAIN, types_extra),
                   "word/document.xml": "<document/>", **(extra or {})})


def docx_zip_bomb(megabytes: int = 200) -> bytes:
    """A .docx with an entry of ``megabytes`` MB of zeros, written a megabyte at a time (the zip is ~200 KB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types("word/document.xml", WORD_MAIN))
        archive.writestr("word/document.xml", "<document/>")
        with archive.open("word/media/padding.bin", "w", force_zip64=True) as entry:
            block = bytes(1024 * 1024)
            for _ in range(megabytes):
                entry.write(block)
    return buffer.getvalue()


# --- OLE2 compound files (older Word and Excel) ---------------------------------------------------------

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREE, _END, _FAT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _directory_entry(name: str, kind: int, *, child: int = _NONE, start: int = _END, size: int = 0) -> bytes:
    encoded = (name.encode("utf-16-le") + b"\x00\x00") if name else b""
    return (encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", _NONE, _NONE, child) + bytes(16) + struct.pack("<I", 0) + bytes(16)
            + struct.pack("<IQ", start, size))


def ole2(stream: str = "WordDocument") -> bytes:
    """A version 3 compound file whose one stream is ``stream`` (4 KB, so it lives in normal sectors):
    sector 0 the FAT, sector 1 the directory, sectors 2-9 the stream."""
    header = (OLE2_SIGNATURE + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
              + struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108)
    fat = [_FAT, _END, *range(3, 10), _END] + [_FREE] * (128 - 10)
    directory = (_directory_entry("Root Entry", 5, child=1) + _directory_entry(stream, 2, start=2, size=4096)
                 + _directory_entry("", 0) * 2)
    return header + struct.pack("<128I", *fat) + directory + bytes(4096)


OLE2_JUNK = OLE2_SIGNATURE + bytes(504)
