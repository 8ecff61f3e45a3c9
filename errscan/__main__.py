from errscan.cli import app

if __name__ == "__main__":  # uvicorn's worker processes import this module again
    app(prog_name="errscan")
