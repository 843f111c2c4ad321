"""Upload checks: the declared name is not trusted; the first bytes decide what a file is."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from crm.core.items.errors import ItemError, ItemErrorCode

# magic bytes -> content type, for the types we preview
_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]
# everything else is served as a download with a neutral type
_BY_EXTENSION = {
    ".txt": "text/plain",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".csv": "text/csv",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".zip": "application/zip",
    ".rar": "application/vnd.rar",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".ogg": "audio/ogg",
    ".mp4": "video/mp4",
    ".vcf": "text/vcard",
    ".eml": "message/rfc822",
}
_PREVIEW_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf"}


def max_upload_bytes() -> int:
    return int(getattr(settings, "CRM_UPLOAD_MAX_BYTES", 25 * 1024 * 1024))


def sniff(head: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_upload(name: str, size: int, head: bytes) -> str:
    """The content type to store for this upload, or a clear refusal."""
    if size <= 0:
        raise ItemError(ItemErrorCode.FILE_EMPTY)
    if size > max_upload_bytes():
        raise ItemError(ItemErrorCode.FILE_TOO_LARGE, limit=filesizeformat(max_upload_bytes()))
    extension = PurePath(name).suffix.lower()
    sniffed = sniff(head)
    if extension in _PREVIEW_EXTENSIONS:
        # a file that claims to be an image or PDF must be one: it is shown inline
        if sniffed is None:
            raise ItemError(ItemErrorCode.FILE_TYPE_REFUSED, kind=extension or "?")
        return sniffed
    if extension in _BY_EXTENSION:
        return sniffed or _BY_EXTENSION[extension]
    raise ItemError(ItemErrorCode.FILE_TYPE_REFUSED, kind=extension or "?")
