"""``bench/pages.py``'s rows: every control it sets (each page's main control, each extra control) is one the page
draws, and setting it to each of its values reruns the page cleanly. A control renamed or replaced in the app (a row
of selectboxes that became a ``row_editor``) would otherwise stop the benchmark at that row."""

from __future__ import annotations

import pytest

from harness.apptest import app_test, benchmarked_controls, change
from tests.conftest import assert_clean

CONTROLS = benchmarked_controls()


@pytest.mark.parametrize(("label", "spec", "control"), CONTROLS, ids=[label for label, _, _ in CONTROLS])
def test_each_benchmarked_control_is_on_its_page_and_takes_its_values(label, spec, control):
    at = app_test(dict(control.query), page=spec.script)
    assert_clean(at)
    for value in control.values[:2]:
        change(at, control.kind, control.key, value)
        assert_clean(at)
