"""What a word list is made of. Data only, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from errscan.model import Severity

CATEGORIES = ("serious", "sensitive", "typo", "variant", "outdated", "privacy", "vulgar", "usage")

#  default: a candidate whose ends fall inside two different jieba tokens is dropped
#  word:    also drop a candidate that sits inside one longer token
#  any:     no segmentation check (forms never legitimate as substrings)
BOUNDARIES = ("default", "word", "any")

LIST_KEYS = {
    "id", "category", "severity", "description", "source", "license", "boundary", "since", "entries", "generate",
    "autofix",
}
ENTRY_KEYS = {
    "match", "suggest", "note", "severity", "unless", "boundary", "examples", "since",
    "followed_by", "not_followed_by", "preceded_by", "not_preceded_by", "autofix",
}
# Context rules are regular expressions tried against the text right after the match (followed_by)
# or right before it (preceded_by, anchored at the match): within this many characters.
CONTEXT_REACH = 24
EXAMPLE_KEYS = {"bad", "good"}
# A canonical list (header `generate:`): its entries are correct names, and errscan generates their slips.
SUBSTITUTIONS = ("pinyin", "stroke")
GENERATE_KEYS = {"substitute", "omit", "transpose", "min_length", "omit_min_length"}
CANONICAL_KEYS = {"name", "exclude", "note", "boundary", "generate", "insert"}


@dataclass(frozen=True)
class Entry:
    match: str
    suggest: tuple[str, ...]
    note: str
    severity: Severity
    boundary: str
    unless: tuple[str, ...]
    list_id: str
    category: str
    line: int  # where the entry stands in its source file
    bad: tuple[str, ...] = ()
    good: tuple[str, ...] = ()
    followed_by: str = ""  # regex sources; "" = no rule
    not_followed_by: str = ""
    preceded_by: str = ""
    not_preceded_by: str = ""
    since: str = ""  # outdated terms: the date (YYYY-MM or YYYY-MM-DD) the form was replaced
    origin: str = ""  # generated entries: the canonical name this slip was made from ("" = hand-written)
    method: str = ""  # generated entries: pinyin | stroke | omit | transpose
    position: int = 0  # generated entries: the changed character's index in the canonical name
    char: str = ""  # generated entries: the substituted character
    autofix: bool = True  # `errscan fix` may apply the suggestion when there is exactly one

    @property
    def has_context_rules(self) -> bool:
        return bool(self.unless or self.followed_by or self.not_followed_by or self.preceded_by or self.not_preceded_by)

    @property
    def rule(self) -> str:
        return f"{self.list_id}/{self.match}"


@dataclass(frozen=True)
class ListInfo:
    id: str
    category: str
    severity: Severity
    description: str
    source: str
    license: str
    path: str
    builtin: bool
    entries: int
    overrides: int = 0  # built-in entries this (user) list replaces
    generated: int = 0  # canonical lists: entries generated from the names (`entries` counts the names)


@dataclass(frozen=True)
class ListError:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ListLoadError(Exception):
    """One or more lists are invalid; `errors` names file and line for each."""

    def __init__(self, errors: list[ListError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class GenerateSpec:
    """Which slips to generate from a canonical name (the list header's `generate:`)."""

    substitute: tuple[str, ...] = SUBSTITUTIONS
    omit: bool = True
    transpose: bool = True
    min_length: int = 3  # shorter names generate nothing: their slips are everyday words
    omit_min_length: int = 4  # a dropped character needs a longer name to stay unmistakable


@dataclass(frozen=True)
class Canonical:
    """A name that must be written exactly."""

    name: str
    line: int
    exclude: tuple[str, ...] = ()  # variants never to generate (they are correct text somewhere)
    note: str = ""  # what the name is (a post, an organ's full name); shown by `errscan explain`
    boundary: str = ""  # "" = the list's
    spec: GenerateSpec | None = None  # None = the list's
    # words never written inside the name, by where: ((3, ("总书记", "同志")),) = not after its first 3 characters
    insert: tuple[tuple[int, tuple[str, ...]], ...] = ()


@dataclass
class WordList:
    info: ListInfo
    entries: list[Entry] = field(default_factory=list)
    canonical: list[Canonical] = field(default_factory=list)
    spec: GenerateSpec | None = None  # set for canonical lists
    boundary: str = "default"
