"""Write tests/data/findings_golden.tsv: every finding errscan makes on the clean corpus and on generated texts.

Run from the project root, with the code whose findings are the reference (the "before" of a speed-up)::

    python tools/findings_golden.py [--shared ../shared] [--out tests/data/findings_golden.tsv]

tests/test_findings_stable.py recomputes the same rows with the functions below and asserts they equal the file:
a change meant to make errscan faster must not change what it finds (issue 19). Regenerate the file only when
a change of findings is intended, and review its diff.

Two parts:
- ``clean``: every file of ../shared/corpus/clean (recursively: the government work reports, the State Council
  documents and their INDEX.tsv) and every page of ../shared/corpus/html, walked and read as `errscan check`
  walks and reads a folder (errscan.inputs.expand and load); source name ``clean/…`` or ``html/…``, relative to
  ../shared/corpus;
- ``gen``: a few texts of ~100 KB each built as bench/bench_scan.py builds its text (its `dictionary` and
  `make_text`, from jieba's dict.txt), with slips planted every ~5 KB instead of its random list entries: names
  and formulations one character off (also traditional or spaced out), common miswritten words and idioms,
  posts against the date, an outdated organ, personal data with valid check characters; the last piece is
  wrapped as an HTML page (read by the HTML reader); source name ``gen/N`` or ``gen/N.html``.

Every document goes through the run layer as every command does (errscan.run.Runner.check) with the default
settings (built-in lists, privacy, fuzzy, lm, posts all on; no .errscan.yaml is looked for) and every severity
is kept. The document's date is what the scanner finds in the document itself (as the clean-corpus gate has it);
a document where it finds none is checked with `--as-of AS_OF`, so that nothing depends on today's date.

Each row: source, offset, length, rule, severity, text, first suggestion (tab-separated; tab, newline, carriage
return and backslash escaped as \\t \\n \\r \\\\); rows sorted. Personal data is masked, as in every output.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"  # as tests/helpers.py has it
GOLDEN = ROOT / "tests" / "data" / "findings_golden.tsv"
AS_OF = "2025-06-30"  # for documents that give no date of their own
CORPUS_PARTS = ("clean", "html")  # folders of ../shared/corpus

HEADER = f"""\
# errscan findings on ../shared/corpus/clean, ../shared/corpus/html and generated texts: the reference a
# speed-up must reproduce exactly (tests/test_findings_stable.py). Made by tools/findings_golden.py: default
# settings, every detector on, every severity; a document's own date, else --as-of {AS_OF}.
# Regenerate (only when a change of findings is intended; review the diff): python tools/findings_golden.py
# source\toffset\tlength\trule\tseverity\ttext\tsuggestion
"""

Row = tuple[str, int, int, str, str, str, str]

# --- generated texts ----------------------------------------------------------------------------------------
# Planted after a clause, every ~5 KB, by bench_scan.make_text (which takes (planted, unused) pairs).
PLANTED = (
    "中华人民大和国",  # a protected name one character off
    "中華人民共合國",  # traditional characters folded, then one off
    "中 华 人 民 共 合 国",  # spaced out
    "再接再励",
    "贯切落实",
    "布署",
    "一股作气",  # idioms one character off
    "迫不急待",
    "按步就班",
    "一路一带",  # halves exchanged
    "增强四个意识",  # a formulation always quoted, written bare
    "国务院总理李克强",  # a past holder of the post, against the date
    "国家工商行政管理总局",  # an organ replaced in 2018
    "联系电话13812345678",
    "身份证号110105198503120127",  # GB 11643 check characters valid
    "公民身份号码320583197705213415",
    "银行卡号6222021001123456789",  # Luhn valid, a UnionPay issuer
    "中华人民共和国",  # correct: must stay unreported
)
PIECES = 3  # text pieces; one more is an HTML page
PIECE_MB = 0.1
SEED = 20260119


def _bench_scan():  # type: ignore[no-untyped-def]
    """bench/bench_scan.py as a module (bench/ is no package)."""
    spec = importlib.util.spec_from_file_location("bench_scan", ROOT / "bench" / "bench_scan.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generated() -> list[tuple[str, bytes]]:
    """The generated documents as (source name, bytes): deterministic for a given jieba dictionary."""
    bench = _bench_scan()
    words = bench.dictionary()
    plants = [(p, "") for p in PLANTED]
    docs = []
    for i in range(1, PIECES + 2):
        text = bench.make_text(words, plants, PIECE_MB, random.Random(SEED + i))
        if i <= PIECES:
            docs.append((f"gen/{i}", text.encode("utf-8")))
            continue
        body = "".join(f"<p>{line}</p>\n" for line in text.splitlines() if line)
        page = (
            '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>关于贯切落实有关工作的通知</title>'
            '<meta name="description" content="中华人民大和国"></head>\n<body>\n'
            f'<div class="content">\n{body}</div>\n<img src="a.png" alt="再接再励">\n'
            "<script>var s = '中华人民大和国';</script>\n</body></html>\n"
        )
        docs.append((f"gen/{i}.html", page.encode("utf-8")))
    return docs


# --- the rows -----------------------------------------------------------------------------------------------
def _field(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def format_row(row: Row) -> str:
    return "\t".join(_field(v) for v in row)


class Checker:
    """The run layer with the default settings; a document without a date of its own is checked at AS_OF."""

    def __init__(self) -> None:
        from errscan.run import Runner
        from errscan.settings import merge

        self.runner = Runner()
        self.dated = self.runner.resolver.base()  # the defaults (no .errscan.yaml looked for)
        self.undated = merge(self.dated, as_of=AS_OF)

    def rows(self, source: str, doc) -> list[Row]:  # type: ignore[no-untyped-def]
        from errscan.docdate import find_date

        own = find_date(doc.text, doc.metadata.get("date"))  # what the scanner itself looks for
        config = self.dated if own is not None else self.undated
        checked = self.runner.check(doc, source, config=config)
        return [
            (source, f.offset, f.length, f.rule, f.severity.label, f.text, f.suggestions[0] if f.suggestions else "")
            for f in checked.findings
        ]


def corpus_documents(shared: Path = SHARED) -> Iterator[tuple[str, object]]:
    """Every document of ../shared/corpus/clean and ../shared/corpus/html as `errscan check` reads a folder:
    (source name relative to ../shared/corpus, Document, or the reader's message for a file it cannot read)."""
    from errscan.inputs import Skipped, expand, load
    from errscan.readers.text import ReadError

    corpus = shared / "corpus"
    for part in CORPUS_PARTS:
        for source in expand([str(corpus / part)]):
            name = Path(source.name).relative_to(corpus).as_posix()
            try:
                yield name, load(source)
            except Skipped:
                yield name, "skipped"
            except ReadError as exc:
                yield name, f"unreadable: {exc}"


def clean_rows(shared: Path = SHARED, checker: Checker | None = None) -> list[Row]:
    """The rows of the corpus; a file skipped or unreadable is one row saying so (offset -1)."""
    checker = checker or Checker()
    rows: list[Row] = []
    for name, doc in corpus_documents(shared):
        if isinstance(doc, str):
            rows.append((name, -1, 0, doc.split(":")[0], "", doc, ""))
        else:
            rows += checker.rows(name, doc)
    return sorted(rows)


def generated_rows(checker: Checker | None = None) -> list[Row]:
    from errscan.readers import read

    checker = checker or Checker()
    return sorted(row for name, data in generated() for row in checker.rows(name, read(data, name)))


def lines(rows: Iterable[Row]) -> list[str]:
    return [format_row(r) for r in rows]


def read_golden(path: Path = GOLDEN) -> tuple[list[str], list[str]]:
    """The golden file's rows as lines: (clean part, generated part)."""
    rows = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    gen = [r for r in rows if r.startswith("gen/")]
    return [r for r in rows if not r.startswith("gen/")], gen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--out", type=Path, default=GOLDEN)
    args = ap.parse_args()
    if not (args.shared / "corpus" / "clean").is_dir():
        print(f"{args.shared}/corpus/clean not found", file=sys.stderr)
        return 2
    checker = Checker()
    clean, gen = lines(clean_rows(args.shared, checker)), lines(generated_rows(checker))
    args.out.write_text(HEADER + "".join(f"{r}\n" for r in clean + gen), encoding="utf-8")  # gen/ sorts last
    size = args.out.stat().st_size
    print(f"{args.out}: {len(clean)} clean-corpus rows, {len(gen)} generated-text rows, {size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
