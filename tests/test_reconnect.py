"""A dropped connection (Wi-Fi blip, laptop lid) does not end a training: the browser is taken offline mid-run, then
back online, and the page shows the same run going on (its steps continue from where they were, not from zero)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from harness.browser import wait_until_idle, watch_errors
from ui.shell.i18n import translate

POINTS = "() => { const gd = document.querySelector('.js-plotly-plot'); return gd ? gd.data[0].x.length : 0; }"
LAST_STEP = "() => { const gd = document.querySelector('.js-plotly-plot'); const x = gd ? gd.data[0].x : [];" \
            " return x.length ? Number(x[x.length - 1]) : 0; }"
DISCONNECTED = '[data-testid="stStatusWidget"], [data-testid="stConnectionStatus"]'


def test_a_training_survives_the_browser_going_offline_and_back(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    try:
        page = context.new_page()
        errors = watch_errors(page)
        sockets: list[str] = []
        page.on("websocket", lambda socket: sockets.append(socket.url))
        links = []  # each connection of the page to the server, passed through so that the test can cut it

        def through(socket) -> None:
            links.append((socket, socket.connect_to_server()))

        page.route_web_socket(re.compile(r"/_stcore/stream$"), through)
        page.goto(f"{server.url}/cnn_trainer?lang=en&drawn=0&blocks=2&b1=32-3-relu-max-bn&b2=64-3-relu-max-bn"
                  f"&epochs=30&batch=16")
        wait_until_idle(page)
        page.get_by_role("button", name=translate("cnn_trainer.start", "en")).click()
        page.get_by_text(translate("cnn_trainer.loss_title", "en")).first.wait_for(timeout=60_000)
        page.wait_for_function(f"() => ({LAST_STEP})() > 0", timeout=60_000)

        context.set_offline(True)  # the network goes, and the open connection with it, while the server trains on
        for to_page, to_server in links:
            to_server.close()
            to_page.close()
        page.wait_for_timeout(500)  # a message already on its way has arrived; none can come now
        before = page.evaluate(LAST_STEP)
        page.wait_for_timeout(3_500)
        context.set_offline(False)

        # back online: a new connection to the same session, the same run, further along than before the drop
        wait = 0
        while len([url for url in sockets if url.endswith("/_stcore/stream")]) < 2 and wait < 240:
            page.wait_for_timeout(500)  # the page's own reconnect, after its health check succeeds again
            wait += 1
        assert len([url for url in sockets if url.endswith("/_stcore/stream")]) >= 2, sockets  # it did reconnect
        page.wait_for_function(f"() => ({LAST_STEP})() > {before}", timeout=120_000)
        expect(page.get_by_text(translate("cnn_trainer.idle", "en"))).to_have_count(0)
        running = translate("cnn_trainer.status.running", "en").split("{")[0].strip()
        expect(page.get_by_text(running).first).to_be_visible(timeout=30_000)
        page.locator('[data-testid="stMain"]').get_by_role("button", name=translate("cnn_trainer.stop", "en")).click()
        page.get_by_text("Stopped after").first.wait_for(timeout=60_000)
        assert "Traceback" not in server.log()
        # while the connection is down the page says so in its console (its once-a-second refresh cannot be sent,
        # its health checks fail); nothing else may fail
        expected = ("disconnected from server", "ERR_INTERNET_DISCONNECTED", "request failed", "WebSocket",
                    "reaching server endpoint", "the internet?")
        assert [e for e in errors if not any(part in e for part in expected)] == []
    finally:
        context.close()
