"""The run layer: one document and the settings that apply to its path, in, one result out.

Every command goes through here (check, fix, audit's workers, crawl, serve, lists test), so a document gets
the same findings and the same verdict whichever command checks it:

    scan (pipeline.Scanner) -> inline suppressions (suppress.py) -> the config's filters and severity
    overrides (settings.Config.apply) -> shown / not shown (min_severity) and the verdict (fail_on)

`Runner` holds what a run shares: the configurations (config.ConfigResolver: `--config`, or discovery per
input, merged with the options given) and one Scanner per distinct configuration (`Scanners`).
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from errscan.config import COMMAND_LINE, ConfigError, ConfigResolver
from errscan.detectors.privacy import mask_text
from errscan.model import Document, Finding, InputError, Report, Severity

if TYPE_CHECKING:
    from errscan.lexicon import Lexicon
    from errscan.pipeline import Scanner


@dataclass(frozen=True)
class Checked:
    """One document's result: every finding that survived suppressions and the config, and the verdict."""

    path: str
    findings: tuple[Finding, ...]  # every severity, ordered by position
    config: Any
    metadata: dict[str, str] = field(default_factory=dict)  # kind, title, date, encoding

    @functools.cached_property
    def shown(self) -> list[Finding]:
        """What the report lists: min_severity and above."""
        floor = self.config.min_severity
        return [f for f in self.findings if f.severity >= floor]

    @functools.cached_property
    def hidden(self) -> Counter[str]:
        """Findings below min_severity, by severity label: counted in the report, not listed."""
        floor = self.config.min_severity
        return Counter(f.severity.label for f in self.findings if f.severity < floor)

    @property
    def failed(self) -> bool:
        """The verdict follows fail_on only: a finding not shown fails the check all the same."""
        threshold = self.config.fail_threshold
        return any(f.severity >= threshold for f in self.findings)


class Scanners:
    """One Scanner per distinct scan key of a configuration; one compiled Lexicon per (lists, builtin)."""

    def __init__(
        self, *, cache: bool = True, show_pii: bool = False, wrap: Callable[[Lexicon], Lexicon] | None = None
    ):
        self.cache, self.show_pii, self.wrap = cache, show_pii, wrap  # wrap: e.g. an audit worker's hit recorder
        self._lexicons: dict[tuple[tuple[str, ...], bool], Lexicon] = {}
        self._registers: dict[tuple[str, ...], Any] = {}  # an office's registers of posts, by their paths
        self._scanners: dict[tuple[object, ...], Scanner] = {}

    def register(self, paths: Sequence[Path]) -> Any:
        """An office's registers of posts after the built-in one (posts.Register), read once per run. Raises
        ConfigError for one that cannot be read."""
        key = tuple(str(p) for p in paths)
        if key not in self._registers:
            import errscan.posts as posts

            try:
                self._registers[key] = posts.load(key)
            except (OSError, ValueError) as exc:
                where = key[0] if key else "errscan/data/register/posts.yaml"
                raise ConfigError([(where, 0, f"职务登记文件无法读取：{exc}")]) from None
        return self._registers[key]

    def seed(self, lists: Sequence[Path], builtin: bool, lex: Lexicon) -> None:
        """Take a Lexicon already compiled (Runner.thaw) for these lists: they are not read again."""
        self._lexicons[self._key(lists, builtin)] = lex

    @staticmethod
    def _key(lists: Sequence[Path], builtin: bool) -> tuple[tuple[str, ...], bool]:
        return tuple(str(p) for p in lists), builtin

    def lexicon(self, lists: Sequence[Path], builtin: bool) -> Lexicon:
        from errscan.lexicon import load_lexicon

        key = self._key(lists, builtin)
        if key not in self._lexicons:
            lex = load_lexicon(list(lists), builtin=builtin, cache=self.cache)
            self._lexicons[key] = self.wrap(lex) if self.wrap else lex
        return self._lexicons[key]

    def get(self, config: Any) -> Scanner:
        """The Scanner for a config. Raises ListLoadError for a bad list, ConfigError for no lists at all.

        It reports every severity: the config's overrides come first, then min_severity chooses what is shown.
        """
        from errscan.pipeline import Scanner

        key = config.scan_key()
        if key not in self._scanners:
            if not config.builtin and not config.lists:
                where = str(config.path) if config.path else COMMAND_LINE
                raise ConfigError([(where, 0, "未使用内置词表（builtin: false / --no-builtin），又没有给出任何词表")])
            self._scanners[key] = Scanner(
                lexicon=self.lexicon(config.lists, config.builtin), allow=config.allow,
                as_of=config.as_of.range if config.as_of else None, privacy=config.privacy, show_pii=self.show_pii,
                fuzzy=config.fuzzy and config.builtin, lm=config.lm,  # fuzzy's sets are the built-in lists
                posts=config.posts, registers=tuple(str(p) for p in config.registers),
                register=self.register(config.registers) if config.posts else None,
            )
        return self._scanners[key]


class Runner:
    """The settings of a run and the Scanners they need; `check` is the one way a document is checked.

    `config`: one file for every input (`--config`), else each input's closest `.errscan.yaml`; `given`: the
    options of the command line or the request (see settings.merge), None meaning "not given".
    """

    def __init__(
        self, config: Path | str | None = None, *, cache: bool = True, show_pii: bool = False,
        report_unused: bool = False, wrap: Callable[[Lexicon], Lexicon] | None = None, **given: Any,
    ):
        self.resolver = ConfigResolver(Path(config) if config is not None else None, **given)
        self.scanners = Scanners(cache=cache, show_pii=show_pii, wrap=wrap)
        self.report_unused = report_unused
        self._here: Any = None

    def config_for(self, path: Path | str | None) -> Any:
        """The config of an input (None: standard input or a URL, from the current directory, as it was when
        first asked: a service answers every request with the settings it started with)."""
        if path is None:
            if self._here is None:
                self._here = self.resolver.for_path(None)
            return self._here
        return self.resolver.for_path(path)

    def freeze(self) -> bytes:
        """What this Runner checks a text of no path with (`config_for(None)`: the settings and the compiled
        lists), as bytes another process can check with (`thaw`) without reading a file: the workers of one
        service check with the lists one of them validated, never with the files as they are by then."""
        import pickle
        from dataclasses import replace

        config = self.config_for(None)
        lex = self.scanners.lexicon(config.lists, config.builtin)
        automaton = _automaton_bytes(lex.automaton)
        lex = replace(lex, automaton=None, entries=tuple(lex.entries))  # the entries read now, not from a cache
        registers = self.scanners.register(config.registers) if config.posts else None
        return pickle.dumps((config, lex, automaton, registers, self.scanners.show_pii, self.report_unused),
                            protocol=5)

    @classmethod
    def thaw(cls, data: bytes) -> Runner:
        """The Runner `freeze` wrote, for texts of no path (as a service checks them)."""
        import pickle
        from dataclasses import replace

        config, lex, automaton, registers, show_pii, report_unused = pickle.loads(data)  # errscan's own folder
        runner = cls(show_pii=show_pii, report_unused=report_unused)
        runner._here = config
        runner.scanners.seed(config.lists, config.builtin, replace(lex, automaton=_automaton_of(automaton)))
        if registers is not None:
            runner.scanners._registers[tuple(str(p) for p in config.registers)] = registers
        return runner

    def skips(self, path: Path | str, *, named: bool, force_exclude: bool = False) -> bool:
        """Whether an input is left out: excluded by its config (an input named explicitly is checked anyway,
        unless `force_exclude`), or a list file that a config names (never a document)."""
        config = self.config_for(path)
        if (not named or force_exclude) and config.excluded(path):
            return True
        return not named and self.is_list_file(path, config)

    def is_list_file(self, path: Path | str, config: Any = None) -> bool:
        config = config if config is not None else self.config_for(path)
        if not config.lists:
            return False
        full = os.path.abspath(path)
        for p in config.lists:
            p = str(p)
            if full == p or full.startswith(os.path.join(p, "")):
                return True
        return False

    def check(
        self, doc: Document, name: str, path: Path | str | None = None, *, config: Any = None,
        source: str | None = None, scan: Callable[[Scanner, Document, str], list[Finding]] | None = None,
    ) -> Checked:
        """Check one document: scan, inline suppressions, the config. `path`: where its config is looked for
        (None: the current directory). `source`: an HTML page's decoded source, where its errscan- comments are
        (default: the locator's). `scan`: how the Scanner scans it (an audit worker scans huge texts in
        chunks); default `Scanner.scan_document`."""
        if config is None:
            config = self.config_for(path)
        scanner = self.scanners.get(config)
        findings = scan(scanner, doc, name) if scan else scanner.scan_document(doc, name)
        findings = suppressed(findings, doc, name, source, self.report_unused)
        meta = dict(doc.metadata)
        if not self.scanners.show_pii:  # a title or an author may hold an ID or phone number too
            meta = {k: mask_text(v) if isinstance(v, str) else v for k, v in meta.items()}
        return Checked(name, tuple(config.apply(findings)), config, {"kind": doc.kind, **meta})


def _automaton_bytes(automaton: object) -> bytes:
    """An automaton by its own `save` (pickling one leaks its size in memory each time, pyahocorasick 2.3)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="errscan-") as tmp:
        path = os.path.join(tmp, "automaton")
        automaton.save(path)  # type: ignore[attr-defined]  # its values are ints: no serializer
        with open(path, "rb") as f:
            return f.read()


def _automaton_of(data: bytes) -> object:
    import pickle
    import tempfile

    import ahocorasick

    with tempfile.TemporaryDirectory(prefix="errscan-") as tmp:
        path = os.path.join(tmp, "automaton")
        with open(path, "wb") as f:
            f.write(data)
        return ahocorasick.load(path, pickle.loads)  # the loader is asked for one, and not used for ints


def suppressed(
    findings: list[Finding], doc: Document, name: str, source: str | None = None, report_unused: bool = False
) -> list[Finding]:
    """The findings the document's inline directives leave (and, if asked, its unused directives as warnings)."""
    # where suppress.document_directives looks; a document without "errscan-" there has none (suppress.directives),
    # and spares every start the module's import (~2 ms)
    where = doc.text if doc.kind != "html" else source if source is not None else getattr(doc.locator, "source", None)
    if where is None or "errscan-" not in where:
        return findings
    import errscan.suppress as suppress

    found = suppress.document_directives(doc, source)
    if not found:
        return findings
    findings, _, unused = suppress.apply(findings, found)
    if report_unused and unused:
        findings = sorted(findings + suppress.unused_findings(unused, name), key=lambda f: (f.line, f.column))
    return findings


def hidden_counts(results: Iterable[Checked]) -> tuple[tuple[str, int], ...]:
    """The findings not shown, by severity (error first), over several documents."""
    total: Counter[str] = Counter()
    for r in results:
        total.update(r.hidden)
    return tuple((s.label, total[s.label]) for s in sorted(Severity, reverse=True) if total[s.label])


def report_of(
    results: Sequence[Checked], errors: Iterable[InputError], skipped: Iterable[str], elapsed: float, default: Any
) -> Report:
    """The report of several documents: what they show, what they hide, and the verdict each one's own config
    gave; one fail_on threshold shown when every document had the same (else `default`'s)."""
    thresholds = {r.config.fail_threshold for r in results}
    return Report(
        findings=tuple(f for r in results for f in r.shown), errors=tuple(errors), files=len(results),
        skipped=tuple(skipped), elapsed=elapsed,
        fail_on=thresholds.pop() if len(thresholds) == 1 else default.fail_threshold,
        documents=tuple((r.path, r.metadata) for r in results), hidden=hidden_counts(results),
        verdict=any(r.failed for r in results),
    )


def test_examples(runner: Runner) -> tuple[list[str], int]:
    """`errscan lists test`: every entry's examples checked as documents are, with the lists of the current
    directory's settings. A bad example must be reported under its entry's rule, a good one must not.
    Returns (failure messages, examples checked)."""
    config = runner.config_for(None)
    lex = runner.scanners.get(config).lexicon
    failures: list[str] = []
    checked = 0
    for entry in lex.entries:
        for text, want in [(t, True) for t in entry.bad] + [(t, False) for t in entry.good]:
            checked += 1
            rules = [f.rule for f in runner.check(Document(text), "<例句>", config=config).findings]
            if want and entry.rule not in rules:
                said = "、".join(rules) if rules else "无"
                failures.append(f"{entry.rule}（第 {entry.line} 行）：反例未报出：“{text}”（报出的是：{said}）")
            elif not want and entry.rule in rules:
                failures.append(f"{entry.rule}（第 {entry.line} 行）：正例被误报：“{text}”")
    return failures, checked
