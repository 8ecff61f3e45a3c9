"""Source bytes -> text. One module per format; only plain text so far."""
