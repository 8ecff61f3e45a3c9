"""`errscan lists test`: every entry's examples through the real pipeline, with all lists loaded."""

from __future__ import annotations

from errscan.lexicon.compile import Lexicon


def run_examples(lex: Lexicon) -> tuple[list[str], int]:
    """(failure messages, number of examples checked)."""
    from errscan.pipeline import Scanner

    scanner = Scanner(lexicon=lex)
    failures: list[str] = []
    checked = 0
    for entry in lex.entries:
        for text in entry.bad:
            checked += 1
            rules = [f.rule for f in scanner.scan_text(text)]
            if entry.rule not in rules:
                failures.append(f"{entry.rule} (line {entry.line}): bad example not caught: {text!r} -> {rules}")
        for text in entry.good:
            checked += 1
            rules = [f.rule for f in scanner.scan_text(text)]
            if entry.rule in rules:
                failures.append(f"{entry.rule} (line {entry.line}): good example flagged: {text!r}")
    return failures, checked
