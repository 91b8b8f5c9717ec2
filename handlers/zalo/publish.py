"""Zalo takes photos by URL only: an image the bot sends there is written once, under the hash
of its bytes, into the directory the operator serves publicly (CHIBOT_PUBLIC_FILES_DIR at
CHIBOT_PUBLIC_FILES_URL), and sent by its address there."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from bot.config import Settings


class Publisher:
    """Writes files into the public directory and returns their public URL."""

    def __init__(self, directory: str, base_url: str) -> None:
        self._directory = Path(directory)
        self._base_url = base_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> Publisher | None:
        """Returns the publisher the operator configured, or None."""
        if not (settings.public_files_dir and settings.public_files_url):
            return None
        return cls(settings.public_files_dir, settings.public_files_url)

    def publish(self, content: bytes, filename: str) -> str:
        """Writes the bytes (once; the name is their SHA-256, unguessable) and returns the URL."""
        suffix = Path(filename).suffix.lower() or ".bin"
        name = hashlib.sha256(content).hexdigest() + suffix
        target = self._directory / name
        if not target.exists():
            self._directory.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{name}.{os.getpid()}")
            partial.write_bytes(content)
            partial.replace(target)  # readers never see half a file
        return f"{self._base_url}/{name}"
