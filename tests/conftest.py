from __future__ import annotations

import pytest
from helpers import CORE

from errscan import Scanner


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory: pytest.TempPathFactory):
    """Tests never write into the user's cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("ERRSCAN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def core() -> Scanner:
    return Scanner([CORE], builtin=False)
