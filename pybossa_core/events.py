"""What happened on the site, announced one way: :func:`emit_after_commit`.

Each event is a frozen dataclass whose fields are the arguments of its plugin hook
(``hook``), plain ids because the ORM objects are gone once the transaction has
committed; a field made with :func:`for_listeners` (the completed task's project) is
read only by the site's listeners, inside the transaction, so they need not read it again.  :func:`emit_after_commit` hands the event to the listeners areas added with
the ``config.add_event_listener(EventClass, listener)`` directive (the project's webhook
records its delivery in the transaction and queues it for after the commit) and, once the
transaction commits, to every plugin's hook.  An aborted transaction announces nothing.
"""
from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from pybossa_core.interfaces import IEventBus, IPluginHooks, find_service


_FOR_LISTENERS = "pybossa.for_listeners"


def for_listeners() -> Any:
    """An event field for the site's listeners alone, never passed to the plugins' hook."""
    return dataclasses.field(kw_only=True, compare=False, repr=False, metadata={_FOR_LISTENERS: True})


@functools.cache
def hook_fields(event_class: type) -> tuple[str, ...]:
    """The fields of ``event_class`` that are its plugin hook's arguments."""
    return tuple(field.name for field in dataclasses.fields(event_class) if not field.metadata.get(_FOR_LISTENERS))


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
    #: The project (an ORM object or a row) as the request that completed the task has it.
    project: Any = for_listeners()


Event = ProjectCreated | TaskRunCreated | TaskCompleted
#: A listener is called in the transaction with the request and the event.
Listener = Callable[[Any, Event], None]


class EventBus:
    """The site's listeners by event class, and the plugins' hooks called after the commit."""

    def __init__(self, hooks) -> None:
        self.hooks = hooks
        self.listeners: dict[type, list[Listener]] = defaultdict(list)

    def emit_after_commit(self, request, event: Event) -> None:
        arguments = {name: getattr(event, name) for name in hook_fields(type(event))}

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
