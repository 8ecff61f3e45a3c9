"""Which inputs a check covers, and reading each into text."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from errscan.model import Document
from errscan.readers import MAX_INPUT_BYTES, ReadError, not_a_document, read, sniff, too_large


def is_url(arg: str) -> bool:
    """An http(s) address, which errscan.fetch reads (here, so that checking files never imports it)."""
    return arg[:8].lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class Source:
    """One input: its display name, and where its bytes come from."""

    name: str
    path: Path | None  # None: standard input
    in_directory: bool = False  # found by walking a directory (binary files are then skipped)


_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def display_name(name: str) -> str:
    """A file name as every output shows it: bytes that are not UTF-8 (which Python carries as lone surrogates)
    as \\xNN, control and bidirectional-override characters as \\uNNNN; anything else as it is. A terminal
    never receives an escape sequence from a file name, and JSON and SARIF stay valid UTF-8."""
    if name.isprintable() and name.isascii():
        return name
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF or code < 0x20 or 0x7F <= code < 0xA0 or ch in _BIDI:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def expand(args: list[str], stdin_filename: str | None = None) -> Iterator[Source]:
    """Files as given; directories walked recursively, sorted, hidden entries skipped; '-' is stdin
    (named `stdin_filename` when given: its type, its report path and its configuration come from that name)."""
    for arg in args:
        if arg == "-":
            yield Source(display_name(stdin_filename or "-"), None)
            continue
        path = Path(arg)
        if not path.is_dir():
            yield Source(display_name(arg), path)
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    full = os.path.join(root, name)
                    yield Source(display_name(full), Path(full), in_directory=True)


class Skipped(Exception):
    """A file met while walking a directory that is no document (an image, an archive): not an error."""


def read_path(path: Path | str) -> bytes:
    """A regular file's bytes, at most MAX_INPUT_BYTES of them. Raises ReadError with the clerk's message.

    The file is opened without blocking and checked before a byte is read: a FIFO or a device (/dev/zero) is
    refused, a file larger than the limit is refused by its size, and the read itself stops at the limit (a file
    that grows, or one whose size the system does not tell)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ReadError("文件不存在") from None
    except PermissionError:
        raise ReadError("没有读取权限") from None
    except IsADirectoryError:
        raise ReadError("是目录，不是文件") from None
    except OSError as exc:
        raise ReadError(f"读取失败：{exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ReadError("是目录，不是文件")
        if not stat.S_ISREG(st.st_mode):
            mode = st.st_mode
            what = "管道（FIFO）" if stat.S_ISFIFO(mode) else "套接字" if stat.S_ISSOCK(mode) else "设备文件"
            raise ReadError(f"是{what}，不是普通文件，未检查")
        if st.st_size > MAX_INPUT_BYTES:
            raise ReadError(too_large(st.st_size))
        try:
            return bounded_read(fh, st.st_size)
        except OSError as exc:
            raise ReadError(f"读取失败：{exc.strerror or exc}") from None


def bounded_read(fh: object, size: int | None = None) -> bytes:
    """Everything a binary stream holds, up to MAX_INPUT_BYTES; ReadError beyond (standard input fed from
    /dev/zero ends here, not in a MemoryError). `size`: what the file's size was said to be. One read of that
    much and a byte more tells whether there is more (a file that grew): a read of the limit's size would set up
    a 200 MB buffer for each small file of an archive (~20-300 µs a file)."""
    read = fh.read  # type: ignore[attr-defined]
    if size is not None and size < MAX_INPUT_BYTES:
        data = read(size + 1)
        if len(data) <= size:
            return data  # type: ignore[no-any-return]
        data += read(MAX_INPUT_BYTES + 1 - len(data))
    else:
        data = read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise ReadError(too_large(None))
    return data  # type: ignore[no-any-return]


def load(source: Source, stdin: object = None, kind: str | None = None) -> Document:
    """Read one source into a Document. Raises ReadError (unreadable) or Skipped."""
    if source.path is None:
        import sys

        data = bounded_read(stdin or sys.stdin.buffer)
    else:
        data = read_path(source.path)
    if source.in_directory and kind is None:
        found = sniff(data, source.name)
        if not_a_document(found, data):
            raise Skipped(source.name)  # archives, images without OCR …: not documents
    return read(data, source.name, kind)
