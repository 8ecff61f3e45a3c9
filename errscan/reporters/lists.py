"""The loaded lists: `errscan lists show` (a table or JSON) and the server's GET /v1/lists, one JSON shape."""

from __future__ import annotations

import json
from typing import IO

from errscan.lexicon import Lexicon
from errscan.model import category_zh

PRIVACY = "privacy"  # the personal-data detector, named like a list


def lists_dict(lex: Lexicon, privacy: bool) -> dict[str, object]:
    """The lists' JSON, for `lists show -f json` and GET /v1/lists: {"lists": [...], "entries": N, "detectors":
    [...]}. No file paths: the server answers it to whoever asks."""
    return {
        "lists": [
            {"id": i.id, "category": i.category, "severity": i.severity.label, "entries": i.entries,
             "generated": i.generated, "builtin": i.builtin, "overrides": i.overrides, "source": i.source,
             "description": i.description}
            for i in lex.lists
        ],
        "entries": len(lex.entries),
        "detectors": [PRIVACY] if privacy else [],
    }


def render_json(lex: Lexicon, out: IO[str], privacy: bool = True) -> None:
    json.dump(lists_dict(lex, privacy), out, ensure_ascii=False, indent=2)
    out.write("\n")


def _by_category(lex: Lexicon) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in getattr(lex.entries, "hand", lex.entries):  # the generated ones are counted per list
        counts[e.category] = counts.get(e.category, 0) + 1
    for i in lex.lists:
        if i.generated:
            counts[i.category] = counts.get(i.category, 0) + i.generated
    return counts


def render_pretty(lex: Lexicon, out: IO[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"已加载 {len(lex.lists)} 个词表，共 {len(lex.entries)} 条", title_justify="left")
    right = {"justify": "right"}
    columns = (("编号", {}), ("类别", {}), ("级别", {}), ("条目", right), ("生成", right), ("来源", {"max_width": 40}))
    for name, kw in columns:
        table.add_column(name, no_wrap=True, overflow="ellipsis", **kw)
    for i in lex.lists:
        ident = i.id if i.builtin else f"{i.id}（自定义）"
        if i.overrides:
            ident += f"\n覆盖内置条目 {i.overrides} 条"
        # a canonical list's entries are correct names; its generated slips are what it reports
        generated = str(i.generated) if i.generated else ""
        source = i.source.split("；")[0].split("\n")[0]  # the first source; the whole text is in the JSON
        table.add_row(ident, category_zh(i.category), i.severity.zh, str(i.entries), generated, source)
    console = Console(file=out, highlight=False)
    console.print(table)
    counts = _by_category(lex)
    ranked = sorted(counts.items(), key=lambda x: -x[1])
    console.print("按类别：" + "，".join(f"{category_zh(c)} {n}" for c, n in ranked))
    made = sum(i.generated for i in lex.lists)
    if made:
        console.print(f"其中由规范名称自动生成的错误写法 {made} 条（“生成”列；“条目”列为规范名称数）。")
