"""Import tasks from the files of a public Amazon S3 bucket, as PYBOSSA's ``s3`` importer does.

The importer lists the bucket with S3's ListObjectsV2 call (``GET /?list-type=2``, following
continuation tokens) and makes one task per file, or per chosen file when the form names some.
The bucket must allow anonymous listing. The setting ``plugin.importer-s3.bucket_url`` (default
``https://{bucket}.s3.amazonaws.com``) is where a bucket lives; ``{bucket}`` is replaced by the
bucket's name, so tests and S3-compatible stores can stand in for Amazon.
"""

from __future__ import annotations

import functools
import urllib.parse
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Mapping
from typing import Any

import colander
from pyramid.i18n import TranslationStringFactory

from pybossa_core.plugin_api import ImportFailed, ImporterSpec, fetch, hookimpl, media_fields, plugin_settings

#: This plugin's translation domain (docs/i18n.md).
_ = TranslationStringFactory("pybossa_importer_s3")

PLUGIN_ID = "importer-s3"
DEFAULT_BUCKET_URL = "https://{bucket}.s3.amazonaws.com"
SOURCE = "Amazon S3"
NAMESPACE = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}


class S3ImportForm(colander.MappingSchema):
    """The import form: a bucket's name and, optionally, the files chosen from it."""

    bucket = colander.SchemaNode(
        colander.String(),
        validator=colander.Regex(
            r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            _("Enter the bucket's name: 3 to 63 lower-case letters, digits, dots and hyphens."),
        ),
    )
    files = colander.SchemaNode(
        colander.Sequence(accept_scalar=True),
        colander.SchemaNode(colander.String(), name="file"),
        missing=colander.drop,
        description=_("The files of the bucket to import."),
    )


def _parse(body: bytes) -> ElementTree.Element:
    # S3 never sends a document type; refusing one keeps entity tricks out of the parser.
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ImportFailed(_("${source} answered with XML this importer does not read.", mapping={"source": SOURCE}))
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise ImportFailed(_("${source} did not answer with XML.", mapping={"source": SOURCE})) from None


def explain_error(body: bytes) -> str | None:
    """Return S3's own explanation of an error answer (``<Error><Code>/<Message>``)."""
    try:
        error = _parse(body)
    except ImportFailed:
        return None
    message, code = error.findtext("Message"), error.findtext("Code")
    if code == "AccessDenied":
        return f"{message} (the bucket must allow anyone to list its files)."
    return f"{message} ({code})." if message and code else None


def bucket_keys(bucket_url: str) -> Iterator[str]:
    """Yield the key of every object in the bucket at ``bucket_url``, page by page."""
    token: str | None = None
    while True:
        params = {"list-type": "2", **({"continuation-token": token} if token else {})}
        listing = _parse(fetch(bucket_url + "/", source=SOURCE, params=params, explain=explain_error))
        if listing.tag != f"{{{NAMESPACE['s3']}}}ListBucketResult":
            raise ImportFailed(_("${source} answered with something that is not a bucket listing.", mapping={"source": SOURCE}))
        for key in listing.iterfind("s3:Contents/s3:Key", NAMESPACE):
            yield key.text or ""
        if listing.findtext("s3:IsTruncated", "false", NAMESPACE) != "true":
            return
        next_token = listing.findtext("s3:NextContinuationToken", None, NAMESPACE)
        if not next_token or next_token == token:
            raise ImportFailed(_("${source} said the listing goes on but gave no new continuation token.", mapping={"source": SOURCE}))
        token = next_token


def file_info(bucket_url: str, key: str) -> dict[str, Any]:
    """Return the task ``info`` of the file ``key``: its name and link, plus the fields of its kind."""
    url = f"{bucket_url}/{urllib.parse.quote(key)}"
    return {"filename": key, "url": url, "link": url, **media_fields(key, image_url=url, media_url=url)}


def tasks(data: Mapping[str, Any], *, bucket_url: str = DEFAULT_BUCKET_URL) -> Iterator[dict[str, Any]]:
    """Yield a task for each file (not folder) of the bucket, or of the chosen files, in the form ``data``."""
    url = bucket_url.replace("{bucket}", data["bucket"]).rstrip("/")
    # Keys ending in "/" are the empty objects consoles create to show folders.
    keys = [key for key in bucket_keys(url) if key and not key.endswith("/")]
    if "files" in data:
        chosen = set(data["files"])
        missing = sorted(chosen - set(keys))
        if missing:
            raise ImportFailed(_("These files are not in the bucket ${bucket}: ${missing}.", mapping={"bucket": data['bucket'], "missing": ', '.join(missing)}))
        keys = [key for key in keys if key in chosen]
    if not keys:
        raise ImportFailed(_("The bucket ${bucket} has no files to import.", mapping={"bucket": data['bucket']}))
    for key in keys:
        yield {"info": file_info(url, key)}


@hookimpl
def register_importers(settings: Mapping[str, Any]) -> list[ImporterSpec]:
    """Register the ``s3`` importer with the site's bucket URL pattern."""
    bucket_url = plugin_settings(settings, PLUGIN_ID).get("bucket_url") or DEFAULT_BUCKET_URL
    return [
        ImporterSpec(
            name="s3",
            title=_("Amazon S3 bucket"),
            schema_factory=S3ImportForm,
            tasks=functools.partial(tasks, bucket_url=bucket_url),
        )
    ]
