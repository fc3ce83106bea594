"""The site's shared services, each known by an interface.

Each area registers its service under its interface in its own ``includeme``
(``config.register_service(...)``, pyramid_services), and code finds it with
``request.find_service(IFace)``: a test or another site swaps one (an S3 uploader, a
mailer that only records) by registering another object under the same interface.
Outside a request (a job, a command, a test, a plugin's ``on_startup``) it is found
with :func:`find_service` on the site's registry.  Services registered per request
(:class:`IJobQueue`, :class:`IUploads`) are bound to the request's transaction and are
found only through a request.

``request.find_service`` is :func:`find_request_service`: a site-wide service comes straight
from its registration, without the per-request container pyramid_services builds (a tenth of
a millisecond per request and look-up, measured on the contribution loop); only the
per-request services are made in that container.  No service here depends on a route's context.
"""
from __future__ import annotations

import functools
from typing import Any

from zope.interface import Attribute, Interface


class IDBEngine(Interface):
    """The site's SQLAlchemy engine."""


class ISessionFactory(Interface):
    """Makes database sessions outside requests (jobs, commands, tests): ``factory()``."""


class IRedisClient(Interface):
    """The site's Redis client; the registered service is None when ``redis.url`` is empty."""


class ISharedCounters(Interface):
    """Counters every process of the site shares (``services.shared_state.SharedCounters``)."""


class IOutboundPolicy(Interface):
    """What importers may fetch: hosts, time and size (``outbound.Policy``)."""


class ICache(Interface):
    """Cached values in namespaces invalidated by writes (``services.cache.Cache``)."""


class IJobRunner(Interface):
    """Runs background jobs: inline after the commit, or on RQ (``services.jobs.JobRunner``)."""

    settings = Attribute("the site's settings")
    background = Attribute("whether jobs run in other processes (RQ) rather than after the request's commit")

    def enqueue_after_commit(transaction_manager, function, *args, kind=None, project_id=None, min_timeout=0):
        """Run ``function(context, *args)`` once the transaction of ``transaction_manager`` commits."""

    def jobs():
        """The jobs admins are shown."""


class IJobQueue(Interface):
    """The site's jobs within one request: a job queued runs once the request commits, never if it aborts."""

    def enqueue(function, *args, kind=None, project_id=None, min_timeout=0):
        """Queue ``function(context, *args)`` for when the request's transaction commits."""


class IMailer(Interface):
    """Sends e-mail now (``services.mail.MailService``); requests queue it with ``services.mail.send_after_commit``."""

    def send_now(mail, message_id=None):
        """Send a ``services.mail.Mail``."""


class IBuiltExports(Interface):
    """The project exports built once per data generation and kept on disk (``services.exports.BuiltExports``)."""


class IUploader(Interface):
    """Stores uploaded files and says where they are (``services.uploads.LocalUploader``)."""

    max_size = Attribute("the largest file accepted, in bytes")

    def store(container, filename, stream):
        """Check and store a file; return its ``StoredFile``."""

    def path_of(container, file_name):
        """The local path of a stored file."""


class IUploads(Interface):
    """The uploader within one request: a file stored goes if the request aborts (``services.uploads.Uploads``)."""


class ISessionCookies(Interface):
    """Reads and writes the signed session cookie (``sessions.SessionCookies``)."""


class ISigninThrottle(Interface):
    """Failed attempts per account and address (``services.signin_throttle.Throttle``); named ``signin`` or ``reset``."""


class IRateLimiter(Interface):
    """Fixed-window rate limits over the shared counters (``services.ratelimit.RateLimiter``)."""


class IPluginHooks(Interface):
    """The plugin manager's facade (``plugins.PluginHooks``): registration and event hooks."""


class IEventBus(Interface):
    """Announces what happened (``events.EventBus``) to the plugins' hooks and the other listeners."""


class ILanguages(Interface):
    """The site's languages: their catalogs and localizers (``i18n.Languages``)."""


class IOpenAPIDocument(Interface):
    """The OpenAPI document of ``/api``, built once the routes are configured (a dict)."""


# -- the registries the plugins' registration hooks fill, each a dict by name --------------


class IImporters(Interface):
    """Task importers by name (``plugin_api.ImporterSpec``)."""


class IPresenters(Interface):
    """Task presenter templates by name (``plugin_api.PresenterSpec``)."""


class IAuthProviders(Interface):
    """Sign-in providers by name (``plugin_api.AuthProviderSpec``)."""


class IStatsCalculators(Interface):
    """Statistics calculators by scope (``plugin_api.StatsSpec``)."""


class ISchedulers(Interface):
    """Task schedulers by name (``plugin_api.SchedulerSpec``)."""


class IAggregators(Interface):
    """Result aggregators by name (``plugin_api.AggregatorSpec``)."""


def find_service(registry, iface: type[Interface], name: str = "") -> Any:
    """Return the site-wide service registered under ``iface`` (and ``name``) on the site's
    ``registry``, outside any request: what a job, a command, a test or a plugin's ``on_startup`` uses."""
    found = _registered(registry, iface, name)
    if found is _PER_REQUEST:
        raise LookupError(f"{iface.__name__} is made for each request: find it with request.find_service")
    return found


def find_request_service(request, iface: type[Interface] = Interface, context=None, name: str = "") -> Any:
    """``request.find_service``: a site-wide service as registered, a per-request one made once
    for ``request`` by its factory (pyramid_services' container)."""
    found = _registered(request.registry, iface, name)
    return request.services.get(iface, context=None, name=name) if found is _PER_REQUEST else found


#: What :func:`_registered` answers for a service made by a factory for each request.
_PER_REQUEST = object()


def _registered(registry, iface: type[Interface], name: str) -> Any:
    registrations, singleton = _pyramid_services()
    factory = registry.getUtility(registrations).find_factory(iface, name=name)
    if factory is None:
        raise LookupError(f"no service is registered for {iface.__name__}" + (f" named {name!r}" if name else ""))
    made = factory.factory  # pyramid_services wraps every factory in a ProxyFactory
    return made.service if isinstance(made, singleton) else _PER_REQUEST


@functools.cache
def _pyramid_services() -> tuple[Any, type]:
    # Imported on first use: plugins import this module (through plugin_api) without loading Pyramid's config.
    from pyramid_services import IServiceRegistry, SingletonServiceWrapper

    return IServiceRegistry, SingletonServiceWrapper
