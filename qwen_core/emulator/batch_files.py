"""The emulator's Files API (``/compatible-mode/v1/files``): multipart upload with ``purpose=batch``, download.

Files live in memory for the emulator's lifetime. Output and error files of batches are stored here too.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from qwen_core.emulator.errors import EmulatedError, invalid

__all__ = ["MAX_UPLOAD_BYTES", "FileStore", "StoredFile", "not_found", "parse_multipart"]

#: The service's upload limit for batch input files.
MAX_UPLOAD_BYTES = 500 * 1024 * 1024


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int = field(default_factory=lambda: int(time.time()))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "object": "file", "bytes": len(self.content), "created_at": self.created_at,
                "filename": self.filename, "purpose": self.purpose, "status": "processed", "status_details": None}


def not_found(kind: str, value: str) -> EmulatedError:
    return EmulatedError(404, "NotFound", f"The {kind} {value!r} does not exist.", "not_found")


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """``name -> (filename, value)`` of a multipart/form-data body."""
    boundary = ""
    for piece in content_type.split(";"):
        key, _, value = piece.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not content_type.lower().startswith("multipart/form-data") or not boundary:
        raise invalid("Files must be uploaded as multipart/form-data.")
    fields: dict[str, tuple[str | None, bytes]] = {}
    for section in body.split(b"--" + boundary.encode())[1:]:
        if section.startswith(b"--"):
            break
        head, _, content = section.partition(b"\r\n\r\n")
        name, filename = _disposition(head.decode("utf-8", "replace"))
        if name:
            fields[name] = (filename, content[:-2] if content.endswith(b"\r\n") else content)
    return fields


def _disposition(head: str) -> tuple[str | None, str | None]:
    name = filename = None
    for line in head.split("\r\n"):
        if not line.lower().startswith("content-disposition:"):
            continue
        for piece in line.split(";")[1:]:
            key, _, value = piece.strip().partition("=")
            if key == "name":
                name = value.strip('"')
            elif key == "filename":
                filename = value.strip('"')
    return name, filename


class FileStore:
    """Thread-safe in-memory files."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._lock = threading.Lock()

    def upload(self, content_type: str, body: bytes) -> StoredFile:
        fields = parse_multipart(content_type, body)
        purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", "replace")
        if "file" not in fields:
            raise invalid("Missing required parameter: 'file'.")
        if purpose != "batch":
            raise invalid(f"Invalid purpose {purpose!r}; batch input files are uploaded with purpose='batch'.")
        filename, content = fields["file"]
        if len(content) > MAX_UPLOAD_BYTES:
            raise invalid("The file exceeds the maximum size of 500 MB.")
        return self.add(content, filename or "upload.jsonl", purpose)

    def add(self, content: bytes, filename: str, purpose: str) -> StoredFile:
        stored = StoredFile(f"file-batch-{uuid.uuid4().hex[:24]}", filename, purpose, content)
        with self._lock:
            self._files[stored.id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        with self._lock:
            stored = self._files.get(file_id)
        if stored is None:
            raise not_found("file", file_id)
        return stored

    def all(self) -> list[StoredFile]:
        """Every stored file (uploads, and batches' output and error files)."""
        with self._lock:
            return list(self._files.values())

    def delete(self, file_id: str) -> None:
        with self._lock:
            if self._files.pop(file_id, None) is None:
                raise not_found("file", file_id)
