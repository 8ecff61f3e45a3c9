"""`python -m errscan`: the same entry point as the `errscan` command (errscan.quick)."""

if __name__ == "__main__":  # uvicorn's worker processes import this module again: they must not run a command
    from errscan.quick import main

    main()
