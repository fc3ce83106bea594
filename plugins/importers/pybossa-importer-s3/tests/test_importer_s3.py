"""The S3 importer against a stand-in for S3's ListObjectsV2 (XML as Amazon documents it)."""

from __future__ import annotations

import colander
import pytest
from pybossa_importer_s3 import S3ImportForm, tasks

from pybossa_core.plugin_api import ImportFailed
from pybossa_core.testing import load_plugins


def listing(keys: list[str], token: str | None = None, next_token: str | None = None) -> str:
    """One page of ``GET /?list-type=2`` as S3 answers it."""
    contents = "".join(
        f"<Contents><Key>{key}</Key><LastModified>2024-05-01T10:00:00.000Z</LastModified>"
        f'<ETag>"9b2cf535f27731c974343645a3985328"</ETag><Size>1024</Size>'
        f"<StorageClass>STANDARD</StorageClass></Contents>"
        for key in keys
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>birds</Name><Prefix></Prefix><KeyCount>{len(keys)}</KeyCount><MaxKeys>1000</MaxKeys>"
        + (f"<ContinuationToken>{token}</ContinuationToken>" if token else "")
        + (f"<NextContinuationToken>{next_token}</NextContinuationToken>" if next_token else "")
        + f"<IsTruncated>{'true' if next_token else 'false'}</IsTruncated>{contents}</ListBucketResult>"
    )


def error(code: str, message: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message><BucketName>birds</BucketName>"
            "<RequestId>4442587FB7D0A2F9</RequestId><HostId>vq2DkT3rE0a5E=</HostId></Error>")


def serve_bucket(server) -> None:
    server.add("/birds/", listing(["photos/", "photos/cat 1.jpg", "paper.pdf"], next_token="1ueGcxLPRx1Tr"),
               query={"list-type": "2"}, content_type="application/xml")
    server.add("/birds/", listing(["song.mp3", "notes.txt"], token="1ueGcxLPRx1Tr"),
               query={"list-type": "2", "continuation-token": "1ueGcxLPRx1Tr"}, content_type="application/xml")


def run(server, **form):
    return list(tasks({"bucket": "birds", **form}, bucket_url=server.url + "/{bucket}"))


def test_entry_point_registers_the_s3_importer():
    assert "s3" in [importer.name for importer in load_plugins({}).register_importers()]


def test_every_file_of_every_page_becomes_a_task_and_folders_are_left_out(pybossa_web_service):
    serve_bucket(pybossa_web_service)
    base = pybossa_web_service.url + "/birds/"

    found = run(pybossa_web_service)

    assert [task["info"] for task in found] == [
        {"filename": "photos/cat 1.jpg", "url": base + "photos/cat%201.jpg", "link": base + "photos/cat%201.jpg",
         "url_m": base + "photos/cat%201.jpg", "url_b": base + "photos/cat%201.jpg", "title": "photos/cat 1.jpg"},
        {"filename": "paper.pdf", "url": base + "paper.pdf", "link": base + "paper.pdf", "pdf_url": base + "paper.pdf"},
        {"filename": "song.mp3", "url": base + "song.mp3", "link": base + "song.mp3", "audio_url": base + "song.mp3"},
        {"filename": "notes.txt", "url": base + "notes.txt", "link": base + "notes.txt"},
    ]
    assert len(pybossa_web_service.requests) == 2


def test_only_the_chosen_files_become_tasks(pybossa_web_service):
    serve_bucket(pybossa_web_service)

    assert [task["info"]["filename"] for task in run(pybossa_web_service, files=["notes.txt", "paper.pdf"])] == [
        "paper.pdf", "notes.txt"]
    with pytest.raises(ImportFailed) as failure:
        run(pybossa_web_service, files=["paper.pdf", "gone.png"])
    assert failure.value.message == "These files are not in the bucket birds: gone.png."


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (404, error("NoSuchBucket", "The specified bucket does not exist"),
         "Amazon S3 answered with HTTP error 404: The specified bucket does not exist (NoSuchBucket)."),
        (403, error("AccessDenied", "Access Denied"),
         "Amazon S3 answered with HTTP error 403: Access Denied (the bucket must allow anyone to list its files)."),
        (500, "oops", "Amazon S3 answered with HTTP error 500."),
        (200, "not xml", "Amazon S3 did not answer with XML."),
        (200, "<html><body>Hello</body></html>", "Amazon S3 answered with something that is not a bucket listing."),
        (200, '<!DOCTYPE lolz [<!ENTITY lol "lol">]><lolz>&lol;</lolz>',
         "Amazon S3 answered with XML this importer does not read."),
        (200, listing([]), "The bucket birds has no files to import."),
        (200, listing(["a.jpg"]).replace("<IsTruncated>false", "<IsTruncated>true"),
         "Amazon S3 said the listing goes on but gave no new continuation token."),
        (200, listing(["a.jpg"], token="t1", next_token="t1"),
         "Amazon S3 said the listing goes on but gave no new continuation token."),
    ],
)
def test_what_s3_refuses_or_garbles_fails_with_a_message(pybossa_web_service, status, body, message):
    pybossa_web_service.add("/birds/", body, status=status, content_type="application/xml")

    with pytest.raises(ImportFailed) as failure:
        run(pybossa_web_service)

    assert failure.value.message == message


@pytest.mark.parametrize("bucket", ["ab", "Birds", "-birds", "birds/../x", "a" * 64])
def test_form_refuses_what_is_not_a_bucket_name(bucket):
    with pytest.raises(colander.Invalid) as failure:
        S3ImportForm().deserialize({"bucket": bucket})

    assert failure.value.asdict() == {
        "bucket": "Enter the bucket's name: 3 to 63 lower-case letters, digits, dots and hyphens."}


def test_form_takes_files_optionally():
    assert S3ImportForm().deserialize({"bucket": "my.birds-1"}) == {"bucket": "my.birds-1"}
    assert S3ImportForm().deserialize({"bucket": "birds", "files": "a.jpg"}) == {"bucket": "birds", "files": ["a.jpg"]}


@pytest.fixture
def pybossa_settings(pybossa_web_service):
    """The test site's settings: the importer calls the stand-in, which the site may reach."""
    return {
        "outbound.allowed_internal_hosts": pybossa_web_service.host,
        "plugin.importer-s3.bucket_url": pybossa_web_service.url + "/{bucket}",
    }


def test_importing_a_bucket_through_the_view_creates_its_tasks(pybossa_web_service, owner):
    serve_bucket(pybossa_web_service)

    body = owner.import_tasks({"type": "s3", "bucket": "birds", "files": ["song.mp3", "photos/cat 1.jpg"]})

    assert body["flash"] == "2 new tasks were imported successfully"
    assert [info["filename"] for info in owner.task_infos()] == ["photos/cat 1.jpg", "song.mp3"]
    body = owner.import_tasks({"type": "s3", "bucket": "Birds!"})
    assert body["form"]["errors"] == {
        "bucket": ["Enter the bucket's name: 3 to 63 lower-case letters, digits, dots and hyphens."]}
