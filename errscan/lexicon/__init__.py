"""Word lists: schema, loading and validation, automaton build and cache."""

from errscan.lexicon.compile import Lexicon, compile_lists, load_lexicon
from errscan.lexicon.load import builtin_dir
from errscan.lexicon.schema import Entry, ListError, ListInfo, ListLoadError

__all__ = ["Entry", "Lexicon", "ListError", "ListInfo", "ListLoadError", "builtin_dir", "compile_lists", "load_lexicon"]
