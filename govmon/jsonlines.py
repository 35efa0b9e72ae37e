"""Opening a JSON Lines file of events, shared by `govmon produce` and `govmon replay`
so both read the same lines from it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO

# Editors and spreadsheet exports on Windows start UTF-8 files with a byte-order mark;
# RFC 8259 lets a parser ignore it.  Left in, it would make line 1 a malformed event.
UTF8_BOM = b"\xef\xbb\xbf"


class _AfterHead(io.RawIOBase):
    """A pipe's first bytes, read ahead to look for the mark, then the rest of it: a
    pipe cannot seek back, and one read of it may return fewer bytes than the mark's
    three (a writer that sends the mark, or part of it, on its own)."""

    def __init__(self, head: bytes, raw: io.FileIO) -> None:
        super().__init__()
        self.head = head
        self.raw = raw
        self.name = raw.name

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.raw.fileno()

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.head:
            count = min(len(buffer), len(self.head))
            buffer[:count] = self.head[:count]
            self.head = self.head[count:]
            return count
        return self.raw.readinto(buffer)

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_lines(path: Path, buffering: int = -1) -> IO[bytes]:
    """``path`` opened for reading bytes, positioned after a leading UTF-8 BOM.  A pipe
    (``<(zcat f.gz)``, ``/dev/stdin``) works too: its first bytes, read until there are
    three or it ends, are handed out again unless they are the mark."""
    size = buffering if buffering > 1 else io.DEFAULT_BUFFER_SIZE
    raw = io.FileIO(path)
    try:
        head = b""
        while len(head) < len(UTF8_BOM):
            chunk = raw.read(len(UTF8_BOM) - len(head))
            if not chunk:
                break
            head += chunk
        if head in (b"", UTF8_BOM):
            return io.BufferedReader(raw, size)
        if raw.seekable():  # a file: read from its start, at full speed
            raw.seek(0)
            return io.BufferedReader(raw, size)
        return io.BufferedReader(_AfterHead(head, raw), size)
    except BaseException:
        raw.close()
        raise
