"""Build errscan/data/register/fallen.tsv: officials investigated or expelled, with the posts they held and the date.

    python tools/build_fallen.py [--shared ../shared]

Sources (facts: who was investigated when, in what post):
- ../shared/data/officials/regioncode_corruption_investigations_2012-2016.tsv (Yuhua Wang, China's Corruption
  Investigations Dataset, doi:10.7910/DVN/9QZRAD, as redistributed in sammo3182/regioncode): the rows of rank 3-5
  (省部级正职 to 厅局级正职), year and month;
- ../shared/data/officials/xwlb_derived_discipline_events_2023-2026.tsv (新闻联播 broadcasts 2023-2026);
- tools/fallen_extra.tsv: national cases taken by hand from 中央纪委国家监委 announcements (ccdi.gov.cn), each
  row with its announcement.
Each output row: name, posts (、-separated, without 原), date (YYYY-MM or YYYY-MM-DD), rank, source.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "errscan" / "data" / "register" / "fallen.tsv"
EXTRA = ROOT / "tools" / "fallen_extra.tsv"
WANG = "Yuhua Wang, China's Corruption Investigations Dataset (doi:10.7910/DVN/9QZRAD), via sammo3182/regioncode"
XWLB = "新闻联播 {date}"


def posts_of(text: str) -> list[str]:
    """The posts of an announcement's post text: split at 、 and 兼, 原 dropped (河北省委原常委 → 河北省委常委)."""
    out = []
    for part in re.split(r"[、，,]|兼", text):
        part = part.replace("原", "").strip()
        if len(part) >= 3:
            out.append(part)
    return out


def name_of(text: str) -> str:
    return re.sub(r"[（(].*?[)）]", "", text).strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    args = ap.parse_args()
    base = Path(args.shared) / "data" / "officials"
    rows: dict[tuple[str, str], list[str]] = {}
    with open(base / "regioncode_corruption_investigations_2012-2016.tsv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["rank"] not in ("3", "4", "5"):
                continue
            name = name_of(r["name"])
            if not 2 <= len(name) <= 4 or not r["year"].isdigit():
                continue
            date = f"{r['year']}-{int(r['month']):02d}" if r["month"].isdigit() else r["year"]
            rows[(name, date)] = [name, "、".join(posts_of(r["position"])), date, r["rank"], WANG]
    with open(base / "xwlb_derived_discipline_events_2023-2026.tsv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            name = name_of(r["name"])
            rows[(name, r["broadcast_date"])] = [name, "、".join(posts_of(r["post_as_broadcast"])),
                                                 r["broadcast_date"], "national", XWLB.format(date=r["broadcast_date"])]
    with open(EXTRA, encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            rows[(r["name"], r["date"])] = [r["name"], r["posts"], r["date"], "national", r["source"]]
    with open(OUT, "w", encoding="utf-8", newline="") as fh:
        fh.write("# 落马官员：姓名、被审查调查或处分时的职务（不含“原”）、公布日期、级别、来源。"
                 "由 tools/build_fallen.py 生成。\n")
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["name", "posts", "date", "rank", "source"])
        for row in sorted(rows.values(), key=lambda r: (r[2], r[0])):
            w.writerow(row)
    print(f"{len(rows)} officials -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
