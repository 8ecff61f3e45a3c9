"""The clerks' page (index.html: one file, inline CSS and JS, no external resources)."""
