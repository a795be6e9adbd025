"""The server's session hub without a server: its cap on sessions and when it lets one go."""
import asyncio

import pytest

from graphgrad.playground.hub import CLOSED_GRACE, IDLE_SECONDS, Hub, TooManySessions


def test_the_number_of_sessions_is_capped():
    hub = Hub(max_sessions=2, workers=1)
    first, _ = hub.create()
    hub.create({"dataset": "xor"})
    with pytest.raises(TooManySessions, match="already has 2 sessions open"):
        hub.create()
    hub.sessions[first].last_seen -= IDLE_SECONDS + 1  # never opened in a page, idle: let go
    hub.create()
    assert first not in hub.sessions and len(hub.sessions) == 2
    asyncio.run(hub.close())
    assert hub.sessions == {}


def test_a_closed_page_keeps_its_session_for_a_grace_time():
    hub = Hub(max_sessions=4, workers=1)
    key, live = hub.create()
    page = object()
    hub.attach(live, page)
    live.session.act("play")
    live.last_seen -= IDLE_SECONDS + 1
    hub.expire()
    assert key in hub.sessions  # an open page keeps it, however old
    hub.detach(live, page)
    assert not live.session.playing  # nobody watches: paused
    hub.expire()
    assert key in hub.sessions
    live.closed_at -= CLOSED_GRACE + 1
    hub.expire()
    assert key not in hub.sessions
    asyncio.run(hub.close())
