"""What a word list is made of. Data only, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from errscan.model import Severity

CATEGORIES = ("serious", "sensitive", "typo", "variant", "outdated", "privacy", "vulgar", "usage")

#  default: a candidate whose ends fall inside two different jieba tokens is dropped
#  word:    also drop a candidate that sits inside one longer token
#  any:     no segmentation check (forms never legitimate as substrings)
BOUNDARIES = ("default", "word", "any")

LIST_KEYS = {"id", "category", "severity", "description", "source", "license", "boundary", "since", "entries"}
ENTRY_KEYS = {
    "match", "suggest", "note", "severity", "unless", "boundary", "examples", "since",
    "followed_by", "not_followed_by", "preceded_by", "not_preceded_by",
}
# Context rules are regular expressions tried against the text right after the match (followed_by)
# or right before it (preceded_by, anchored at the match): within this many characters.
CONTEXT_REACH = 24
EXAMPLE_KEYS = {"bad", "good"}


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


@dataclass
class WordList:
    info: ListInfo
    entries: list[Entry] = field(default_factory=list)
