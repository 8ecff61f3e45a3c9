"""The optional compiled scanners. Each is built where a C compiler is present; without one the install still
succeeds and errscan runs the same scans in pure Python (slower, identical results: tests/test_lmscan.py and
tests/test_fuzzscan.py compare them)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("errscan._lmscan", ["errscan/_lmscan.c"], optional=True),
        Extension("errscan._fuzzscan", ["errscan/_fuzzscan.c"], optional=True),
        Extension("errscan._wordscan", ["errscan/_wordscan.c"], optional=True),
    ]
)
