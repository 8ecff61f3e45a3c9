"""Project configuration: `.errscan.yaml`, found next to the inputs or given with `--config`.

Discovery works like ruff's: for each input, the directories from the input's own up to the filesystem
root are searched, and the closest `.errscan.yaml` wins. Configurations are not merged with the ones further
up, and the search does not stop at a repository root (a `.git` directory). `--config PATH` names one file
for every input and turns discovery off. Options given on the command line win over the file.

Keys (all optional)::

    lists: [本单位词表.tsv, lists/]   # extra lists, relative to this file
    builtin: true                    # false: only `lists`
    allow: [布署局]                   # terms never reported (also where they contain a listed error)
    allow_regex: ['第.+号']           # a finding whose whole text matches one of these is dropped
    disable: [variant, typo/布署]     # list ids or rule ids
    severity: {usage: warning, typo/布署: error}   # rule ids win over list ids; applied before min_severity;
                                     # a dated entry shown as info for want of the document's date stays info
    fail_on: warning                 # error, warning, info or never
    min_severity: info               # error, warning or info: what is reported at all
    exclude: ['archive/**', '*.min.html']   # globs relative to this file's directory
    privacy: true                    # false: no personal-data checks
    as_of: 2017-06-01                # the documents' date (YYYY-MM-DD, YYYY-MM or YYYY)

`exclude` reads like .gitignore: a pattern without a slash (`*.min.html`) matches a name at any depth, one
with a slash (`archive/**`, `/old`) is anchored at the configuration's directory; `*` and `?` stay within
one path segment, `**` crosses them; a pattern that matches a directory excludes everything below it.
Every problem in the file is reported with its line, as a ConfigError (the command exits with 2).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from errscan.model import Document, Finding, Severity, fail_threshold
from errscan.pipeline import UNDATED

if TYPE_CHECKING:
    from errscan.lexicon import Lexicon
    from errscan.pipeline import Scanner

FILENAME = ".errscan.yaml"
FAIL_ON = ("error", "warning", "info", "never")
SHOWN = ("error", "warning", "info")
KEYS = (
    "lists", "builtin", "allow", "allow_regex", "disable", "severity", "fail_on", "min_severity", "exclude",
    "privacy", "as_of",
)
_ID = re.compile(r"[^\s/]+(?:/.+)?")  # a list id, or list id/term
_UNDATED = UNDATED.split("{")[0]  # marks a dated entry reported as info because the date is unknown


class ConfigError(Exception):
    """Problems in a configuration: each (file, line, message); line 0 when no line applies."""

    def __init__(self, errors: list[tuple[str, int, str]]):
        super().__init__(errors)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(f"{f}:{line}: {msg}" if line else f"{f}: {msg}" for f, line, msg in self.errors)


@dataclass(frozen=True)
class Config:
    """One project's settings. `path` is the file they came from; None for the defaults."""

    path: Path | None = None
    lists: tuple[Path, ...] = ()  # absolute
    builtin: bool = True
    allow: tuple[str, ...] = ()
    allow_regex: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()  # (rule or list id, severity), in file order
    fail_on: str = "warning"
    min_severity: Severity = Severity.INFO
    exclude: tuple[str, ...] = ()
    privacy: bool = True
    as_of: str | None = None
    root: Path = field(default_factory=Path.cwd, compare=False)  # what `exclude` is relative to

    @property
    def fail_threshold(self) -> int:
        """The lowest severity that fails the check (above ERROR for `never`)."""
        return fail_threshold(self.fail_on)

    @functools.cached_property
    def _regexes(self) -> list[re.Pattern[str]]:
        return [re.compile(r) for r in self.allow_regex]

    @functools.cached_property
    def _excludes(self) -> tuple[re.Pattern[str], str]:
        """All patterns as one regex over the path relative to the root, and the root as a prefix."""
        parts = []
        for pattern in self.exclude:
            rx, anchored = _glob(pattern)
            # unanchored: at any depth; either way a match of a directory covers everything below it
            parts.append(("" if anchored else "(?:.*/)?") + f"(?:{rx.pattern})(?:/.*)?")
        root = os.path.join(os.path.abspath(self.root), "")
        return re.compile("|".join(parts), re.S), root

    def excluded(self, path: str | Path) -> bool:
        """Whether an input falls under one of the `exclude` patterns (relative to the config's directory)."""
        if not self.exclude:
            return False
        rx, root = self._excludes
        full = os.path.abspath(path)
        if not full.startswith(root):
            return False  # outside the project: its patterns do not reach there
        return rx.fullmatch(full[len(root) :].replace(os.sep, "/")) is not None

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """Drop disabled lists/rules and allowed terms, apply severity overrides, then `min_severity`.

        An override replaces the list's severity: a dated entry (an outdated name, a variant form) that the
        pipeline reports as info because the document's date is unknown stays info.
        """
        disabled, allowed, by_id = set(self.disable), set(self.allow), dict(self.severity)
        kept = []
        for f in findings:
            if f.rule in disabled or f.list_id in disabled or f.text in allowed:
                continue
            if self.allow_regex and any(rx.fullmatch(f.text) for rx in self._regexes):
                continue
            if by_id and _UNDATED not in f.message:  # an unsure date stays a hint
                severity = by_id.get(f.rule, by_id.get(f.list_id))
                if severity is not None and severity != f.severity:
                    f = replace(f, severity=severity)
            if f.severity >= self.min_severity:
                kept.append(f)
        return kept


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


# --- discovery -------------------------------------------------------------------------------------------
_FOUND: dict[str, Path | None] = {}


def discover(start: str | Path, cache: dict[str, Path | None] | None = None) -> Path | None:
    """The closest `.errscan.yaml` in `start` (a directory, or a file's directory) or above it; None if none.

    Every directory visited is remembered (in `cache`, by default a module-wide one): an audit of thousands
    of files in a few folders costs a few stat calls per folder.
    """
    found = _FOUND if cache is None else cache
    here = os.path.abspath(start)
    if here in found:
        return found[here]
    if os.path.isfile(here):
        here = os.path.dirname(here)
    visited = []
    result: Path | None = None
    while True:
        if here in found:
            result = found[here]
            break
        visited.append(here)
        candidate = os.path.join(here, FILENAME)
        if os.path.isfile(candidate):
            result = Path(candidate)
            break
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    for d in visited:
        found[d] = result
    return result


def clear_cache() -> None:
    _FOUND.clear()


# --- loading and validation ------------------------------------------------------------------------------
def load_config(path: Path) -> Config:
    """Read and validate one `.errscan.yaml`. Raises ConfigError naming the file and line of each problem."""
    import yaml

    where = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ConfigError([(where, 0, f"无法读取配置文件：{exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise ConfigError([(where, 0, "配置文件不是 UTF-8 编码")]) from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = f"YAML 格式错误：{getattr(exc, 'problem', None) or exc}"
        raise ConfigError([(where, mark.line + 1 if mark else 0, problem)]) from None
    finally:
        loader.dispose()
    base = Path(os.path.abspath(path)).parent
    if data is None:
        return Config(path=Path(path), root=base)
    if not isinstance(data, dict):
        raise ConfigError([(where, 1, "配置文件应为“键: 值”的映射")])
    return _Validator(where, base).config(root, data, Path(path))


class _Validator:
    def __init__(self, where: str, base: Path):
        self.where, self.base = where, base
        self.errors: list[tuple[str, int, str]] = []

    def error(self, node: Any, message: str) -> None:
        self.errors.append((self.where, node.start_mark.line + 1, message))

    def config(self, root: Any, data: dict[str, Any], path: Path) -> Config:
        values: dict[str, Any] = {}
        seen: set[str] = set()
        for key_node, value_node in root.value:
            key = key_node.value
            if key in seen:
                self.error(key_node, f"配置项 {key} 重复")
                continue
            seen.add(key)
            if key not in KEYS:
                self.error(key_node, f"未知的配置项 {key!r}（可用：{', '.join(KEYS)}）")
                continue
            value = getattr(self, "_" + key)(value_node, data[key])
            if value is not None:
                values[key] = value
        if self.errors:
            raise ConfigError(self.errors)
        return Config(path=path, root=self.base, **values)

    def _strings(self, node: Any, value: Any, key: str) -> list[tuple[Any, str]] | None:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(node, f"{key} 应为列表（如 {key}: [a, b]）")
            return None
        items = []
        for item_node, item in zip(node.value, value, strict=True):
            if not isinstance(item, str) or not item.strip():
                self.error(item_node, f"{key} 的每一项应为非空字符串，不是 {item!r}")
            else:
                items.append((item_node, item))
        return items

    def _bool(self, node: Any, value: Any, key: str) -> bool | None:
        if not isinstance(value, bool):
            self.error(node, f"{key} 应为 true 或 false，不是 {value!r}")
            return None
        return value

    def _choice(self, node: Any, value: Any, key: str, choices: Sequence[str]) -> str | None:
        if not isinstance(value, str) or value.strip().lower() not in choices:
            self.error(node, f"{key} 应为 {'、'.join(choices)} 之一，不是 {value!r}")
            return None
        return value.strip().lower()

    def _ids(self, node: Any, value: Any, key: str) -> tuple[str, ...] | None:
        items = self._strings(node, value, key)
        if items is None:
            return None
        for item_node, item in items:
            if not _ID.fullmatch(item):
                self.error(item_node, f"{key}：{item!r} 不是词表编号（如 typo）或规则编号（如 typo/布署）")
        return tuple(item for _, item in items)

    def _lists(self, node: Any, value: Any) -> tuple[Path, ...] | None:
        items = self._strings(node, value, "lists")
        if items is None:
            return None
        paths = []
        for item_node, item in items:
            p = Path(os.path.normpath(self.base / Path(item).expanduser()))
            if not p.exists():
                self.error(item_node, f"lists：词表文件或目录不存在：{item}（相对于 {self.base}）")
            paths.append(p)
        return tuple(paths)

    def _builtin(self, node: Any, value: Any) -> bool | None:
        return self._bool(node, value, "builtin")

    def _privacy(self, node: Any, value: Any) -> bool | None:
        return self._bool(node, value, "privacy")

    def _allow(self, node: Any, value: Any) -> tuple[str, ...] | None:
        items = self._strings(node, value, "allow")
        return None if items is None else tuple(item for _, item in items)

    def _allow_regex(self, node: Any, value: Any) -> tuple[str, ...] | None:
        items = self._strings(node, value, "allow_regex")
        if items is None:
            return None
        for item_node, item in items:
            try:
                re.compile(item)
            except re.error as exc:
                self.error(item_node, f"allow_regex：正则表达式 {item!r} 有误：{exc}")
        return tuple(item for _, item in items)

    def _disable(self, node: Any, value: Any) -> tuple[str, ...] | None:
        return self._ids(node, value, "disable")

    def _exclude(self, node: Any, value: Any) -> tuple[str, ...] | None:
        items = self._strings(node, value, "exclude")
        return None if items is None else tuple(item for _, item in items)

    def _severity(self, node: Any, value: Any) -> tuple[tuple[str, Severity], ...] | None:
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.error(node, "severity 应为映射（如 severity: {typo: error}）")
            return None
        out: dict[str, Severity] = {}
        for key_node, value_node in node.value:  # the nodes: keys as written, duplicates seen
            key = key_node.value
            if not isinstance(key, str) or not _ID.fullmatch(key):
                self.error(key_node, f"severity：{key!r} 不是词表编号或规则编号")
            elif key in out:
                self.error(key_node, f"severity：{key} 重复")
            else:
                level = value_node.value if isinstance(value_node.value, str) else None
                if self._choice(value_node, level, f"severity.{key}", SHOWN):
                    out[key] = Severity.parse(level)  # type: ignore[arg-type]
        return tuple(out.items())

    def _fail_on(self, node: Any, value: Any) -> str | None:
        return self._choice(node, value, "fail_on", FAIL_ON)

    def _min_severity(self, node: Any, value: Any) -> Severity | None:
        choice = self._choice(node, value, "min_severity", SHOWN)
        return Severity.parse(choice) if choice else None

    def _as_of(self, node: Any, value: Any) -> str | None:
        if value is None:
            return None
        text = value.isoformat() if isinstance(value, dt.date) else str(value) if isinstance(value, int) else value
        if isinstance(text, str):
            from errscan.docdate import parse_date

            try:
                parse_date(text)
                return text.strip()
            except (ValueError, TypeError):
                pass
        self.error(node, f"as_of 应为日期 YYYY-MM-DD、YYYY-MM 或 YYYY，不是 {value!r}")
        return None


# --- merging with the command line, per-input resolution ----------------------------------------------------
def merge(config: Config, **cli: Any) -> Config:
    """The config with the options given on the command line; None (or absent) means "not given".

    Scalars (builtin, fail_on, min_severity, privacy, as_of) replace the file's values; sequences (lists,
    allow, allow_regex, disable, exclude) are added to them; `severity` entries override the file's.
    Command-line lists are relative to the current directory.
    """
    unknown = set(cli) - set(KEYS)
    if unknown:
        raise TypeError(f"merge() got unknown options: {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    for key in ("lists", "allow", "allow_regex", "disable", "exclude"):
        extra = cli.get(key)
        if extra:
            if key == "lists":
                extra = [Path(os.path.abspath(p)) for p in extra]
            elif key == "allow_regex":
                for r in extra:
                    try:
                        re.compile(r)
                    except re.error as exc:
                        raise ConfigError([("命令行", 0, f"正则表达式 {r!r} 有误：{exc}")]) from None
            current = getattr(config, key)
            changes[key] = current + tuple(x for x in extra if x not in current)
    if cli.get("severity"):
        overrides = dict(config.severity)
        overrides.update({k: _severity(v) for k, v in dict(cli["severity"]).items()})
        changes["severity"] = tuple(overrides.items())
    for key in ("builtin", "privacy"):
        if cli.get(key) is not None:
            changes[key] = bool(cli[key])
    if cli.get("fail_on") is not None:
        value = getattr(cli["fail_on"], "value", cli["fail_on"])
        value = value.label if isinstance(value, Severity) else str(value).lower()
        if value not in FAIL_ON:
            raise ConfigError([("命令行", 0, f"--fail-on 应为 {'、'.join(FAIL_ON)} 之一")])
        changes["fail_on"] = value
    if cli.get("min_severity") is not None:
        changes["min_severity"] = _severity(cli["min_severity"])
    if cli.get("as_of") is not None:
        changes["as_of"] = str(cli["as_of"])
    return replace(config, **changes) if changes else config


def _severity(value: Any) -> Severity:
    if isinstance(value, Severity):
        return value
    return Severity.parse(str(getattr(value, "value", value)))


class ConfigResolver:
    """The Config of each input in one run: `--config` for all, or the closest `.errscan.yaml`, or the
    defaults; each merged with the command line; every file loaded once, every directory searched once."""

    def __init__(self, explicit: Path | None = None, **cli: Any):
        self.cli = cli
        self._dirs: dict[str, Path | None] = {}
        self._loaded: dict[Path | None, Config] = {}
        self.explicit = Path(explicit) if explicit is not None else None
        if self.explicit is not None:
            self._get(self.explicit)  # a bad --config fails before anything is scanned

    def _get(self, path: Path | None) -> Config:
        if path not in self._loaded:
            self._loaded[path] = merge(load_config(path) if path else Config(), **self.cli)
        return self._loaded[path]

    def for_path(self, path: Path | None) -> Config:
        """The config for an input file (None: standard input, resolved from the current directory)."""
        if self.explicit is not None:
            return self._get(self.explicit)
        start = os.path.dirname(os.path.abspath(path)) if path is not None else os.getcwd()
        return self._get(discover(start, self._dirs))


class ScannerCache:
    """One Scanner per distinct configuration; one compiled Lexicon per distinct (lists, builtin)."""

    def __init__(self, *, cache: bool = True, show_pii: bool = False):
        self.cache, self.show_pii = cache, show_pii
        self._lexicons: dict[tuple[tuple[str, ...], bool], Lexicon] = {}
        self._scanners: dict[tuple[object, ...], Scanner] = {}

    def lexicon(self, lists: Sequence[Path], builtin: bool) -> Lexicon:
        from errscan.lexicon import load_lexicon

        key = (tuple(str(p) for p in lists), builtin)
        if key not in self._lexicons:
            self._lexicons[key] = load_lexicon(list(lists), builtin=builtin, cache=self.cache)
        return self._lexicons[key]

    def get(self, config: Config) -> Scanner:
        """The Scanner for a config (raises ListLoadError for a bad list, ConfigError for no lists at all).

        Its min_severity is info: severity overrides come first, then Config.apply filters.
        """
        from errscan.pipeline import Scanner

        key = (tuple(str(p) for p in config.lists), config.builtin, config.allow, config.privacy, config.as_of)
        if key not in self._scanners:
            if not config.builtin and not config.lists:
                where = str(config.path) if config.path else "命令行"
                raise ConfigError([(where, 0, "未使用内置词表（builtin: false / --no-builtin），又没有给出任何词表")])
            self._scanners[key] = Scanner(
                lexicon=self.lexicon(config.lists, config.builtin), allow=config.allow, as_of=config.as_of,
                privacy=config.privacy, show_pii=self.show_pii,
            )
        return self._scanners[key]


# --- errscan config --show ---------------------------------------------------------------------------------
def show(config: Config) -> str:
    """The settings as YAML a user can copy into a `.errscan.yaml` in the same directory, with their origin."""
    import yaml

    root = config.path.parent if config.path else config.root
    data: dict[str, Any] = {
        "lists": [_relative(p, root) for p in config.lists],
        "builtin": config.builtin,
        "allow": list(config.allow),
        "allow_regex": list(config.allow_regex),
        "disable": list(config.disable),
        "severity": {k: v.label for k, v in config.severity},
        "fail_on": config.fail_on,
        "min_severity": config.min_severity.label,
        "exclude": list(config.exclude),
        "privacy": config.privacy,
        "as_of": config.as_of,
    }
    origin = f"# 配置来自：{config.path}" if config.path else "# 未找到 .errscan.yaml，以下为默认配置"
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)
    return f"{origin}（已合并命令行选项）\n{body}"


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return str(path)


def show_for(target: Path | None = None, config_path: Path | None = None, **cli: Any) -> str:
    """What `errscan config --show [PATH]` prints: the settings that apply to PATH (default: here)."""
    resolver = ConfigResolver(config_path, **cli)
    if target is not None and Path(target).is_dir():
        target = Path(target) / "_"  # a directory: its own config, as a file inside it would see it
    return show(resolver.for_path(target))


# --- one input, after reading -----------------------------------------------------------------------------
def scan(
    config: Config, scanner: Scanner, doc: Document, name: str, *, report_unused: bool = False,
    source: str | None = None,
) -> list[Finding]:
    """Scan a Document, honour its inline suppressions, then the config's filters and overrides.

    `source`: an HTML page's decoded source, where its errscan- comments are (default: the locator's).
    """
    from errscan import suppress

    findings = scanner.scan_document(doc, name)
    found = suppress.document_directives(doc, source)
    if found:
        findings, _, unused = suppress.apply(findings, found)
        if report_unused and unused:
            findings = sorted(findings + suppress.unused_findings(unused, name), key=lambda f: (f.line, f.column))
    return config.apply(findings)
