"""What the tests and the benchmarks share: AppTest of a page, a real ``streamlit run`` server, headless Chromium,
and the helpers that drive a page in it.

* ``harness.paths``: the repository's folders (``ROOT``, ``ARTIFACTS``) and the real MNIST test set beside it;
* ``harness.apptest``: ``app_test``, the whole app (``app.py`` and its navigation) in Streamlit's AppTest;
* ``harness.server``: ``run_server`` (a real ``streamlit run app.py`` on a free loopback port) and the Chromium it is
  driven with (``find_chromium``, ``CHROMIUM_ARGS``);
* ``harness.browser``: Playwright helpers for a page of that server (``watch_errors``, ``wait_until_idle``,
  ``assert_healthy``, ``draw_a_one``, …) and the page states they wait for (``IDLE``, ``DRAWN``).

Neither tests/ nor bench/ is imported from here, and pytest is not needed: a benchmark runs without it.
"""
