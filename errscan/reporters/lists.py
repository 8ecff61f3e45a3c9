"""The loaded lists: `errscan lists show` (a table or JSON) and the server's GET /v1/lists, one JSON shape."""

from __future__ import annotations

import json
from typing import IO

from errscan.lexicon import Lexicon
from errscan.model import category_zh
from errscan.textwidth import clip, width_of, wrap

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
    console = Console(file=out, highlight=False)
    # every column but the source keeps its width (rich would shrink them all alike at 80 columns)
    idw = max([width_of(i.id if i.builtin else f"{i.id}（自定义）") for i in lex.lists] + [4])
    catw = max([width_of(category_zh(i.category)) for i in lex.lists] + [4])
    columns = (("编号", {"min_width": idw}), ("类别", {"min_width": catw}), ("级别", {"min_width": 4}),
               ("条目", {**right, "min_width": 5}), ("生成", {**right, "min_width": 5}))
    source_w = max(8, min(40, console.width - (idw + catw + 4 + 5 + 5) - 2 * 6 - 7))  # padding and borders
    columns += (("来源", {"width": source_w}),)
    for name, kw in columns:
        table.add_column(name, no_wrap=True, overflow="ellipsis", **kw)
    for i in lex.lists:
        ident = i.id if i.builtin else f"{i.id}（自定义）"
        if i.overrides:
            ident += f"\n覆盖内置条目 {i.overrides} 条"
        # a canonical list's entries are correct names; its generated slips are what it reports
        generated = str(i.generated) if i.generated else ""
        source = clip(i.source.split("；")[0].split("\n")[0], source_w)  # the first; the whole text: in the JSON
        table.add_row(ident, category_zh(i.category), i.severity.zh, str(i.entries), generated, source)
    console.print(table)
    counts = _by_category(lex)
    ranked = sorted(counts.items(), key=lambda x: (-x[1], x[0]))
    line = "按类别：" + "，".join(f"{category_zh(c)}\u00a0{n}" for c, n in ranked)
    for part in wrap(line, console.width):
        console.print(part.replace("\u00a0", " "), soft_wrap=True)
    made = sum(i.generated for i in lex.lists)
    if made:
        console.print(f"其中由规范名称自动生成的错误写法 {made} 条（“生成”列；“条目”列为规范名称数）。")
