"""Word lists: schema, loading and validation, automaton build and cache."""

from errscan.lexicon.compile import Lexicon, builtin_dir, compile_lists, load_lexicon
from errscan.lexicon.schema import Entry, ListError, ListInfo, ListLoadError

__all__ = ["Entry", "Lexicon", "ListError", "ListInfo", "ListLoadError", "builtin_dir", "compile_lists", "load_lexicon"]
