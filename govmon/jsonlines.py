"""Opening a JSON Lines file of events, shared by `govmon produce` and `govmon replay`
so both read the same lines from it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO

# Editors and spreadsheet exports on Windows start UTF-8 files with a byte-order mark;
# RFC 8259 lets a parser ignore it.  Left in, it would make line 1 a malformed event.
UTF8_BOM = b"\xef\xbb\xbf"


def open_lines(path: Path, buffering: int = -1) -> IO[bytes]:
    """``path`` opened for reading bytes, positioned after a leading UTF-8 BOM.  The
    mark is looked at without reading it (``peek``), so a pipe (``<(zcat f.gz)``,
    ``/dev/stdin``), which cannot seek back, works too."""
    stream = io.BufferedReader(io.FileIO(path),
                               buffering if buffering > 1 else io.DEFAULT_BUFFER_SIZE)
    try:
        if stream.peek(len(UTF8_BOM))[:len(UTF8_BOM)] == UTF8_BOM:
            stream.read(len(UTF8_BOM))
    except BaseException:
        stream.close()
        raise
    return stream
