"""Webhook deliveries and listening figures in a real PostgreSQL, as the distributed mode keeps
them: what one node takes another does not, outcomes and counts add up across nodes."""

from __future__ import annotations

import dataclasses
import time

from audiobrief.service.events import Figures
from audiobrief.service.webhooks import Delivery


def pending(number: int, now: float) -> Delivery:
    return Delivery(id=f"d{number}", event="article.done", article_id="a1",
                    target="https://cms.example.org/hook", body=b'{"id": "a1"}',
                    status="pending", attempts=0, next_at=now, created_at=now + number,
                    updated_at=now + number)


def test_a_delivery_taken_by_one_node_is_not_taken_by_another(postgres_url: str) -> None:
    from audiobrief.service.postgres_desk import PostgresDeliveries

    one, other = PostgresDeliveries(postgres_url), PostgresDeliveries(postgres_url)
    now = time.time()
    one.add([pending(number, now) for number in range(3)])
    taken = one.take(now, 2, hold_s=60)
    assert [item.id for item in taken] == ["d0", "d1"]
    assert [item.id for item in other.take(now, 10, hold_s=60)] == ["d2"]
    assert other.take(now + 30, 10, hold_s=60) == []  # all held
    assert {item.id for item in other.take(now + 61, 10, hold_s=60)} == {"d0", "d1", "d2"}

    done = dataclasses.replace(taken[0], status="delivered", attempts=1, updated_at=now + 100,
                               response_status=200)
    one.record(done)
    assert other.recent(1)[0] == done
    assert other.next_due() is not None
    assert other.prune(keep=0) == 1
    assert {item.id for item in other.recent(10)} == {"d1", "d2"}


def test_listening_counts_from_two_nodes_add_up(postgres_url: str) -> None:
    from audiobrief.service.postgres_desk import PostgresListens

    one, other = PostgresListens(postgres_url), PostgresListens(postgres_url)
    one.add({("a1", "2026-03-01", "play"): 3, ("a1", "2026-03-01", "complete"): 1})
    other.add({("a1", "2026-03-01", "play"): 1, ("a1", "2026-03-02", "play"): 2,
               ("a2", "2026-03-02", "play"): 1})
    assert one.counts("a1", "2026-03-01") == {("2026-03-01", "play"): 4,
                                              ("2026-03-01", "complete"): 1,
                                              ("2026-03-02", "play"): 2}
    totals = other.totals("2026-03-02", limit=1)
    assert totals == {"a1": {"play": 2}}
    assert Figures.of(one.totals("2026-03-01", 10)["a1"]).completion_rate == 1 / 6
