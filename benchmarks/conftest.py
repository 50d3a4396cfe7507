"""Benchmarks use the tests' fixtures (the app on a test database, users, login)."""

from tests.conftest import *  # noqa: F403
from tests.conftest import _clean, _rolled_back  # noqa: F401  (autouse: a clean, seeded database; not exported by *)
