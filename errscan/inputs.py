"""Which inputs a check covers, and reading each into text."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from errscan.model import Document
from errscan.readers import ReadError, read, sniff
from errscan.readers.text import looks_binary


@dataclass(frozen=True)
class Source:
    """One input: its display name, and where its bytes come from."""

    name: str
    path: Path | None  # None: standard input
    in_directory: bool = False  # found by walking a directory (binary files are then skipped)


def expand(args: list[str], stdin_filename: str | None = None) -> Iterator[Source]:
    """Files as given; directories walked recursively, sorted, hidden entries skipped; '-' is stdin
    (named `stdin_filename` when given: its type, its report path and its configuration come from that name)."""
    for arg in args:
        if arg == "-":
            yield Source(stdin_filename or "-", None)
            continue
        path = Path(arg)
        if not path.is_dir():
            yield Source(arg, path)
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    full = os.path.join(root, name)
                    yield Source(full, Path(full), in_directory=True)


class Skipped(Exception):
    """A file met while walking a directory that is no document (an image, an archive): not an error."""


def read_path(path: Path | str) -> bytes:
    """A file's bytes. Raises ReadError with the clerk's message."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise ReadError("文件不存在") from None
    except PermissionError:
        raise ReadError("没有读取权限") from None
    except IsADirectoryError:
        raise ReadError("是目录，不是文件") from None
    except OSError as exc:
        raise ReadError(f"读取失败：{exc.strerror or exc}") from None


def load(source: Source, stdin: object = None, kind: str | None = None) -> Document:
    """Read one source into a Document. Raises ReadError (unreadable) or Skipped."""
    if source.path is None:
        import sys

        data = (stdin or sys.stdin.buffer).read()  # type: ignore[attr-defined]
    else:
        data = read_path(source.path)
    if source.in_directory and kind is None:
        found = sniff(data, source.name)
        if found == "zip" or (found == "text" and looks_binary(data)):
            raise Skipped(source.name)  # images, archives …: not documents
    return read(data, source.name, kind)
