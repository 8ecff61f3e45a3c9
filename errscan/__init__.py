"""errscan: finds serious errors, sensitive and misused words in Chinese text."""

from errscan._version import __version__
from errscan.model import Finding, Severity
from errscan.pipeline import Scanner


def scan_text(text: str, **kwargs: object) -> list[Finding]:
    """One-off scan with the built-in lists; build a Scanner to scan many texts."""
    return Scanner(**kwargs).scan_text(text)  # type: ignore[arg-type]


__all__ = ["Finding", "Scanner", "Severity", "__version__", "scan_text"]
