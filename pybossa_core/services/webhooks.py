"""Project webhooks: tell a project's receiver, from a background job, that a task was completed.

When a task of a project whose ``webhook`` is set is completed (the
:class:`~pybossa_core.events.TaskCompleted` event), the request that completed it records a pending delivery in the ``webhook`` table (its payload) and
queues :func:`deliver` to run once its transaction commits (inline, or on RQ with
``redis.url``).  The job POSTs the payload as JSON with a ``webhooks.timeout`` and the
delivery's id in ``X-Pybossa-Delivery``, and tries again up to ``webhooks.retries``
times, ``webhooks.retry_backoff`` seconds apart (doubled each time), until the receiver
answers 2xx.  Each attempt commits what it got (the answer cut to :data:`RESPONSE_KEPT`
characters and its status code), so the row always shows the latest answer.  Delivery
is at least once: a job whose worker died runs again with the same delivery id, so a
receiver that saw it already can tell.  Nothing here can fail the answer that completed
the task: the job runs after its commit and the runners never raise a job's error.

Where a webhook may point is the site's choice (:func:`check_url`): only
``webhooks.allowed_hosts`` when that is set; else, with ``webhooks.block_private_networks``
(the default), any host whose addresses are public, so a project owner cannot make the
server call into its own network; else any host, as PYBOSSA does.  URLs are checked when
saved (without DNS) and again by the site's guarded fetcher (:mod:`pybossa_core.outbound`),
with the resolved addresses it then connects to, on each POST; redirects are not followed.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import socket
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core import outbound
from pybossa_core.i18n import ShownError, _
from pybossa_core.interfaces import IJobQueue
from pybossa_core.models import Project, Webhook
from pybossa_core.models.meta import utcnow
from pybossa_core.events import TaskCompleted
from pybossa_core.services.jobs import JobContext, JobQueue

log = logging.getLogger(__name__)

EVENT_TASK_COMPLETED = "task_completed"
#: How much of a receiver's answer the ``webhook`` table keeps, in characters.
RESPONSE_KEPT = 2000
#: What a failed connection (refused, reset, timed out) is recorded as, as PYBOSSA does.
CONNECTION_ERROR = "Connection Error"
#: The header naming a delivery, the same on every attempt: a receiver de-duplicates with it.
DELIVERY_HEADER = "X-Pybossa-Delivery"
#: The kind of the delivery job, as admins see it.
KIND = "webhook"
#: Seconds a delivery job gets beyond its attempts and waits (the database, the resolver).
DELIVERY_MARGIN = 30


class RefusedURL(ShownError, ValueError):
    """A webhook URL this site will not call; the message says why."""


def check_url(url: str, settings: Mapping[str, Any]) -> None:
    """Raise :class:`RefusedURL` unless the site (its ``settings``) may POST to ``url``.

    A host listed in ``webhooks.allowed_hosts`` is always accepted (a test receiver on
    127.0.0.1, a partner inside the network); with a list, no other host is. Without
    one, and with ``webhooks.block_private_networks``, the host must not be loopback,
    private, link-local or otherwise non-public when written as an address (in any form
    the resolver accepts) or named ``localhost``; a name's addresses are checked by the
    fetcher when the webhook is sent.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise RefusedURL(_("The webhook must be an http or https URL"))
    host, allowed_hosts = parts.hostname, settings.get("webhooks.allowed_hosts") or ()
    try:
        host.encode("idna")
    except UnicodeError:
        # Not a host name at all: IDNA cannot encode it (a control character, say).
        raise RefusedURL(_("The webhook's host ${host} is not a valid host name", mapping={"host": repr(host)})) from None
    if host in {allowed.lower() for allowed in allowed_hosts}:
        return
    if allowed_hosts:
        raise RefusedURL(_("The webhook's host ${host} is not one of the hosts this site calls (webhooks.allowed_hosts)",
                           mapping={"host": host}))
    if not settings.get("webhooks.block_private_networks"):
        return
    if any(not outbound.is_public(address) for address in _literal_addresses(host)):
        raise RefusedURL(_("The webhook's host ${host} is a private or loopback address", mapping={"host": host}))


def _literal_addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses ``host`` names without asking DNS (none for a name other than localhost)."""
    if host == "localhost" or host.endswith(".localhost"):
        return [ipaddress.ip_address("127.0.0.1")]
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        return []
    # A scoped IPv6 address ends with "%interface", which ipaddress does not read.
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def delivery_policy(settings: Mapping[str, Any]) -> outbound.Policy:
    """The fetcher's policy for webhooks: their own hosts and timeout; answers cut to what is kept."""
    return outbound.Policy(
        allowed_internal_hosts=(*settings["webhooks.allowed_hosts"], *settings["outbound.allowed_internal_hosts"]),
        block_private=settings["webhooks.block_private_networks"],
        timeout=settings["webhooks.timeout"],
        # Read a little more than is kept: a receiver's answer could be as long as it likes.
        max_bytes=RESPONSE_KEPT * 4,
        max_redirects=0,
    )


def task_completed_payload(project: Project, task_id: int, result_id: int) -> dict[str, Any]:
    """Return what the receiver is told when a task of ``project`` is completed (PYBOSSA's keys)."""
    return {
        "fired_at": utcnow().isoformat(),
        "project_short_name": project.short_name,
        "project_id": project.id,
        "task_id": task_id,
        "result_id": result_id,
        "event": EVENT_TASK_COMPLETED,
    }


def announce_task_completed(session: Session, jobs: JobQueue, event: TaskCompleted) -> None:
    """Record a pending delivery of the event to its project's webhook in ``session``'s
    transaction and queue its sending for when it commits."""
    payload = task_completed_payload(event.project, event.task_id, event.result_id)
    delivery = Webhook(project_id=event.project_id, payload=payload)
    session.add(delivery)
    session.flush()
    _queue(jobs, delivery, rerun=False)


def resend(jobs: JobQueue, earlier: list[Webhook]) -> None:
    """Queue ``earlier`` deliveries to be sent again (marked ``rerun=True``), once the transaction commits;
    each is pending again until its receiver answers."""
    for delivery in earlier:
        delivery.response = delivery.response_status_code = None
        _queue(jobs, delivery, rerun=True)


def _queue(jobs: JobQueue, delivery: Webhook, rerun: bool) -> None:
    jobs.enqueue(deliver, delivery.id, rerun, kind=KIND, project_id=delivery.project_id,
                 min_timeout=time_needed(jobs.settings))


def time_needed(settings: Mapping[str, Any]) -> float:
    """Return the seconds a delivery job may take: every attempt's timeout and the waits between them."""
    retries = settings["webhooks.retries"]
    waits = sum(settings["webhooks.retry_backoff"] * 2**attempt for attempt in range(retries))
    return settings["webhooks.timeout"] * (retries + 1) + waits + DELIVERY_MARGIN


def pending(delivery: Webhook) -> bool:
    """Tell whether ``delivery`` still waits for its receiver's answer (queued, or being sent)."""
    return delivery.response is None and delivery.response_status_code is None


def succeeded(status_code: int | None) -> bool:
    """Tell whether a receiver's answer (its status code, None without one) was a 2xx."""
    return status_code is not None and 200 <= status_code < 300


def deliveries(session: Session, project: Project) -> list[Webhook]:
    """Return ``project``'s deliveries, newest first."""
    return list(session.scalars(sa.select(Webhook).where(Webhook.project_id == project.id).order_by(Webhook.id.desc())))


def delivery_json(delivery: Webhook) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "created": delivery.created.isoformat(),
        "updated": delivery.updated.isoformat() if delivery.updated else None,
        "project_id": delivery.project_id,
        "payload": delivery.payload,
        "response": delivery.response,
        "response_status_code": delivery.response_status_code,
    }


def deliver(context: JobContext, webhook_id: int, rerun: bool = False) -> None:
    """The job: POST delivery ``webhook_id``'s payload to its project's webhook until it answers 2xx
    or the retries are spent.

    The receiver is told the delivery's id in ``X-Pybossa-Delivery``, the same on every
    attempt and every run of the job, and sees ``?rerun=True`` on a delivery sent again, as
    in PYBOSSA.  A delivery already answered 2xx (its job ran again after its worker died)
    is not sent again; nor is one deleted since, or one whose project lost its webhook.
    """
    settings = context.settings
    with context.dbsession() as session:
        delivery = session.get(Webhook, webhook_id)
        if delivery is None or succeeded(delivery.response_status_code):
            return
        project = session.get(Project, delivery.project_id)
        if project is None or not project.webhook:
            return
        url, payload = project.webhook, delivery.payload
    attempts = settings["webhooks.retries"] + 1
    for attempt in range(attempts):
        response, status = post(url, payload, settings, rerun=rerun, delivery_id=webhook_id)
        with context.dbsession() as session:
            delivery = session.get(Webhook, webhook_id)
            if delivery is None:  # deleted meanwhile, with its project or by a publication
                return
            delivery.response, delivery.response_status_code = response[:RESPONSE_KEPT], status
            delivery.updated = utcnow()
        if succeeded(status):
            return
        log.warning("webhook of project %s answered %s (attempt %d of %d)", delivery.project_id, status,
                    attempt + 1, attempts)
        if attempt + 1 < attempts:
            time.sleep(settings["webhooks.retry_backoff"] * 2**attempt)


def post(url: str, payload: dict[str, Any], settings: Mapping[str, Any], *, rerun: bool = False,
         delivery_id: int | None = None) -> tuple[str, int | None]:
    """POST ``payload`` to ``url``; return the answer's text and status code (None when there was no answer).

    A redirect is the receiver's answer: following it could lead into the site's own network.
    """
    try:
        check_url(url, settings)
    except RefusedURL as refusal:
        return f"Not sent: {refusal}", None
    if rerun:
        url += ("&" if urlsplit(url).query else "?") + urlencode({"rerun": "True"})
    try:
        answer = outbound.request(
            url, method="POST", data=json.dumps(payload).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "text/plain",
                     **({DELIVERY_HEADER: str(delivery_id)} if delivery_id is not None else {})},
            policy=delivery_policy(settings), follow_redirects=False, truncate=True,
        )
    except outbound.Refused as refusal:
        return f"Not sent: {refusal}", None
    except outbound.OutboundError as error:
        return f"{CONNECTION_ERROR}: {error}", None
    return answer.body.decode("utf-8", errors="replace"), answer.status


def includeme(config) -> None:
    """Record and queue a project's webhook delivery for every task completed."""
    def listener(request, event: TaskCompleted) -> None:
        # The event carries its project: most have no webhook, and pay for nothing more.
        if event.project.webhook:
            announce_task_completed(request.dbsession, request.find_service(IJobQueue), event)

    config.add_event_listener(TaskCompleted, listener)
