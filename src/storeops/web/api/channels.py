"""/api/v1/channels: where alerts go (Apprise URLs: mailto://, slack://, json://...).

A channel's URL often holds its credentials: it is write-only. The API answers with its scheme
only ("slack://***"); a PUT sends a new URL, or that answer back to keep the stored one.
Channels declared in storeops.toml ([[channels]]) are read-only here (409).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import select

from storeops.monitoring.actions import (
    channel_public,
    create_channel,
    delete_channel,
    update_channel,
)
from storeops.monitoring.models import NotificationChannel
from storeops.monitoring.redaction import keep_stored_channel_url
from storeops.monitoring.spec import ChannelSpec
from storeops.web.deps import DbSession
from storeops.web.reliability import (
    IdPath,
    Reader,
    Writer,
    actor_of,
    committing,
    delete_editable,
    editable_or_404,
    get_or_404,
    no_nul,
)

router = APIRouter(tags=["channels"])


def with_stored_url(spec: ChannelSpec, stored: str | None) -> ChannelSpec:
    """The URL as this API hands it out ("slack://***") keeps the stored one; 422 for a
    placeholder that is not this channel's."""
    try:
        url = keep_stored_channel_url(spec.url, stored)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return spec.model_copy(update={"url": url})


@router.get("/channels")
def list_channels(user: Reader, db: DbSession) -> list[dict[str, Any]]:
    """Every channel by name, its URL reduced to its scheme."""
    channels = db.scalars(select(NotificationChannel).order_by(NotificationChannel.name))
    return [channel_public(channel) for channel in channels]


@router.post("/channels", status_code=201)
def create(spec: ChannelSpec, user: Writer, db: DbSession) -> dict[str, Any]:
    """Adds a channel; its URL is kept and used, never shown again."""
    no_nul(spec)
    spec = with_stored_url(spec, None)
    with committing(db):
        channel = create_channel(db, spec, origin="api", actor=actor_of(user, "api"))
    return channel_public(channel)


@router.get("/channels/{channel_id}")
def get_channel(channel_id: IdPath, user: Reader, db: DbSession) -> dict[str, Any]:
    return channel_public(get_or_404(db, NotificationChannel, channel_id, "channel"))


@router.put("/channels/{channel_id}")
def update(channel_id: IdPath, spec: ChannelSpec, user: Writer, db: DbSession) -> dict[str, Any]:
    channel = editable_or_404(db, NotificationChannel, channel_id, "channel")
    no_nul(spec)
    spec = with_stored_url(spec, channel.url)
    with committing(db):
        update_channel(db, channel, spec, actor=actor_of(user, "api"))
    return channel_public(channel)


@router.delete("/channels/{channel_id}", status_code=204)
def delete(channel_id: IdPath, user: Writer, db: DbSession) -> Response:
    return delete_editable(
        db, NotificationChannel, channel_id, "channel", delete_channel, actor=actor_of(user, "api")
    )
