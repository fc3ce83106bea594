"""``/account/...``: the community, registering, signing in and out, passwords, profiles and API keys.

Every view answers the JSON documented in the spec (and, once templates
exist, the HTML of the template it names); messages and rules are PYBOSSA's.
"""
from __future__ import annotations

import time

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPUnsupportedMediaType
from pyramid.view import view_config

from pybossa_core import csrf, sessions
from pybossa_core.i18n import ShownText, _, localizer_for
from pybossa_core.interfaces import IAuthProviders, ICache, IJobQueue, ISigninThrottle, IUploads
from pybossa_core.models import Project, User
from pybossa_core.presenters.user import own_user, public_user
from pybossa_core.reauth import TOO_MANY_GUESSES, Refusal, password_refusal, signed_in_recently, throttled
from pybossa_core.renderers import redirect
from pybossa_core.schemas import forms
from pybossa_core.security import MANAGE_ACCOUNT, visible_projects
from pybossa_core.services import community, link_keys, mail, users
from pybossa_core.services.avatars import AvatarError, store_picture
from pybossa_core.services.passwords import hash_password
from pybossa_core.services.projects import contributed_projects_query, owned_projects_query, project_summaries
from pybossa_core.web import CORRECT_ERRORS, form_data, safe_next, show_form, sign_in_required, submitted

PROFILE_UPDATED = _("Your profile has been updated!")
AVATAR_NEEDED = _("You have to provide an image file to update your avatar")
REGISTER_FIELDS = ("confirm", "email_addr", "fullname", "name", "password")
PASSWORD_FIELDS = ("confirm", "current_password", "new_password")
PROFILE_FIELDS = ("ckan_api", "email_addr", "fullname", "locale", "name", "privacy_mode", "subscribed")
#: The undo link mailed to an account's previous address works this long.
UNDO_EXPIRATION = 7 * 24 * 3600
REAUTHENTICATE = _("Please type your current password to change your e-mail address")
REAUTHENTICATE_PROVIDER = _("Please sign in again to change your e-mail address")
WRONG_CURRENT_PASSWORD = _("Your current password doesn't match the one in our records")
REAUTHENTICATE_API_KEY = _("Please type your current password to reset your API key")
REAUTHENTICATE_API_KEY_PROVIDER = _("Please sign in again to reset your API key")
LINK_USED = _("This link has already been used. Please ask for a new one.")
AVATAR_FIELDS = ("x1", "y1", "x2", "y2")


def _settings(request):
    return request.registry.settings


def _keys(request) -> link_keys.LinkKeys:
    return link_keys.LinkKeys(_settings(request)["secret"])


def _send(request, recipient: str, subject_and_body: tuple[str, str]) -> None:
    subject, body = subject_and_body
    mail.send_after_commit(request.find_service(IJobQueue), mail.Mail(subject, recipient, body))


def _bad_link(request, message: str) -> dict:
    request.response.status_code = 403
    return {"code": 403, "description": message, "flash": message, "status": "error", "template": "403.html"}


def _link_payload(request, purpose: str, max_age: int | None = None) -> tuple[dict | None, str | None]:
    """Read the signed ``key`` of an e-mailed link: (its payload, None), or (None, why it is refused)."""
    key = request.GET.get("key")
    if not key:
        return None, link_keys.INVALID
    try:
        return _keys(request).load(purpose, key, max_age=max_age or _settings(request)["account.link_expiration"]), None
    except link_keys.BadKey as error:
        return None, error.args[0]


def _user_or_404(request) -> User:
    user = users.find_by_name(request.dbsession, request.matchdict["name"])
    if user is None:
        raise HTTPNotFound()
    return user


# -- the community --------------------------------------------------------------------------


@view_config(route_name="account.index", renderer="account/index.html")
@view_config(route_name="account.index.page", renderer="account/index.html")
def index(request):
    page = int(request.matchdict.get("page", 1))
    accounts_page, pagination = community.users_page(request.dbsession, page)
    if not accounts_page and page != 1:
        raise HTTPNotFound()
    return {
        "accounts": accounts_page,
        "total": pagination.total,
        "pagination": pagination.to_json(),
        "top_users": community.leaderboard(request.dbsession, request.identity, cache=request.find_service(ICache)),
        "update_feed": community.update_feed(request.dbsession),
        "title": _("Community"),
    }


# -- registering ----------------------------------------------------------------------------


@view_config(route_name="account.register", renderer="account/register.html")
def register(request):
    settings = _settings(request)
    context = {"title": _("Register"), "form": show_form(request, dict.fromkeys(REGISTER_FIELDS))}
    if request.method != "POST":
        return context
    data = form_data(request)
    values, errors = forms.validate(
        forms.register_form(), data, session=request.dbsession, strong=settings["account.strong_password"]
    )
    if errors:
        context["form"] = show_form(request, submitted(data, REGISTER_FIELDS), errors)
        return {**context, "flash": CORRECT_ERRORS, "status": "error"}
    account = {
        "fullname": values["fullname"],
        "name": values["name"],
        "email_addr": values["email_addr"],
        "passwd_hash": hash_password(values["password"]),
        "consent": values["consent"],
        # The language the visitor registered in becomes their profile's (docs/i18n.md).
        "locale": request.locale_name,
    }
    if settings["account.confirmation_required"]:
        key = _keys(request).make("account-validation", account)
        url = request.route_url("account.register_confirmation", slash="", _query={"key": key})
        _send(request, account["email_addr"], mail.account_validation(request.localizer, settings["site.brand"], account["fullname"], url))
        return {"status": "sent", "template": "account/account_validation.html", "title": _("Account validation")}
    user = users.create_user(request.dbsession, valid_email=False, **account)
    sessions.start_session(request, user)
    return redirect(safe_next(request.GET.get("next")), status="success", flash=_("Thanks for signing-up"))


@view_config(route_name="account.register_confirmation", renderer="account/register.html")
def register_confirmation(request):
    """Follow a link sent by e-mail: create the account, or confirm an e-mail address."""
    account, refusal = _link_payload(request, "account-validation")
    if refusal is not None:
        return _bad_link(request, refusal)
    session = request.dbsession
    if "user_id" in account:
        user = session.get(User, account["user_id"])
        if user is None:
            return _bad_link(request, link_keys.INVALID)
        if account.get("s") != link_keys.account_fingerprint(user):
            return _bad_link(request, LINK_USED)
        other = users.find_by_email(session, account["email_addr"])
        if other is not None and other.id != user.id:
            return _bad_link(request, forms.EMAIL_TAKEN)
        _set_email(request, user, account["email_addr"], valid=True)
        user.confirmation_email_sent = False
        return redirect(f"/account/{user.name}/", status="success", flash=_("Your email has been validated."))
    taken = session.scalar(
        sa.select(User.id).where(
            sa.or_(
                sa.func.lower(User.name) == account["name"].lower(),
                sa.func.lower(User.email_addr) == account["email_addr"].lower(),
            )
        )
    )
    if taken is not None:
        return _bad_link(request, _("This link has already been used, or its name or e-mail was taken meanwhile."))
    user = users.create_user(session, valid_email=True, **account)
    sessions.start_session(request, user)
    return redirect("/", status="success", flash=_("Thanks for signing-up"))


# -- signing in and out ---------------------------------------------------------------------


def _auth_providers(request) -> dict[str, bool]:
    auth = {"twitter": False, "facebook": False, "google": False}
    auth.update({name: spec.enabled for name, spec in request.find_service(IAuthProviders).items()})
    return auth


@view_config(route_name="account.signin", renderer="account/signin.html")
def signin(request):
    if request.identity is not None and request.method != "POST":
        return redirect("/")
    next_url = request.GET.get("next")
    context = {
        "title": _("Sign in"),
        "auth": _auth_providers(request),
        "next": next_url,
        "form": show_form(request, {"email": None, "password": None}),
    }
    if request.method != "POST":
        return context
    data = form_data(request)
    context["form"] = show_form(request, submitted(data, ("email", "password")))
    values, errors = forms.validate(forms.signin_form(), data)
    if errors:
        context["form"]["errors"] = errors
        return {**context, "flash": CORRECT_ERRORS, "status": "error"}
    throttle = request.find_service(ISigninThrottle, name="signin")
    retry_after = throttle.attempt(values["email"], request.client_ip)
    if retry_after:
        return throttled(request, context, "email", retry_after, TOO_MANY_GUESSES)
    user = users.authenticate(request.dbsession, values["email"], values["password"])
    if user is None:
        return {**context, "flash": _("Ooops, Incorrect email/password"), "status": "error"}
    throttle.succeeded(values["email"], request.client_ip)
    sessions.start_session(request, user)
    return redirect(safe_next(next_url), status="success", flash=_("Welcome back ${fullname}", mapping={"fullname": user.fullname}))


@view_config(route_name="account.signout", renderer="account/signin.html")
def signout(request):
    """Sign out: a POST, or a GET with the token in its header (the spec's); a bare GET asks first."""
    if not csrf.may_act_on_get(request):
        return {"title": _("Sign out"), "template": "account/signout.html", "form": show_form(request, {})}
    sessions.end_session(request)
    return redirect("/", status="success", flash=_("You are now signed out"), message="success")


# -- forgotten passwords --------------------------------------------------------------------


@view_config(route_name="account.forgot_password", renderer="/account/password_forgot.html")
def forgot_password(request):
    context = {"form": show_form(request, {"email_addr": None})}
    if request.method != "POST":
        return context
    data = form_data(request)
    values, errors = forms.validate(forms.forgot_password_form(), data)
    context["form"] = show_form(request, submitted(data, ("email_addr",)), errors)
    if errors:
        return {**context, "flash": _("Something went wrong, please correct the errors on the form"), "status": "error"}
    # Each request mails someone: counted per account and address like sign-ins, never taken back.
    retry_after = request.find_service(ISigninThrottle, name="reset").attempt(values["email_addr"], request.client_ip)
    if retry_after:
        return throttled(request, context, "email_addr", retry_after, _("Too many password-reset requests."))
    user = users.find_by_email(request.dbsession, values["email_addr"])
    if user is None:
        return {
            **context,
            "flash": _("We don't have this email in our records. You may have signed up with a different "
                       "email or used Twitter, Facebook, or Google to sign-in"),
            "status": "error",
        }
    brand = _settings(request)["site.brand"]
    providers = users.identities_of(request.dbsession, user)
    if user.passwd_hash is None and providers:
        provider = sorted(providers)[0]
        spec = request.find_service(IAuthProviders).get(provider)
        _send(request, user.email_addr, mail.provider_recovery(localizer_for(request.registry, user.locale), brand, user.fullname, spec.title if spec else provider.title()))
    else:
        key = _keys(request).make("password-reset", {"user_id": user.id, "s": link_keys.account_fingerprint(user)})
        url = request.route_url("account.reset_password", slash="", _query={"key": key})
        _send(request, user.email_addr, mail.password_recovery(localizer_for(request.registry, user.locale), brand, user.fullname, url))
    return {**context, "flash": _("We've sent you an email with account recovery instructions!"), "status": "success"}


@view_config(route_name="account.reset_password", renderer="/account/password_reset.html")
def reset_password(request):
    payload, refusal = _link_payload(request, "password-reset")
    if refusal is not None:
        return _bad_link(request, refusal)
    user = request.dbsession.get(User, payload.get("user_id"))
    if user is None or payload.get("s") != link_keys.account_fingerprint(user):
        return _bad_link(request, LINK_USED)
    context = {"form": show_form(request, dict.fromkeys(PASSWORD_FIELDS))}
    if request.method != "POST":
        return context
    data = form_data(request)
    values, errors = forms.validate(
        forms.new_password_form(with_current=False), data, strong=_settings(request)["account.strong_password"]
    )
    if errors:
        context["form"] = show_form(request, submitted(data, PASSWORD_FIELDS), errors)
        return {**context, "flash": CORRECT_ERRORS, "status": "error"}
    users.set_password(user, values["new_password"])
    sessions.end_all_sessions(request, user)
    sessions.start_session(request, user)
    return redirect("/", status="success", flash=_("You reset your password successfully!"))


# -- profiles -------------------------------------------------------------------------------


def _own_profile(request, user: User) -> dict:
    session = request.dbsession
    summary = community.rank_and_score(session, user, request.find_service(ICache))
    return {
        "template": "account/profile.html",
        "title": _("Profile"),
        "user": own_user(session, user, summary),
        "projects_contrib": project_summaries(session, contributed_projects_query(user)),
        "projects_published": project_summaries(session, owned_projects_query(user, published=True)),
        "projects_draft": project_summaries(session, owned_projects_query(user, published=False)),
    }


def _public_profile(request, user: User) -> dict:
    session = request.dbsession
    viewer = request.identity
    created_query = (
        sa.select(Project).where(Project.owner_id == user.id)
        if viewer is not None and viewer.admin
        else owned_projects_query(user, published=True)
    )
    # Another user's private projects stay out of sight unless the viewer may see them.
    visible = visible_projects(session, viewer)
    return {
        "template": "/account/public_profile.html",
        "title": ShownText(_("${fullname} &middot; User Profile", mapping={"fullname": user.fullname})),
        "user": public_user(user, community.rank_and_score(session, user, request.find_service(ICache))),
        "projects_contrib": project_summaries(session, contributed_projects_query(user).where(visible)),
        "projects_created": project_summaries(session, created_query.where(visible)),
    }


@view_config(route_name="account.my_profile", renderer="account/profile.html")
def my_profile(request):
    if request.identity is None:
        return redirect(request.route_path("account.signin", slash=""), status="not_signed_in")
    return _own_profile(request, request.identity)


@view_config(route_name="account.profile", renderer="/account/public_profile.html")
def profile(request):
    user = _user_or_404(request)
    viewer = request.identity
    if viewer is not None and viewer.id == user.id:
        return _own_profile(request, user)
    return _public_profile(request, user)


@view_config(route_name="account.projects", renderer="account/projects.html")
def projects(request):
    viewer = request.identity
    if viewer is None:
        return sign_in_required(request)
    user = _user_or_404(request)
    if user.id != viewer.id:
        raise HTTPForbidden()
    session = request.dbsession
    return {
        "title": _("Projects"),
        "projects_published": project_summaries(session, owned_projects_query(user, published=True)),
        "projects_draft": project_summaries(session, owned_projects_query(user, published=False)),
    }


# -- updating a profile ---------------------------------------------------------------------


def _update_context(request, user: User, *, profile=None, password=None, upload=None) -> dict:
    """The three forms of the update page; each shows what was sent to it, or the account."""
    current = {
        "ckan_api": user.ckan_api, "email_addr": user.email_addr, "fullname": user.fullname,
        "locale": user.locale, "name": user.name, "privacy_mode": user.privacy_mode, "subscribed": user.subscribed,
    }
    profile_fields, profile_errors = profile or (current, {})
    profile_fields = {**profile_fields, "current_password": None}
    password_fields, password_errors = password or (dict.fromkeys(PASSWORD_FIELDS), {})
    upload_fields, upload_errors = upload or ({"avatar": None, "x1": 0, "y1": 0, "x2": 0, "y2": 0}, {})
    return {
        "title": f"Update your profile: {user.fullname}",
        "flash": None,
        "show_passwd_form": user.passwd_hash is not None or not users.identities_of(request.dbsession, user),
        "form": show_form(request, {**profile_fields, "id": user.id}, profile_errors),
        "password_form": show_form(request, password_fields, password_errors),
        "upload_form": show_form(request, {**upload_fields, "id": user.id}, upload_errors),
    }


def _failed(context: dict, flash: str = CORRECT_ERRORS) -> dict:
    return {**context, "flash": flash, "status": "error"}


@view_config(route_name="account.update", renderer="/account/update.html", permission=MANAGE_ACCOUNT)
def update(request):
    viewer, user = request.identity, request.context.user
    if request.method != "POST":
        return _update_context(request, user)
    data = form_data(request)
    handler = {"Profile": _update_profile, "Upload": _update_avatar, "Password": _update_password, "External": _update_external}.get(
        data.get("btn")
    )
    if handler is None:
        raise HTTPUnsupportedMediaType("btn must be Profile, Upload, Password or External")
    return handler(request, viewer, user, data)


def _done(user: User, flash: str) -> dict:
    return redirect(f"/account/{user.name}/update", status="success", flash=flash)


def _update_profile(request, viewer: User, user: User, data: dict) -> dict:
    settings = _settings(request)
    values, errors = forms.validate(
        forms.profile_form(settings["account.locales"]), data, session=request.dbsession, user=user
    )
    new_email = values.get("email_addr", user.email_addr)
    changes_email = new_email.lower() != user.email_addr.lower()
    refusal = _reauthentication_refused(request, viewer, data) if changes_email and not errors else None
    if refusal is not None:
        errors = {"current_password": [refusal.message]}
    if errors:
        context = _update_context(request, user, profile=(submitted(data, PROFILE_FIELDS), errors))
        if refusal is not None and refusal.retry_after:
            return throttled(request, context, "current_password", refusal.retry_after, refusal.message)
        return _failed(context, refusal.message if refusal is not None else CORRECT_ERRORS)
    user.fullname = values["fullname"]
    user.name = values["name"]
    user.locale = values["locale"]
    user.privacy_mode = values["privacy_mode"]
    user.subscribed = values["subscribed"]
    if not changes_email:
        user.email_addr = new_email
        return _done(user, PROFILE_UPDATED)
    if not settings["account.confirmation_required"]:
        _set_email(request, user, new_email, valid=False)
        return _done(user, PROFILE_UPDATED)
    key = _keys(request).make(
        "account-validation", {"user_id": user.id, "email_addr": new_email, "s": link_keys.account_fingerprint(user)}
    )
    url = request.route_url("account.register_confirmation", slash="", _query={"key": key})
    _send(request, new_email, mail.email_change(localizer_for(request.registry, user.locale), settings["site.brand"], user.fullname, url))
    user.confirmation_email_sent = True
    return redirect(
        f"/account/{user.name}/update",
        status="info",
        flash=_("An email has been sent to verify your new email: ${email}. Once you verify it, it will be updated.", mapping={"email": new_email}),
    )


def _reauthentication_refused(request, viewer: User, data: dict) -> Refusal | None:
    """Return why ``viewer`` has not proven they are at the keyboard, or None.

    The proof is the viewer's current password, or for an account without one (a provider's)
    a sign-in of the last few minutes: a stolen session alone must not move the account.
    """
    if viewer.passwd_hash is not None:
        return password_refusal(request, viewer, data.get("current_password"), REAUTHENTICATE)
    return None if signed_in_recently(request) else Refusal(REAUTHENTICATE_PROVIDER)


def _set_email(request, user: User, new_email: str, *, valid: bool) -> None:
    """Give ``user`` a new address, and mail the previous one a notice with a link to undo it."""
    old_email, was_valid = user.email_addr, bool(user.valid_email)
    user.email_addr = new_email
    user.valid_email = valid
    if old_email.lower() == new_email.lower():
        return
    key = _keys(request).make(
        "email-undo", {"user_id": user.id, "old": old_email, "new": new_email, "v": was_valid}
    )
    url = request.route_url("account.email_undo", slash="", _query={"key": key})
    _send(request, old_email, mail.email_changed(localizer_for(request.registry, user.locale), _settings(request)["site.brand"], user.fullname, new_email, url))


@view_config(route_name="account.email_undo", renderer="account/email_undo.html")
def email_undo(request):
    """Follow the link mailed to a previous address: show the button (GET), restore it (POST).

    Restoring also signs every browser out and gives a new API key, since whoever changed
    the address may hold both.
    """
    payload, refusal = _link_payload(request, "email-undo", UNDO_EXPIRATION)
    if refusal is not None:
        return _bad_link(request, refusal)
    user = request.dbsession.get(User, payload.get("user_id"))
    if user is None or user.email_addr.lower() != str(payload.get("new", "")).lower():
        return _bad_link(request, LINK_USED)
    context = {"title": _("Restore your e-mail address"), "email_addr": payload["old"], "form": show_form(request, {})}
    if request.method != "POST":
        return context
    other = users.find_by_email(request.dbsession, payload["old"])
    if other is not None and other.id != user.id:
        return _bad_link(request, forms.EMAIL_TAKEN)
    user.email_addr, user.valid_email = payload["old"], bool(payload.get("v"))
    users.reset_api_key(user)
    sessions.end_all_sessions(request, user)
    return redirect(
        request.route_path("account.signin", slash=""),
        status="success",
        flash=_("Your e-mail address is restored and every browser was signed out. "
                "If someone else knew your password, ask for a new one."),
    )


def _update_avatar(request, viewer: User, user: User, data: dict) -> dict:
    upload = request.POST.get("avatar")
    values, errors = forms.validate(forms.avatar_form(), data)
    shown = {"avatar": getattr(upload, "filename", None), **submitted(data, AVATAR_FIELDS, dict.fromkeys(AVATAR_FIELDS, 0))}
    if errors:
        return _failed(_update_context(request, user, upload=(shown, errors)), AVATAR_NEEDED)
    if upload is None or isinstance(upload, (str, bytes)):
        return _failed(_update_context(request, user, upload=(shown, {"avatar": [AVATAR_NEEDED]})), AVATAR_NEEDED)
    container = f"user_{user.id}"
    info = dict(user.info or {})
    try:
        stored = store_picture(
            request.find_service(IUploads), upload.file,
            box=tuple(values[name] for name in AVATAR_FIELDS), container=container,
            file_name=f"{int(time.time())}_avatar.png",
            previous=(container, info["avatar"]) if info.get("avatar") and info.get("container") == container else None,
        )
    except AvatarError as error:
        return _failed(_update_context(request, user, upload=(shown, {"avatar": [error.shown]})), error.shown)
    finally:
        upload.file.close()
    info.update(avatar=stored.file_name, container=container, avatar_url=stored.url)
    user.info = info
    return _done(user, _("Your avatar has been updated! It may take some minutes to refresh..."))


def _update_password(request, viewer: User, user: User, data: dict) -> dict:
    values, errors = forms.validate(
        forms.new_password_form(with_current=True), data, strong=_settings(request)["account.strong_password"]
    )
    sent = submitted(data, PASSWORD_FIELDS)
    if errors:
        return _failed(_update_context(request, user, password=(sent, errors)))
    # The account's own password, whoever changes it (an admin too, as PYBOSSA asks).
    refusal = password_refusal(request, user, values["current_password"], WRONG_CURRENT_PASSWORD)
    if refusal is not None:
        context = _update_context(request, user, password=(sent, {"current_password": [refusal.message]}))
        if refusal.retry_after:
            return throttled(request, context, "current_password", refusal.retry_after, refusal.message, "password_form")
        return _failed(context, refusal.message)
    users.set_password(user, values["new_password"])
    sessions.end_all_sessions(request, user)
    if viewer.id == user.id:
        sessions.start_session(request, user)
    recovery = request.route_url("account.forgot_password", slash="")
    _send(request, user.email_addr, mail.password_changed(localizer_for(request.registry, user.locale), _settings(request)["site.brand"], user.fullname, recovery))
    return _done(user, _("Yay, you changed your password succesfully!"))


def _update_external(request, viewer: User, user: User, data: dict) -> dict:
    values, errors = forms.validate(forms.external_services_form(), data)
    if errors:
        return _failed(_update_context(request, user, profile=(submitted(data, PROFILE_FIELDS), errors)))
    user.ckan_api = values["ckan_api"] or None
    return _done(user, PROFILE_UPDATED)


# -- API key, newsletter, e-mail confirmation -----------------------------------------------


@view_config(route_name="account.resetapikey", request_method="GET", renderer="json")
def reset_api_key_form(request):
    if request.identity is None:
        return sign_in_required(request)
    return {"form": {"csrf": sessions.csrf_token(request)}}


@view_config(route_name="account.resetapikey", request_method="POST", renderer="account/reset_api_key.html",
             permission=MANAGE_ACCOUNT)
def reset_api_key(request):
    """A new API key, for whoever proves they are at the keyboard: the current password
    (``current_password``), or a sign-in of the last few minutes (what the spec's clients do:
    sign in, then reset)."""
    viewer, user = request.identity, request.context.user
    password = form_data(request).get("current_password")
    if viewer.passwd_hash is not None and password:
        refusal = password_refusal(request, viewer, password, REAUTHENTICATE_API_KEY)
    elif signed_in_recently(request):
        refusal = None
    else:
        refusal = Refusal(REAUTHENTICATE_API_KEY if viewer.passwd_hash is not None else REAUTHENTICATE_API_KEY_PROVIDER)
    if refusal is not None:
        context = {
            "title": _("Reset your API key"), "user": {"name": user.name},
            "form": show_form(request, {"current_password": None}, {"current_password": [refusal.message]}),
        }
        if refusal.retry_after:
            return throttled(request, context, "current_password", refusal.retry_after, refusal.message)
        return {**context, "flash": refusal.message, "status": "error"}
    users.reset_api_key(user)
    return redirect(f"/account/{user.name}", status="success", flash=_("New API-KEY generated"))


@view_config(route_name="account.newsletter", renderer="account/newsletter.html")
def newsletter(request):
    user = request.identity
    if user is None:
        return sign_in_required(request)
    next_url = safe_next(request.params.get("next"))
    choice = (request.params.get("subscribe") or "").lower()
    if choice not in ("true", "false") or not csrf.may_act_on_get(request):
        return {"title": _("Subscribe to our Newsletter"), "next": next_url}
    user.newsletter_prompted = True
    if choice == "true":
        user.subscribed = True
        return redirect(next_url, status="success", flash=_("You are subscribed to our newsletter"))
    return redirect(next_url)


@view_config(route_name="account.confirm_email", renderer="account/profile.html")
def confirm_email(request):
    user = request.identity
    if user is None:
        return sign_in_required(request)
    settings = _settings(request)
    if not settings["account.confirmation_required"]:
        raise HTTPNotFound()
    if user.valid_email:
        return redirect(f"/account/{user.name}/", status="info", flash=_("Your e-mail address is already validated."))
    if not csrf.may_act_on_get(request):
        return {"title": _("Validate your e-mail address"), "template": "account/confirm_email.html",
                "email_addr": user.email_addr, "form": show_form(request, {})}
    key = _keys(request).make(
        "account-validation",
        {"user_id": user.id, "email_addr": user.email_addr, "s": link_keys.account_fingerprint(user)},
    )
    url = request.route_url("account.register_confirmation", slash="", _query={"key": key})
    _send(request, user.email_addr, mail.email_change(localizer_for(request.registry, user.locale), settings["site.brand"], user.fullname, url))
    user.confirmation_email_sent = True
    return redirect(f"/account/{user.name}/", status="info", flash=_("An e-mail has been sent to validate your e-mail address."))
