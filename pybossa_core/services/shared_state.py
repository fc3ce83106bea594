"""The Redis connection shared by the back ends that outgrow one process (rate limits, cache, jobs)."""
from __future__ import annotations

import redis


def redis_client(url: str) -> redis.Redis | None:
    """Return a Redis client for ``url``, or None for the embedded, in-process back ends."""
    return redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30) if url else None


def includeme(config) -> None:
    config.registry["redis"] = redis_client(config.get_settings()["redis.url"])
