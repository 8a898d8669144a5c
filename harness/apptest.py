"""AppTest of the whole app (``app.py`` and its navigation), as the tests and bench/pages.py run a page."""

from __future__ import annotations

from harness.paths import ROOT
from ui.shell.registry import all_pages

DEFAULT_PAGE = next(spec for spec in all_pages() if spec.default)


def entry_point_app_test():
    from streamlit.testing.v1 import AppTest

    class EntryPointAppTest(AppTest):
        """AppTest that runs ``app.py`` on every rerun of the default page.

        AppTest (Streamlit 1.67) reruns a multipage app by executing the page it finished on *alone*,
        skipping the entry point: the sidebar language switch and everything ``app.py`` does vanish
        after the first interaction. A browser does not do that. Forgetting the finished page makes
        each rerun start at ``app.py`` again, as a real session does.
        """

        def _run(self, widget_state=None, timeout=None):
            if not getattr(self, "_page_hash", "") and hasattr(self, "_finished_page_script_hash"):
                self._finished_page_script_hash = ""
            return super()._run(widget_state, timeout)

    return EntryPointAppTest(str(ROOT / "app.py"), default_timeout=60)


def app_test(query: dict[str, str] | None = None, page: str | None = None, context: dict | None = None):
    """Run ``app.py`` in AppTest with ``query`` in the URL, on ``page`` (a script path) if given, with the
    browser ``context`` (``locale``, ``theme``) given."""
    at = entry_point_app_test()
    at.context = dict(context or {})
    for name, value in (query or {}).items():
        at.query_params[name] = value
    if page is not None and page != DEFAULT_PAGE.script:
        # AppTest runs a switched-to page alone; the page's require_entry_point() then reruns it through
        # app.py, as the first request of a fresh server does.
        at.switch_page(page)
    return at.run()


def benchmarked_controls() -> list[tuple[str, object, object]]:
    """Every row that bench/pages.py measures: (label, page, control); each page's main control first, then
    every lesson's extra controls."""
    controls = [(spec.url_path, spec, spec.main_control) for spec in all_pages() if spec.main_control is not None]
    return controls + [(label, spec, extra) for spec in all_pages() for label, extra in spec.extra_controls.items()]


def change(at, kind: str, key: str, value) -> None:
    """Set the control as ``MainControl`` describes it (kind ``state``: the value stored in the session) and rerun."""
    if kind == "state":
        at.session_state[key] = value
        at.run()
        return
    widget = next(w for w in at.get(kind) if w.key == key)
    widget.set_value(value).run()


def finish_background_work() -> None:
    """Wait for what a page's first view starts in the background (the trainer draws its digits once per server,
    ``ui.jobs.training_job.DRAWING_THREAD``): a measurement then leaves it out, and an interpreter that exits while
    that thread runs inside torch aborts ("terminate called without an active exception")."""
    import threading

    from ui.jobs.training_job import DRAWING_THREAD

    for thread in threading.enumerate():
        if thread.name == DRAWING_THREAD:
            thread.join()
