"""Reading word lists (YAML, or quick TSV/TXT lists) into validated entries.

YAML list::

    id: typo-common
    category: typo
    severity: warning
    description: 常见错别字
    source: 《咬文嚼字》…
    license: CC0-1.0
    entries:
      - match: 既使
        suggest: 即使
        note: “既”不作连词
        unless: [既使用, 既使得]
        examples: {bad: [既使失败也不放弃], good: [既使用了新方法]}
      - [布署, 部署, 部署：安排、布置]      # compact: [match, suggest, note]

A canonical list (header ``generate: {substitute: [pinyin, stroke], omit: true, transpose: true}``) holds
correct names instead (``- 中华人民共和国`` or ``{name: …, exclude: […], note: …}``); their slips are generated
when the lists are compiled (lexicon/generate.py).

A quick list is one entry a line: ``wrong<TAB>suggestion[<TAB>note]`` or just ``wrong``;
several suggestions are separated by ``|``; lines starting with ``#`` are comments. Comment lines before the
first entry may name the category and the severity (``# 类别：本单位禁用词``, ``# 级别：错误``); the
category is otherwise the file's name, which is how a report names it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from errscan.lexicon.schema import (
    BOUNDARIES,
    CANONICAL_KEYS,
    CATEGORIES,
    ENTRY_KEYS,
    EXAMPLE_KEYS,
    GENERATE_KEYS,
    LIST_KEYS,
    SUBSTITUTIONS,
    Canonical,
    Entry,
    GenerateSpec,
    ListError,
    ListInfo,
    ListLoadError,
    WordList,
)
from errscan.model import CATEGORY_ZH, Severity

DATE = re.compile(r"\d{4}-\d{2}(-\d{2})?")
YAML_SUFFIXES = (".yaml", ".yml")
QUICK_SUFFIXES = (".tsv", ".txt")
LIST_SUFFIXES = YAML_SUFFIXES + QUICK_SUFFIXES


def load_list(path: Path, *, builtin: bool = False) -> WordList:
    """Load one list file; raise ListLoadError naming file and line on any problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ListLoadError([ListError(str(path), 0, f"无法读取词表：{exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ListLoadError([ListError(str(path), 0, f"词表不是 UTF-8 编码（{exc.reason}）")]) from None
    if path.suffix.lower() in YAML_SUFFIXES:
        return _load_yaml(path, text, builtin)
    return _load_quick(path, text, builtin)


@dataclass(frozen=True)
class _Defaults:
    """What a list gives each of its entries unless the entry says otherwise."""

    list_id: str
    category: str
    severity: Severity
    boundary: str
    since: str = ""
    autofix: bool = True


class _Invalid(Exception):
    """An entry's first problem: the entry is left out and the message reported at its line."""


QUICK_HEADER = re.compile(r"#\s*(category|类别|severity|级别)\s*[:：]\s*(\S.*?)\s*$", re.I)
SEVERITY_WORDS = {s.zh: s.label for s in Severity}


def _quick_header(where: str, text: str) -> tuple[str, Severity, list[ListError]]:
    """A TXT/TSV list's category and severity: from comment lines before its first entry (`# 类别：本单位禁用词`,
    `# 级别：错误`, or category/severity in English); the category defaults to the file's name. A built-in
    category named in Chinese (错别字) is that category."""
    category, severity, errors = Path(where).stem, Severity.WARNING, []
    by_zh = {zh: key for key, zh in CATEGORY_ZH.items()}
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        m = QUICK_HEADER.match(line.strip())
        if not m:
            continue
        key, value = m.group(1).lower(), m.group(2)
        if key in ("category", "类别"):
            category = by_zh.get(value, value)
        else:
            try:
                severity = Severity.parse(SEVERITY_WORDS.get(value, value))
            except ValueError as exc:
                errors.append(ListError(where, lineno, str(exc)))
    return category, severity, errors


def _load_quick(path: Path, text: str, builtin: bool) -> WordList:
    entries: list[Entry] = []
    category, severity, errors = _quick_header(str(path), text)
    defaults = _Defaults(path.stem, category, severity, "default")
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = [c.strip() for c in line.split("\t")]
        suggest = tuple(s.strip() for s in cols[1].split("|") if s.strip()) if len(cols) > 1 else ()
        note = cols[2] if len(cols) > 2 else ""
        entry, errs = _make_entry(
            str(path), lineno, {"match": cols[0], "suggest": list(suggest), "note": note}, defaults
        )
        errors += errs
        if entry:
            entries.append(entry)
    errors += _duplicates(str(path), entries)
    if errors:
        raise ListLoadError(errors)
    info = ListInfo(defaults.list_id, category, severity, "", str(path), "", str(path), builtin, len(entries))
    return WordList(info, entries)


def _load_yaml(path: Path, text: str, builtin: bool) -> WordList:
    where = str(path)
    root, data = _parse_yaml(where, text)
    key_lines = {k.value: k.start_mark.line + 1 for k, _ in root.value}
    _check_header_keys(where, data, key_lines)
    defaults, errors = _header(where, data, key_lines, builtin)
    entries_node = next(v for k, v in root.value if k.value == "entries")
    raw_entries = data["entries"] or []
    if not isinstance(raw_entries, list):
        raise ListLoadError([ListError(where, key_lines["entries"], "`entries` 必须是列表")])
    spec = None
    if "generate" in data:
        spec, errs = _spec(where, key_lines["generate"], data["generate"])
        errors += errs
    entries, canonical, errs = _body(where, entries_node, raw_entries, defaults, spec)
    errors += errs
    if errors:
        raise ListLoadError(errors)
    info = ListInfo(
        id=defaults.list_id,
        category=defaults.category,
        severity=defaults.severity,
        description=str(data.get("description", "")),
        source=str(data.get("source", "")),
        license=str(data.get("license", "")),
        path=where,
        builtin=builtin,
        entries=len(canonical) if spec is not None else len(entries),
    )
    return WordList(info, entries, canonical, spec, defaults.boundary)


def _parse_yaml(where: str, text: str) -> tuple[Any, dict[Any, Any]]:
    """The document's root node (for line numbers) and its data, which must be a mapping."""
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        loader = loader_cls(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise ListLoadError([ListError(where, line, f"YAML 格式错误：{getattr(exc, 'problem', exc)}")]) from None
    if not isinstance(data, dict):
        raise ListLoadError([ListError(where, 1, "词表文件应是一个映射：表头各项加 `entries`")])
    return root, data


def _check_header_keys(where: str, data: dict[Any, Any], key_lines: dict[Any, int]) -> None:
    """Raise on unknown header keys and on missing required ones: the rest of the file is not read then."""
    errors: list[ListError] = []
    for key in data:
        if key not in LIST_KEYS:
            errors.append(ListError(where, key_lines.get(key, 1), f"表头中有未知的键 {key!r}"))
    for key in ("id", "category", "entries"):
        if key not in data:
            errors.append(ListError(where, 1, f"表头缺少 {key!r}"))
    if errors:
        raise ListLoadError(errors)


def _header(
    where: str, data: dict[Any, Any], key_lines: dict[Any, int], builtin: bool
) -> tuple[_Defaults, list[ListError]]:
    """The list's defaults for its entries, and the header's problems (the entries are checked all the same)."""
    errors: list[ListError] = []
    category = str(data["category"])
    if builtin and category not in CATEGORIES:
        message = f"未知的类别 {category!r}（可用：{'、'.join(CATEGORIES)}）"
        errors.append(ListError(where, key_lines["category"], message))
    try:
        severity = Severity.parse(str(data.get("severity", "warning")))
    except ValueError as exc:
        errors.append(ListError(where, key_lines.get("severity", 1), str(exc)))
        severity = Severity.WARNING
    boundary = str(data.get("boundary", "default"))
    if boundary not in BOUNDARIES:
        message = f"未知的 boundary {boundary!r}（可用：default、word、any）"
        errors.append(ListError(where, key_lines.get("boundary", 1), message))
    autofix = data.get("autofix", True)
    if not isinstance(autofix, bool):
        errors.append(ListError(where, key_lines["autofix"], "`autofix` 只能是 true 或 false"))
    since = data.get("since", "")
    since = since.isoformat() if isinstance(since, datetime.date) else str(since)
    if since and not DATE.fullmatch(since):
        message = f"`since` 应是日期 YYYY-MM 或 YYYY-MM-DD，不是 {since!r}"
        errors.append(ListError(where, key_lines["since"], message))
    return _Defaults(str(data["id"]), category, severity, boundary, since, autofix), errors


def _body(
    where: str, entries_node: Any, raw_entries: list[Any], defaults: _Defaults, spec: GenerateSpec | None
) -> tuple[list[Entry], list[Canonical], list[ListError]]:
    """The list's entries (or, for a canonical list, its names) in file order, and their problems."""
    errors: list[ListError] = []
    entries: list[Entry] = []
    canonical: list[Canonical] = []
    for node, raw in zip(entries_node.value, raw_entries, strict=True):
        lineno = node.start_mark.line + 1
        if spec is not None:
            canon, errs = _make_canonical(where, lineno, raw)
            errors += errs
            if canon:
                canonical.append(canon)
            continue
        entry, errs = _make_entry(where, lineno, raw, defaults)
        errors += errs
        if entry:
            entries.append(entry)
    errors += _duplicates(where, entries)
    errors += _duplicates(where, canonical)
    return entries, canonical, errors


def _spec(where: str, lineno: int, raw: object) -> tuple[GenerateSpec | None, list[ListError]]:
    """A `generate:` mapping: {substitute: [pinyin, stroke], omit: true, transpose: true, min_length: 3}."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or set(raw) - GENERATE_KEYS:
        keys = ", ".join(sorted(GENERATE_KEYS))
        return None, [ListError(where, lineno, f"`generate` 应是映射，键可用 {keys}")]
    default = GenerateSpec()
    subs = _strings(raw.get("substitute", list(default.substitute)))
    if subs is None or set(subs) - set(SUBSTITUTIONS):
        return None, [ListError(where, lineno, f"`substitute` 应是列表，取值可用 {'、'.join(SUBSTITUTIONS)}")]
    flags = {k: raw.get(k, getattr(default, k)) for k in ("omit", "transpose")}
    sizes = {k: raw.get(k, getattr(default, k)) for k in ("min_length", "omit_min_length")}
    if not all(isinstance(v, bool) for v in flags.values()):
        return None, [ListError(where, lineno, "`omit` 和 `transpose` 只能是 true 或 false")]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 2 for v in sizes.values()):
        return None, [ListError(where, lineno, "`min_length` 和 `omit_min_length` 应是不小于 2 的字数")]
    return GenerateSpec(substitute=subs, **flags, **sizes), []


def _make_canonical(where: str, lineno: int, raw: object) -> tuple[Canonical | None, list[ListError]]:
    def err(msg: str) -> tuple[None, list[ListError]]:
        return None, [ListError(where, lineno, msg)]

    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict):
        return err("规范名称条目应是一个名称，或含 `name`、`exclude` 的映射")
    unknown = sorted(set(raw) - CANONICAL_KEYS)
    if unknown:
        return err(f"规范名称条目中有未知的键 {unknown[0]!r}（可用：{'、'.join(sorted(CANONICAL_KEYS))}）")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        return err("规范名称条目需要 `name`，且前后不能有空格")
    exclude = _strings(raw.get("exclude"))
    if exclude is None:
        return err("`exclude` 应是字符串或字符串列表")
    note = raw.get("note") or ""
    if not isinstance(note, str):
        return err("`note` 应是字符串")
    bnd = raw.get("boundary", "")
    if bnd and bnd not in BOUNDARIES:
        return err(f"未知的 boundary {bnd!r}（可用：default、word、any）")
    spec = None
    if "generate" in raw:
        spec, errs = _spec(where, lineno, raw["generate"])
        if errs:
            return None, errs
    raw_insert = raw.get("insert") or {}
    insert = []
    for prefix, words in raw_insert.items() if isinstance(raw_insert, dict) else [(None, None)]:
        got = _strings(words)
        if not isinstance(prefix, str) or not got or not name.startswith(prefix) or len(prefix) >= len(name):
            return err("`insert` maps a beginning of the name to the words never written after it "
                       "({习近平: [总书记, 同志]})")
        insert.append((len(prefix), got))
    return Canonical(name, lineno, exclude, note.strip(), bnd, spec, tuple(insert)), []


def _strings(value: object) -> tuple[str, ...] | None:
    """A string or a list of strings, as a tuple; None if it is neither."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v for v in value if v)
    return None


def _make_entry(where: str, lineno: int, raw: object, defaults: _Defaults) -> tuple[Entry | None, list[ListError]]:
    """One entry, or its first problem at its line."""
    try:
        return _entry(lineno, raw, defaults), []
    except _Invalid as exc:
        return None, [ListError(where, lineno, str(exc))]


def _entry(lineno: int, raw: object, defaults: _Defaults) -> Entry:
    """The entry; raise _Invalid with its first problem (the checks run in a fixed order)."""
    fields = _entry_fields(raw)
    match = fields.get("match")
    if not isinstance(match, str) or not match.strip():
        raise _Invalid("match 为空")
    if match != match.strip():
        raise _Invalid(f"match {match!r} 前后有空格")
    suggest, unless = _suggest_unless(fields, match)
    note = fields.get("note") or ""
    if not isinstance(note, str):
        raise _Invalid("`note` 应是字符串")
    try:
        severity = Severity.parse(fields["severity"]) if "severity" in fields else defaults.severity
    except (ValueError, AttributeError):
        raise _Invalid(f"未知的级别 {fields.get('severity')!r}（可用：error、warning、info）") from None
    boundary = fields.get("boundary", defaults.boundary)
    if boundary not in BOUNDARIES:
        raise _Invalid(f"未知的 boundary {boundary!r}（可用：default、word、any）")
    bad, good = _examples(fields)
    rules = _context_rules(fields)
    since = _since(fields.get("since", defaults.since))
    autofix = fields.get("autofix", defaults.autofix)
    if not isinstance(autofix, bool):
        raise _Invalid("`autofix` 只能是 true 或 false")
    return Entry(
        match=match, suggest=suggest, note=note.strip(), severity=severity, boundary=boundary, unless=unless,
        list_id=defaults.list_id, category=defaults.category, line=lineno, bad=bad, good=good, since=since,
        autofix=autofix, **rules,
    )


def _entry_fields(raw: object) -> dict[Any, Any]:
    """An entry as a mapping: the compact form [match, suggest, note] spelled out; no unknown key."""
    if isinstance(raw, list):
        if not 1 <= len(raw) <= 3:
            raise _Invalid("简写条目的格式是 [match, suggest, note]")
        raw = dict(zip(("match", "suggest", "note"), raw, strict=False))
    if not isinstance(raw, dict):
        raise _Invalid("条目应是映射，或简写的 [match, suggest, note]")
    unknown = sorted(set(raw) - ENTRY_KEYS)
    if unknown:
        raise _Invalid(f"条目中有未知的键 {unknown[0]!r}（可用：{'、'.join(sorted(ENTRY_KEYS))}）")
    return raw


def _suggest_unless(fields: dict[Any, Any], match: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The suggestions and the `unless` contexts (each longer than the match and containing it)."""
    suggest = _strings(fields.get("suggest"))
    unless = _strings(fields.get("unless"))
    if suggest is None:
        raise _Invalid("`suggest` 应是字符串或字符串列表")
    if unless is None:
        raise _Invalid("`unless` 应是字符串或字符串列表")
    if match in suggest:
        raise _Invalid(f"match {match!r} 与它的建议相同")
    for u in unless:
        if match not in u or u == match:
            raise _Invalid(f"`unless` 的上下文 {u!r} 必须包含 {match!r} 且比它长")
    return suggest, unless


def _examples(fields: dict[Any, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The entry's (bad, good) examples."""
    examples = fields.get("examples") or {}
    if not isinstance(examples, dict) or set(examples) - EXAMPLE_KEYS:
        raise _Invalid("`examples` 的格式是 {bad: [...], good: [...]}")
    bad, good = _strings(examples.get("bad")), _strings(examples.get("good"))
    if bad is None or good is None:
        raise _Invalid("examples 中应是字符串")
    return bad, good


def _context_rules(fields: dict[Any, Any]) -> dict[str, str]:
    """followed_by & co.: each key's patterns as one regex source, "" when the key is absent."""
    rules: dict[str, str] = {}
    for key in ("followed_by", "not_followed_by", "preceded_by", "not_preceded_by"):
        patterns = _strings(fields.get(key))
        if patterns is None:
            raise _Invalid(f"`{key}` 应是正则表达式或正则表达式列表")
        source = "|".join(f"(?:{p})" for p in patterns)
        try:
            re.compile(source)
        except re.error as exc:
            raise _Invalid(f"`{key}`：正则表达式有误（{exc}）") from None
        rules[key] = source
    return rules


def _since(value: object) -> str:
    """An entry's `since` (its own or the list's) as YYYY-MM or YYYY-MM-DD; "" for none."""
    since = value.isoformat() if isinstance(value, datetime.date) else str(value)
    if since and not DATE.fullmatch(since):
        raise _Invalid(f"`since` 应是日期 YYYY-MM 或 YYYY-MM-DD，不是 {since!r}")
    return since


def _duplicates(where: str, entries: list[Entry] | list[Canonical]) -> list[ListError]:
    seen: dict[str, int] = {}
    errors = []
    for e in entries:
        key = e.match if isinstance(e, Entry) else e.name
        if key in seen:
            errors.append(ListError(where, e.line, f"{key!r} 已在第 {seen[key]} 行列出"))
        else:
            seen[key] = e.line
    return errors


def builtin_dir() -> Path:
    """The shipped lists: inside the installed package, or the source tree's top-level wordlists/."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "wordlists", here.parent / "wordlists"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("errscan's built-in word lists are missing from this installation")


def list_files(path: Path) -> list[Path]:
    """A list file, or every list file below a directory (sorted, hidden ones skipped)."""
    if path.is_dir():
        return sorted(
            p for p in path.rglob("*")
            if p.is_file() and p.suffix.lower() in LIST_SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and p.name.lower() != "readme.md"
        )
    return [path]
