"""The server's session hub without a server: its cap on sessions and when it lets one go."""
import asyncio

import pytest

from graphgrad.playground.hub import CLOSED_GRACE, IDLE_SECONDS, Hub, TooManySessions


def test_the_number_of_sessions_is_capped():
    async def scenario():
        hub = Hub(max_sessions=2)
        first, _ = await hub.create()
        await hub.create({"dataset": "xor"})
        with pytest.raises(TooManySessions, match="already has 2 sessions open"):
            await hub.create()
        hub.sessions[first].last_seen -= IDLE_SECONDS + 1  # never opened in a page, idle: let go
        await hub.create()
        assert first not in hub.sessions and len(hub.sessions) == 2
        await hub.close()
        assert hub.sessions == {}
    asyncio.run(scenario())


def test_a_closed_page_keeps_its_session_for_a_grace_time():
    async def scenario():
        hub = Hub(max_sessions=4)
        key, live = await hub.create()
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
        await hub.close()
    asyncio.run(scenario())


def test_the_worker_runs_clicks_before_queued_training_and_passes_errors_on():
    from graphgrad.playground.worker import TRAINING, URGENT, Worker

    async def scenario():
        worker, order = Worker(), []
        release = asyncio.Event()
        loop = asyncio.get_running_loop()
        blocked = asyncio.ensure_future(worker.run(  # occupies the thread until released
            TRAINING, lambda: asyncio.run_coroutine_threadsafe(release.wait(), loop).result()))
        await asyncio.sleep(0.05)
        chunks = [asyncio.ensure_future(worker.run(TRAINING, order.append, f"chunk {i}")) for i in range(3)]
        click = asyncio.ensure_future(worker.run(URGENT, order.append, "click"))
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(blocked, click, *chunks)
        assert order == ["click", "chunk 0", "chunk 1", "chunk 2"]
        with pytest.raises(ZeroDivisionError):
            await worker.run(URGENT, lambda: 1 / 0)
        worker.shutdown()
        assert not worker._thread.is_alive()
    asyncio.run(scenario())
