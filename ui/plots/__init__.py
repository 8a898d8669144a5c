"""Figures (plotly) and how they reach the page.

Importing this package makes plotly's look-up of optional modules wait for a module that another thread is still
importing (``settle_plotly_lookups``): sessions run in threads of one process, and plotly asks ``sys.modules`` for
pandas without importing it (``get_module("pandas", should_load=False)``), so while one session's page imported pandas
(scikit-learn, a table) another's figure could meet the half-made module and fail ("partially initialized module
'pandas' has no attribute 'Series'", seen in ``bench/classroom.py`` with 31 sessions starting at once)."""

from __future__ import annotations

import importlib
import sys
from types import SimpleNamespace


class SettledModules:
    """``sys.modules`` for plotly's look-ups: a module still being imported by another thread is waited for."""

    def get(self, name: str, default=None):
        module = sys.modules.get(name)
        if module is not None and getattr(getattr(module, "__spec__", None), "_initializing", False):
            module = importlib.import_module(name)  # takes the module's import lock: returns once it is complete
        return module if module is not None else default


def settle_plotly_lookups() -> None:
    """Point ``_plotly_utils.optional_imports.get_module`` (every plotly module calls this one function) at
    ``SettledModules``: it reads ``sys.modules`` through its module's global ``sys``, which alone is replaced."""
    from _plotly_utils import optional_imports

    if not isinstance(getattr(optional_imports.sys, "modules", None), SettledModules):
        optional_imports.sys = SimpleNamespace(modules=SettledModules())


settle_plotly_lookups()
