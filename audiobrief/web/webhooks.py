"""GET /v1/webhooks/deliveries: the last webhooks sent or to be sent, and how each attempt went."""

from __future__ import annotations

from typing import Annotated, Any, cast

import msgspec
from litestar import Request, get
from litestar.params import Parameter

from audiobrief.service.jobs import Service
from audiobrief.service.webhooks import Delivery, DeliveryStatus, shown_target
from audiobrief.web.problems import Declared, route_responses
from audiobrief.web.routes import KEYED, require_key


class DeliveryView(msgspec.Struct):
    id: str
    """Sent as X-Audiobrief-Delivery."""
    event: str
    article_id: str
    target: str
    """The receiver, without its query (it may hold a token)."""
    status: DeliveryStatus
    """pending (to be tried, again), delivered (a 2xx answer), or failed (given up)."""
    attempts: int
    next_attempt_at: float | None
    """Unix time of the next try, while pending."""
    created_at: float
    updated_at: float
    response_status: int | None
    """The receiver's HTTP status at the last attempt."""
    error: str | None
    """Why the last attempt failed."""


class Deliveries(msgspec.Struct):
    deliveries: list[DeliveryView]
    """Newest first."""


def _view(item: Delivery) -> DeliveryView:
    return DeliveryView(
        id=item.id, event=item.event, article_id=item.article_id,
        target=shown_target(item.target), status=item.status, attempts=item.attempts,
        next_attempt_at=item.next_at if item.status == "pending" else None,
        created_at=item.created_at, updated_at=item.updated_at,
        response_status=item.response_status, error=item.error)


@get("/v1/webhooks/deliveries", guards=[require_key], security=KEYED, sync_to_thread=True,
     operation_class=Declared, responses=route_responses("GET", "/v1/webhooks/deliveries"))
def deliveries(request: Request[Any, Any, Any],
               limit: Annotated[int, Parameter(ge=1, le=500)] = 100) -> Deliveries:
    """The last webhook deliveries, newest first: their event, receiver, status and attempts."""
    service = cast(Service, request.app.state.service)
    table = service.webhooks.table
    return Deliveries([_view(item) for item in (table.recent(limit) if table else [])])


ROUTES = [deliveries]
