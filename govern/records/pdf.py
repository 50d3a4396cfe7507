"""HTML to PDF with WeasyPrint, fetching nothing but the app's own static files.

A decision record carries text that users wrote (papers, reasons, declarations). The templates
escape it, and as a second wall the URL fetcher refuses every URL except the app's own
``/static/...`` files, which it reads from disk: no ``file:``, ``data:`` or network access, so no
redirect can ever be followed. Records are tagged PDF/UA-1 (accessible), in British English.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

#: The base URL records are rendered against: a host under the reserved ``.invalid`` top-level
#: domain (RFC 2606), so a relative URL can only ever mean one of our own files.
BASE_URL = "https://records.govern.invalid/"
STATIC_PREFIX = "/static/"
PDF_VARIANT = "pdf/ua-1"


class RefusedURL(ValueError):
    """The fetcher will not fetch this URL (WeasyPrint logs it and leaves the resource out)."""


class StaticOnlyFetcher(URLFetcher):
    """Serve ``<BASE_URL>static/<path>`` from ``static_folder``; refuse everything else.

    ``fetched`` lists what was served and ``refused`` what was not, so a test (or a log) can
    show exactly what a render touched.
    """

    def __init__(self, static_folder: str | Path) -> None:
        super().__init__(allowed_protocols=("https",), allow_redirects=False, fail_on_errors=False)
        self.static_root = Path(static_folder).resolve()
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def path_for(self, url: str) -> Path:
        """The file under the static folder that ``url`` names, or :class:`RefusedURL`."""
        base = urlsplit(BASE_URL)
        try:
            parts = urlsplit(url)
        except ValueError as error:
            raise RefusedURL(f"malformed URL: {url!r}") from error
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            raise RefusedURL(f"not one of the app's own files: {url!r}")
        path = unquote(parts.path)
        if not path.startswith(STATIC_PREFIX) or "\\" in path or "\x00" in path:
            raise RefusedURL(f"not under {STATIC_PREFIX}: {url!r}")
        relative = path.removeprefix(STATIC_PREFIX)
        if any(segment in ("", ".", "..") for segment in relative.split("/")):
            raise RefusedURL(f"not a plain path: {url!r}")
        candidate = (self.static_root / relative).resolve()
        if not candidate.is_relative_to(self.static_root) or not candidate.is_file():
            raise RefusedURL(f"no such static file: {url!r}")
        return candidate

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Read the static file from disk; never open a connection or another scheme."""
        try:
            path = self.path_for(url)
        except RefusedURL:
            self.refused.append(url)
            raise
        self.fetched.append(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def render(html: str, static_folder: str | Path, *, base_url: str = BASE_URL,
           fetcher: StaticOnlyFetcher | None = None) -> bytes:
    """The PDF of ``html``: A4 and page numbers come from the record's stylesheet; the title from its
    ``<title>`` and the language from ``<html lang>``; tagged as PDF/UA-1, fonts embedded."""
    fetcher = fetcher or StaticOnlyFetcher(static_folder)
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(pdf_variant=PDF_VARIANT)  # type: ignore[no-any-return]
