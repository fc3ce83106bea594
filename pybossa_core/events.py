"""What happened on the site, announced one way: :func:`emit_after_commit`.

Each event is a frozen dataclass whose fields are the arguments of its plugin hook
(``hook``), plain ids because the ORM objects are gone once the transaction has
committed.  :func:`emit_after_commit` hands the event to the listeners areas added with
the ``config.add_event_listener(EventClass, listener)`` directive (the project's webhook
records its delivery in the transaction and queues it for after the commit) and, once the
transaction commits, to every plugin's hook.  An aborted transaction announces nothing.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from pybossa_core.interfaces import IEventBus, IPluginHooks, find_service


@dataclass(frozen=True)
class ProjectCreated:
    """A project was created, with the API or the web form."""

    hook: ClassVar[str] = "on_project_created"
    project_id: int
    owner_id: int


@dataclass(frozen=True)
class TaskRunCreated:
    """A volunteer's answer (a task run) was saved."""

    hook: ClassVar[str] = "on_task_run_created"
    project_id: int
    task_id: int
    task_run_id: int
    user_id: int | None


@dataclass(frozen=True)
class TaskCompleted:
    """A task got all the answers it needs (or an owner's change completed it), and its result was made."""

    hook: ClassVar[str] = "on_task_completed"
    project_id: int
    task_id: int
    result_id: int


Event = ProjectCreated | TaskRunCreated | TaskCompleted
#: A listener is called in the transaction with the request and the event.
Listener = Callable[[Any, Event], None]


class EventBus:
    """The site's listeners by event class, and the plugins' hooks called after the commit."""

    def __init__(self, hooks) -> None:
        self.hooks = hooks
        self.listeners: dict[type, list[Listener]] = defaultdict(list)

    def emit_after_commit(self, request, event: Event) -> None:
        arguments = {field.name: getattr(event, field.name) for field in dataclasses.fields(event)}

        def after_commit(committed: bool) -> None:
            if committed:
                self.hooks.notify(event.hook, **arguments)

        # The plugins' hooks first: a listener's job (a webhook's delivery) may run inline after the commit.
        request.tm.get().addAfterCommitHook(after_commit)
        for listener in self.listeners[type(event)]:
            listener(request, event)


def emit_after_commit(request, event: Event) -> None:
    """Announce ``event``: to the site's listeners now, in ``request``'s transaction, and to every
    plugin's hook once it commits (each plugin called once; never when it aborts)."""
    request.find_service(IEventBus).emit_after_commit(request, event)


def includeme(config) -> None:
    bus = EventBus(find_service(config.registry, IPluginHooks))
    config.register_service(bus, IEventBus)

    def add_event_listener(config, event_class: type, listener: Listener) -> None:
        """Call ``listener(request, event)`` on every ``event_class`` emitted, in the transaction that emits it."""
        bus.listeners[event_class].append(listener)

    config.add_directive("add_event_listener", add_event_listener)
