"""Build wordlists/outdated-divisions.yaml: county-level and higher divisions abolished or renamed since 2000.

    python tools/build_division_changes.py [--shared ../shared]

From ../shared/data/division-changes (yescallop/areacodes, CC0 1.0): old_to_new_2000-2024.tsv (every code
abolished or changed, with the new codes and names) and changes_flat_1981-2024.tsv (each change's approving
document, its number and date). An old name becomes an outdated entry dated by its approval, suggesting the new
name, unless the old name is still the name of a division somewhere (../shared/data/divisions, 2023, and the
2024 table), is shorter than three characters, or changed into several divisions (no one replacement).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "wordlists" / "outdated-divisions.yaml"

HEADER = """\
# 行政区划变更：2000年以来撤销、更名的县级及以上行政区划。由 tools/build_division_changes.py 生成，勿手改。
# since = 批复日期：此前成文的文稿使用旧名称是正确的。
id: outdated-divisions
category: outdated
severity: warning
autofix: false
description: 已撤销或更名的县级及以上行政区划（撤县设区、撤县设市、更名、合并），按文稿日期判断
source: >-
  yescallop/areacodes（commit eed219a0678d36bacaa717f62443b10e869f0291）：民政部《中华人民共和国县级以上行政区划代码》
  和《县级以上行政区划变更情况》、国务院及省级人民政府的批复
license: CC0-1.0
entries:
"""


def yaml_str(s: str) -> str:
    return '"' + s.replace("\\\\", "\\\\\\\\").replace('"', '\\\\"') + '"'


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    args = ap.parse_args()
    base = Path(args.shared) / "data"
    current: set[str] = set()
    for name in ("provinces.csv", "cities.csv", "areas.csv"):
        with open(base / "divisions" / name, encoding="utf-8") as fh:
            current |= {r["name"] for r in csv.DictReader(fh)}
    with open(base / "division-changes" / "data" / "2024.txt", encoding="utf-8") as fh:
        current |= {line.split()[1] for line in fh if len(line.split()) >= 2}
    docs: dict[str, tuple[str, str]] = {}  # removed code -> (number, ISO date), the latest change
    with open(base / "division-changes" / "changes_flat_1981-2024.tsv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["op"] == "removed" and r["doc_date_iso"]:
                docs[r["code"]] = (r["doc_number"], r["doc_date_iso"])
    entries: dict[str, str] = {}
    with open(base / "division-changes" / "old_to_new_2000-2024.tsv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            old, targets = r["old_name"], [t for t in r["new_code:new_name"].split(";") if t]
            if r["status"] != "弃用" or len(old) < 3 or old in current or len(targets) != 1:
                continue
            code = r["old_code"]
            if code not in docs or int(docs[code][1][:4]) < 2000:
                continue
            new = targets[0].split(":", 1)[1].split("[")[0]
            if not new or new == old:
                continue
            prefecture = r["prefecture"] if r["prefecture"] in current else ""
            where = f"{prefecture}{new}" if prefecture and not new.startswith(prefecture) else new
            number, date = docs[code]
            note = f"{date[:4]}年撤销（{number}，{r['province']}），今属{where}"
            entries[old] = (f"  - {{match: {yaml_str(old)}, suggest: {yaml_str(new)}, since: {yaml_str(date)}, "
                            f"note: {yaml_str(note)}}}\n")
    OUT.write_text(HEADER + "".join(entries[k] for k in sorted(entries)), encoding="utf-8")
    print(f"{len(entries)} entries -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
