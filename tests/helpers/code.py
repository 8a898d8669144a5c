"""The "show the code" expanders of a page run in AppTest: the snippets are drawn only while one is open
(``ui.widgets.code.show_code``), so a test opens them, as a student would, before it reads them."""

from __future__ import annotations

from ui.widgets.code import CODE_SHOWN


def open_code(at):
    """Open every "show the code" expander on the page (their state is their key's, ``<key>_code_shown``) and rerun;
    the rerun page. A page without one is left as it is."""
    keys = [e.proto.id.split("-", 2)[-1] for e in at.expander if e.proto.id.endswith(CODE_SHOWN)]
    if not keys:
        return at
    for key in keys:
        at.session_state[key] = True
    return at.run()


def shown_code(at) -> list[str]:
    """The snippets the page shows once its "show the code" expanders are open (``open_code``)."""
    return [c.value for c in open_code(at).code]
