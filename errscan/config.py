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
Every problem in the file is reported with its line, as a ConfigError (the command exits with 2). The keys
themselves, their kinds and how each is merged are declared once, in settings.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from errscan.settings import BY_NAME, NAMES, Config, Invalid, dump, merge, parse

FILENAME = ".errscan.yaml"
COMMAND_LINE = "命令行"  # where a problem is, when it is in an option rather than a file
__all__ = [
    "FILENAME", "Config", "ConfigError", "ConfigResolver", "discover", "load_config", "merge", "show", "show_for",
]


class ConfigError(Exception):
    """Problems in a configuration: each (file, line, message); line 0 when no line applies."""

    def __init__(self, errors: list[tuple[str, int, str]]):
        super().__init__(errors)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(f"{f}:{line}: {msg}" if line else f"{f}: {msg}" for f, line, msg in self.errors)

    @property
    def command_line(self) -> str | None:
        """The problems, when they are all in options given on the command line (or a request), else None."""
        if all(where == COMMAND_LINE for where, _, _ in self.errors):
            return "命令行选项有误：" + "；".join(msg for _, _, msg in self.errors)
        return None


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


# --- loading and validation ------------------------------------------------------------------------------
def load_config(path: Path) -> Any:
    """Read and validate one `.errscan.yaml` into a Config. Raises ConfigError naming the file and line of
    each problem."""
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
    errors: list[tuple[str, int, str]] = []
    values: dict[str, Any] = {}
    for key_node, value_node in root.value:
        key = key_node.value
        line = key_node.start_mark.line + 1
        if key in values:
            errors.append((where, line, f"配置项 {key} 重复"))
            continue
        if key not in BY_NAME:
            errors.append((where, line, f"未知的配置项 {key!r}（可用：{', '.join(NAMES)}）"))
            continue
        try:
            if BY_NAME[key].kind == "severities":
                pairs, problems = _mapping(key, value_node, data[key])
                errors += [(where, line, msg) for line, msg in problems]
                values[key] = tuple(pairs)
            else:
                values[key] = _value(key, data[key], base)
        except Invalid as exc:
            errors.append((where, _line(value_node, exc.item), str(exc)))
            values[key] = None  # seen: a second occurrence is a duplicate
    if errors:
        raise ConfigError(errors)
    return Config(path=Path(path), root=base, **{k: v for k, v in values.items() if v is not None})


def _value(key: str, value: Any, base: Path) -> Any:
    """One key's value, checked by its kind; list files must exist. Raises Invalid."""
    parsed = parse(key, value)
    if BY_NAME[key].kind == "paths":
        parsed = tuple(Path(os.path.normpath(base / p.expanduser())) for p in parsed)
        for i, p in enumerate(parsed):
            if not p.exists():
                raise Invalid(f"lists：词表文件或目录不存在：{value[i]}（相对于 {base}）", i)
    return parsed


def _mapping(key: str, node: Any, value: Any) -> tuple[list[tuple[str, Any]], list[tuple[int, str]]]:
    """A mapping value's (key, value) pairs as written, each checked alone: every bad pair has its own line."""
    if value is None:
        return [], []
    if not isinstance(value, dict):
        raise Invalid(f"{key} 应为映射（如 {key}: {{typo: error}}）")
    pairs, problems, names = [], [], []
    for key_node, value_node in node.value:  # the nodes: keys as written, duplicates seen
        name, level = key_node.value, value_node.value if isinstance(value_node.value, str) else None
        try:
            if name in names:
                raise Invalid(f"{key}：{name} 重复")
            pairs += parse(key, [(name, level)])
        except Invalid as exc:
            problems.append((key_node.start_mark.line + 1, str(exc)))
        names.append(name)
    return pairs, problems


def _line(node: Any, item: int | None) -> int:
    """The line of a value, or of one item of a list or mapping value."""
    if item is not None and isinstance(getattr(node, "value", None), list) and item < len(node.value):
        sub = node.value[item]
        node = sub[0] if isinstance(sub, tuple) else sub
    return node.start_mark.line + 1  # type: ignore[no-any-return]


class ConfigResolver:
    """The Config of each input in one run: `--config` for all, or the closest `.errscan.yaml`, or the
    defaults; each merged with the options given (command line, request); every file loaded once, every
    directory searched once."""

    def __init__(self, explicit: Path | None = None, **given: Any):
        self.given = given
        self._dirs: dict[str, Path | None] = {}
        self._loaded: dict[Path | None, Any] = {}
        self.explicit = Path(explicit) if explicit is not None else None
        try:
            merge(Config(), **given)  # a bad option fails before anything is read
        except Invalid as exc:
            raise ConfigError([(COMMAND_LINE, 0, str(exc))]) from None
        if self.explicit is not None:
            self._get(self.explicit)  # a bad --config fails before anything is scanned

    def _get(self, path: Path | None) -> Any:
        if path not in self._loaded:
            self._loaded[path] = merge(load_config(path) if path else Config(), **self.given)
        return self._loaded[path]

    def for_path(self, path: Path | str | None) -> Any:
        """The config for an input file (None: standard input, resolved from the current directory)."""
        return self.for_dir(os.path.dirname(os.path.abspath(path)) if path is not None else os.getcwd())

    def base(self) -> Any:
        """The run's own settings: `--config`'s, or the defaults, with the options given (no discovery)."""
        return self._get(self.explicit)

    def for_dir(self, directory: str) -> Any:
        """The config for the files of a directory."""
        if self.explicit is not None:
            return self._get(self.explicit)
        return self._get(discover(directory, self._dirs))


# --- errscan config --show ---------------------------------------------------------------------------------
def show(config: Any) -> str:
    """The settings as YAML a user can copy into a `.errscan.yaml` in the same directory, with their origin."""
    import yaml

    origin = f"# 配置来自：{config.path}" if config.path else "# 未找到 .errscan.yaml，以下为默认配置"
    body = yaml.safe_dump(dump(config), allow_unicode=True, sort_keys=False, default_flow_style=False)
    return f"{origin}（已合并命令行选项）\n{body}"


def show_for(target: Path | None = None, config_path: Path | None = None, **given: Any) -> str:
    """What `errscan config --show [PATH]` prints: the settings that apply to PATH (default: here)."""
    resolver = ConfigResolver(config_path, **given)
    if target is not None and Path(target).is_dir():
        target = Path(target) / "_"  # a directory: its own config, as a file inside it would see it
    return show(resolver.for_path(target))
