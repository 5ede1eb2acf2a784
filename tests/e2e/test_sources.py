"""/add, /remove and /sources end to end: a page served on 127.0.0.1 is added, answered from, and removed."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from tests.e2e.fake_discord import FLAG_EPHEMERAL
from tests.retrieval.sources.test_index_sources import HARBOUR, QUESTION, page

if TYPE_CHECKING:
    from tests.e2e.conftest import BotProcess, World

pytestmark = pytest.mark.e2e

TIMEOUT = 120.0


@pytest.fixture
def site():
    body = page("Harbour reopens after storm repairs", HARBOUR)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            status, data = (200, body) if self.path.startswith("/harbour") else (404, b"not found")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def ask(world: World, question: str) -> str:
    interaction = await world.fake.invoke("ask", {"question": question}, user=world.alice)
    return (await interaction.wait_answer(timeout=TIMEOUT))["embeds"][0]["description"]


async def test_add_answer_remove(world: World, citebot: BotProcess, site: str) -> None:
    fake = world.fake
    refused = await fake.invoke("add", {"url": f"{site}/harbour"}, user=world.alice)
    assert "Only admins" in (await refused.wait_ack(timeout=10)).payload["data"]["content"]

    added = await fake.invoke("add", {"url": f"{site}/harbour?utm_source=chat"}, user=world.mod,
                              roles=[world.admin_role])
    reply = await added.wait_answer(timeout=TIMEOUT)
    embed = reply["embeds"][0]
    assert reply["flags"] & FLAG_EPHEMERAL and embed["title"] == "Article added", embed
    assert "Harbour reopens after storm repairs" in embed["description"] and "Coast News" in embed["description"]
    assert "3 ¶" in embed["description"]
    assert "Saint Brendan" in await ask(world, QUESTION)

    failed = await fake.invoke("add", {"url": f"{site}/nothing-here"}, user=world.mod, roles=[world.admin_role])
    assert "404" in (await failed.wait_answer(timeout=TIMEOUT))["embeds"][0]["description"]

    sources = await fake.invoke("sources", user=world.alice)
    listing = (await sources.wait_answer(timeout=TIMEOUT))["embeds"][0]
    assert "Harbour reopens after storm repairs" in listing["description"]
    fields = {f["name"]: f["value"] for f in listing.get("fields", [])}
    assert "added" in fields and "1 article" in fields["added"]

    choices = await (await fake.autocomplete("remove", "article", "harbour")).wait_choices()
    assert choices and choices[0]["name"] == "Harbour reopens after storm repairs"
    removed = await fake.invoke("remove", {"article": choices[0]["value"]}, user=world.mod, roles=[world.admin_role])
    embed = (await removed.wait_answer(timeout=TIMEOUT))["embeds"][0]
    assert embed["title"] == "Removed" and "Harbour reopens" in embed["description"]
    assert (await ask(world, QUESTION)).startswith("The indexed articles don't cover this.")
