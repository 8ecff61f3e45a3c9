"""The settings schema: every key a check takes, declared once.

`KEYS` is the one declaration. From it come the `Config` dataclass, the `.errscan.yaml` parser (config.py),
the command line's overlay (`merge`), `errscan config --show` (`dump`), the service's request model
(server.py: the keys marked `request`), and the audit's cache key (`Config.key`). A key's *kind* says how a
value is read from YAML, taken from the command line, merged, and written back; a new key is one line here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, make_dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

from errscan.docdate import DateRange, parse_date
from errscan.model import FAIL_ON, SHOWN, Finding, Severity, fail_threshold

_ID = re.compile(r"[^\s/]+(?:/.+)?")  # a list id, or list id/term


class AsOf(NamedTuple):
    """A document date as written (`2017-06`) and the range of days it means; parsed once, where it is read."""

    text: str
    range: DateRange


class Invalid(ValueError):
    """A value that does not fit its key; the message is the clerk's (Chinese). `item` points into a list."""

    def __init__(self, message: str, item: int | None = None):
        super().__init__(message)
        self.item = item


@dataclass(frozen=True)
class Key:
    name: str
    kind: str  # see KINDS
    default: Any
    help: str  # Chinese: `config --show` and the service's schema
    scan: bool = False  # changes what the Scanner finds: one Scanner per distinct value
    request: bool = False  # a request to `errscan serve` may set it


KEYS: tuple[Key, ...] = (
    Key("lists", "paths", (), "追加的词表文件或目录（相对于配置文件）", scan=True),
    Key("builtin", "bool", True, "是否使用内置词表", scan=True),
    Key("allow", "strings", (), "不报告的词语（含这些词语的更长词语也不报告）", scan=True),
    Key("allow_regex", "regexes", (), "整段原文与其中一个正则表达式完全匹配的问题不报告"),
    Key("disable", "ids", (), "不报告的词表编号（如 typo）或规则编号（如 typo/布署）", request=True),
    Key("severity", "severities", (), "改变词表或规则的级别（如 {usage: warning}）；规则编号优先"),
    Key("fail_on", "fail_on", "warning", "有此级别及以上的问题即判为不通过（error、warning、info 或 never）",
        request=True),
    Key("min_severity", "shown", Severity.INFO, "只显示此级别及以上的问题；不影响是否通过", request=True),
    Key("exclude", "globs", (), "不检查的路径（glob，相对于配置文件所在目录，写法同 .gitignore）"),
    Key("privacy", "bool", True, "是否检查身份证号、手机号、银行卡号等个人信息", scan=True),
    Key("as_of", "date", None, "文稿日期（如 2025-03-10、2025年3月10日、2025-03），决定旧名称是否过时", scan=True),
    Key("fuzzy", "bool", True, "是否近似匹配：国名、机构名、区划名、重要表述和成语写错一个字也能发现", scan=True),
    Key("lm", "bool", True, "是否用统计语言模型提示疑似错字（提示级别）", scan=True),
    Key("posts", "bool", True, "是否按文稿日期核对领导人的职务与姓名、姓名错字和排序，以及固有表述的引号", scan=True),
    Key("registers", "paths", (), "追加的职务任职登记文件（格式同内置登记，相对于配置文件）", scan=True),
)
BY_NAME = {k.name: k for k in KEYS}
NAMES = tuple(BY_NAME)


# --- kinds: how a value is read, taken from the command line, merged and dumped ----------------------------
def _strings(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise Invalid(f"{name} 应为列表（如 {name}: [a, b]）")
    items = list(value)
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise Invalid(f"{name} 的每一项应为非空字符串，不是 {item!r}", i)
    return tuple(items)


def _regexes(value: Any, name: str) -> tuple[str, ...]:
    items = _strings(value, name)
    for i, item in enumerate(items):
        try:
            re.compile(item)
        except re.error as exc:
            raise Invalid(f"{name}：正则表达式 {item!r} 有误：{exc}", i) from None
    return items


def _ids(value: Any, name: str) -> tuple[str, ...]:
    items = _strings(value, name)
    for i, item in enumerate(items):
        if not _ID.fullmatch(item):
            raise Invalid(f"{name}：{item!r} 不是词表编号（如 typo）或规则编号（如 typo/布署）", i)
    return items


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{name} 应为 true 或 false，不是 {value!r}")
    return value


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    text = getattr(value, "value", value)  # an Enum member from the command line
    text = text.label if isinstance(text, Severity) else text
    if not isinstance(text, str) or text.strip().lower() not in choices:
        raise Invalid(f"{name} 应为 {'、'.join(choices)} 之一，不是 {value!r}")
    return text.strip().lower()


def _shown(value: Any, name: str) -> Severity:
    return value if isinstance(value, Severity) else Severity.parse(_choice(value, name, SHOWN))


def _severities(value: Any, name: str) -> tuple[tuple[str, Severity], ...]:
    if value is None:
        return ()
    pairs = value.items() if isinstance(value, Mapping) else value
    out: dict[str, Severity] = {}
    for key, level in pairs:
        if not isinstance(key, str) or not _ID.fullmatch(key):
            raise Invalid(f"{name}：{key!r} 不是词表编号或规则编号")
        out[key] = _shown(level, f"{name}.{key}")
    return tuple(out.items())


def parse_as_of(value: Any, name: str = "as_of") -> AsOf | None:
    """A date as the file or the command line gives it: 2017-06-01, 2017-06, 2017 (YAML may make a date)."""
    if value is None or isinstance(value, AsOf):
        return value
    text = value.isoformat() if isinstance(value, dt.date) else str(value) if isinstance(value, int) else value
    if isinstance(text, str):
        try:
            return AsOf(text.strip(), parse_date(text))
        except (ValueError, TypeError):
            pass
    raise Invalid(f"{name} 应为 2025-03-10、2025/03/10、2025年3月10日、2025-03 或 2025 这样的日期，不是 {value!r}")


def _paths(value: Any, name: str) -> tuple[Path, ...]:
    return tuple(Path(p) for p in _strings([str(p) for p in value] if value else value, name))


@dataclass(frozen=True)
class Kind:
    parse: Callable[[Any, str], Any]  # a raw value (YAML or command line) -> the value kept, or Invalid
    merge: str = "replace"  # replace | add (sequences, in order, no repeats) | update (mappings)
    dump: Callable[[Any], Any] = lambda v: v  # the value kept -> YAML


KINDS: dict[str, Kind] = {
    "paths": Kind(_paths, "add", lambda v: [str(p) for p in v]),
    "bool": Kind(_bool),
    "strings": Kind(_strings, "add", list),
    "regexes": Kind(_regexes, "add", list),
    "ids": Kind(_ids, "add", list),
    "globs": Kind(_strings, "add", list),
    "severities": Kind(_severities, "update", lambda v: {k: s.label for k, s in v}),
    "fail_on": Kind(lambda v, n: _choice(v, n, FAIL_ON)),
    "shown": Kind(_shown, dump=lambda v: v.label),
    "date": Kind(parse_as_of, dump=lambda v: v.text if v else None),
}


def parse(key: str, value: Any) -> Any:
    """A raw value for `key`, checked. Raises Invalid."""
    return KINDS[BY_NAME[key].kind].parse(value, key)


# --- the settings of one project -----------------------------------------------------------------------------
class _Methods:
    """What every Config can do; its fields come from KEYS (see `Config` below)."""

    path: Path | None
    root: Path

    @property
    def fail_threshold(self) -> int:
        """The lowest severity that fails the check (above ERROR for `never`)."""
        return fail_threshold(self.fail_on)  # type: ignore[attr-defined]

    def scan_key(self) -> tuple[object, ...]:
        """The values that change what the Scanner finds: one Scanner per distinct key (computed once)."""
        key = self.__dict__.get("_scan_key")
        if key is None:
            key = tuple(_hashable(getattr(self, k.name)) for k in KEYS if k.scan)
            object.__setattr__(self, "_scan_key", key)
        return key  # type: ignore[no-any-return]

    def key(self, known: Iterable[Path] = ()) -> str:
        """A digest of everything that changes a document's result (findings, what is shown, its verdict), the
        list files' and registers' sizes and mtimes included: the audit keys its cache on it, so editing a
        `.errscan.yaml`, an office list or an office register re-checks the files under it. `known`: list files
        whose changes the caller follows itself, entry by entry (the audit's own lists), left out of the digest."""
        h = hashlib.blake2b(digest_size=12)
        for k in KEYS:
            if k.name != "exclude":  # the walk's business, not a document's
                h.update(f"{k.name}={_hashable(getattr(self, k.name))!r}\n".encode("utf-8", "surrogatepass"))
        skip = {str(p) for p in known}
        for p in (*self.lists, *self.registers):  # type: ignore[attr-defined]  # an office's register too
            if str(p) not in skip:
                h.update(_tree_digest(Path(p)).encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def excluded(self, path: str | Path) -> bool:
        """Whether an input falls under one of the `exclude` patterns (relative to the config's directory)."""
        if not self.exclude:  # type: ignore[attr-defined]
            return False
        rx, root = self._excludes
        full = os.path.abspath(path)
        if not full.startswith(root):
            return False  # outside the project: its patterns do not reach there
        return rx.fullmatch(full[len(root) :].replace(os.sep, "/")) is not None

    @property
    def _excludes(self) -> tuple[re.Pattern[str], str]:
        cached = self.__dict__.get("_excludes_cache")
        if cached is None:
            cached = _exclude_regex(self.exclude, self.root)  # type: ignore[attr-defined]
            object.__setattr__(self, "_excludes_cache", cached)
        return cached  # type: ignore[no-any-return]

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """Drop disabled lists/rules and allowed terms, then apply severity overrides (every severity is kept:
        `min_severity` chooses what is shown, later).

        An override replaces the list's severity, except for a dated entry the pipeline reports as info because
        the document's date is unknown (`Finding.undated`): it stays a hint.
        """
        if not (self.disable or self.allow or self.allow_regex or self.severity):  # type: ignore[attr-defined]
            return list(findings)  # nothing to filter or override (a service's common case)
        disabled, allowed, by_id = set(self.disable), set(self.allow), dict(self.severity)  # type: ignore[attr-defined]
        regexes = [re.compile(r) for r in self.allow_regex]  # type: ignore[attr-defined]
        kept = []
        for f in findings:
            if f.rule in disabled or f.list_id in disabled or f.text in allowed:
                continue
            if regexes and any(rx.fullmatch(f.text) for rx in regexes):
                continue
            if by_id and not f.undated:
                severity = by_id.get(f.rule, by_id.get(f.list_id))
                if severity is not None and severity != f.severity:
                    f = replace(f, severity=severity)
            kept.append(f)
        return kept


def _hashable(value: Any) -> Any:
    if isinstance(value, AsOf):
        return value.text
    if isinstance(value, tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, Path):
        return str(value)
    return value


def _tree_digest(path: Path) -> str:
    """Size, mtime and name of a list file, or of every file under a list directory."""
    try:
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob("*") if p.is_file())
            return "|".join(f"{p}:{os.stat(p).st_size}:{os.stat(p).st_mtime_ns}" for p in found)
        st = path.stat()
        return f"{path}:{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        return f"{path}:?"


Config = make_dataclass(
    "Config",
    [("path", "Path | None", field(default=None))]
    + [(k.name, Any, field(default=k.default)) for k in KEYS]
    + [("root", Path, field(default_factory=Path.cwd, compare=False))],
    bases=(_Methods,),
    frozen=True,
)
Config.__module__ = __name__  # pickled by reference (audit workers, the Dask engine)
Config.__doc__ = "One project's settings (fields: `path`, every key of KEYS, `root` for `exclude`)."


def merge(config: Any, **given: Any) -> Any:
    """The config with values given on the command line or in a request; None (or absent) means "not given".

    Per the key's kind: scalars replace the file's values; sequences are added to them; mappings update them.
    Paths given here are relative to the current directory. Raises Invalid for a bad value.
    """
    if all(v is None for v in given.values()):
        return config  # nothing given (a request that takes the service's settings)
    unknown = set(given) - set(NAMES)
    if unknown:
        raise TypeError(f"merge() got unknown options: {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    for name, raw in given.items():
        if raw is None or ((raw == () or raw == []) and KINDS[BY_NAME[name].kind].merge != "replace"):
            continue
        value = parse(name, raw)
        mode, current = KINDS[BY_NAME[name].kind].merge, getattr(config, name)
        if name == "lists":
            value = tuple(Path(os.path.abspath(p)) for p in value)
        if mode == "add":
            value = current + tuple(x for x in value if x not in current)
        elif mode == "update":
            value = tuple({**dict(current), **dict(value)}.items())
        changes[name] = value
    return replace(config, **changes) if changes else config


def dump(config: Any) -> dict[str, Any]:
    """The settings as YAML data a user can copy into a `.errscan.yaml` beside the config (paths relative)."""
    root = config.path.parent if config.path else config.root
    data = {k.name: KINDS[k.kind].dump(getattr(config, k.name)) for k in KEYS}
    data["lists"] = [_relative(p, root) for p in config.lists]
    return data


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return str(path)


def _exclude_regex(patterns: tuple[str, ...], root: Path) -> tuple[re.Pattern[str], str]:
    """All patterns as one regex over the path relative to the root, and the root as a prefix."""
    parts = []
    for pattern in patterns:
        rx, anchored = _glob(pattern)
        # unanchored: at any depth; either way a match of a directory covers everything below it
        parts.append(("" if anchored else "(?:.*/)?") + f"(?:{rx.pattern})(?:/.*)?")
    return re.compile("|".join(parts), re.S), os.path.join(os.path.abspath(root), "")


def _glob(pattern: str) -> tuple[re.Pattern[str], bool]:
    """A gitignore-like glob as a regex over '/'-joined segments, and whether it is anchored at the root."""
    p = pattern.strip()
    p = p[2:] if p.startswith("./") else p
    anchored = "/" in p.rstrip("/")
    p = p.strip("/")
    out, i = [], 0
    while i < len(p):
        c = p[i]
        if p.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if p.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and (close := p.find("]", i + 2)) != -1:
            body = p[i + 1 : close]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = close + 1
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out)), anchored
