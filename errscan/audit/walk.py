"""The archive's files, streamed: local folders walked like `errscan check` does (sorted, hidden entries
skipped, symbolic links to folders not followed, so no loop), every unreadable folder reported; fsspec URLs
listed through fsspec.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass

ROOT = "（根目录）"
SINGLE = "（单独文件）"


@dataclass(frozen=True)
class Item:
    name: str
    size: int
    mtime: int | float | str | None  # ns for local files; whatever the store reports for a URL
    in_directory: bool
    department: str  # the top-level folder under the path given
    folder: str = ""  # the folder it is in (files of one folder are cached in groups)
    settings: str = ""  # the key of the settings that apply to it (set by the audit, from its folder's config)


def is_url(arg: str) -> bool:
    return "://" in arg and not os.path.exists(arg)


def department(rel_parts: list[str], prefix: str) -> str:
    dept = rel_parts[0] if len(rel_parts) > 1 else ROOT
    return f"{prefix}/{dept}" if prefix else dept


def walk(args: list[str], on_error: Callable[[str, str], None]) -> Iterator[Item]:
    prefixed = len(args) > 1
    for arg in args:
        prefix = os.path.basename(arg.rstrip("/\\")) or arg if prefixed else ""
        if is_url(arg):
            yield from _walk_url(arg, prefix, on_error)
            continue
        try:
            st = os.stat(arg)
        except OSError as exc:
            on_error(arg, _message(exc))
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield Item(arg, st.st_size, st.st_mtime_ns, False, prefix or SINGLE, os.path.dirname(arg))
            continue

        def failed(exc: OSError) -> None:
            on_error(str(exc.filename), "目录" + _message(exc))

        for root, dirs, files in os.walk(arg, onerror=failed):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            rel = os.path.relpath(root, arg)
            dept = department([] if rel == "." else [*rel.split(os.sep), ""], prefix)  # the same for all its files
            base = os.path.join(root, "")
            for name in sorted(files):
                if name.startswith("."):
                    continue
                full = base + name
                if not _is_text(full):  # the cache, the outputs and their readers all speak UTF-8
                    on_error(full, "文件名不是有效的 UTF-8 编码，未检查；请改名后再审计")
                    continue
                try:
                    st = os.stat(full)
                except OSError as exc:  # a broken symbolic link, a file gone meanwhile
                    on_error(full, _message(exc))
                    continue
                if stat.S_ISREG(st.st_mode):
                    yield Item(full, st.st_size, st.st_mtime_ns, True, dept, root)


def _is_text(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, carried as lone surrogates
        return False
    return True


def _walk_url(arg: str, prefix: str, on_error: Callable[[str, str], None]) -> Iterator[Item]:
    try:
        import fsspec
    except ImportError:
        on_error(arg, "读取网址需要安装 fsspec（pip install fsspec）")
        return
    try:
        fs, root = fsspec.core.url_to_fs(arg)
        if not fs.isdir(root):
            info = fs.info(root)
            yield Item(arg, int(info.get("size") or 0), _mtime(info), False, prefix or SINGLE, arg.rsplit("/", 1)[0])
            return
        found = fs.find(root, detail=True)
    except Exception as exc:  # any store's error: listed, never fatal
        on_error(arg, f"无法列出：{exc}")
        return
    base = root.rstrip("/")
    for path in sorted(found):
        info = found[path]
        rel = path[len(base) :].lstrip("/").split("/")
        if any(p.startswith(".") for p in rel):
            continue
        url = fs.unstrip_protocol(path)
        yield Item(url, int(info.get("size") or 0), _mtime(info), True, department(rel, prefix), url.rsplit("/", 1)[0])


def _mtime(info: dict[str, object]) -> int | float | str | None:
    for key in ("mtime", "LastModified", "last_modified", "updated", "ETag", "etag"):
        value = info.get(key)
        if value is not None:
            return value if isinstance(value, (int, float)) else str(value)
    return None


def _message(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "不存在（或是失效的链接）"
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    return f"读取失败：{exc.strerror or exc}"


def count(args: list[str]) -> tuple[int, int]:
    """(files, bytes) for the progress bar: a quick walk of local folders (URLs are not counted)."""
    files = size = 0
    for item in walk([a for a in args if not is_url(a)], lambda _n, _m: None):
        files += 1
        size += item.size
    return files, size
