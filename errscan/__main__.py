from errscan.cli import app

app(prog_name="errscan")
