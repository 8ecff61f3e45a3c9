"""Archive audits: `errscan audit PATH...` — parallel, incremental (SQLite cache), resumable, with a report.

Built on the same pipeline as `errscan check`; nothing below imports this package.
"""

from errscan.audit.run import AuditError, AuditOptions, Progress, audit, run_audit

__all__ = ["AuditError", "AuditOptions", "Progress", "audit", "run_audit"]
