"""Behind a TLS proxy: X-Forwarded-Proto and X-Forwarded-Host are believed from proxies.trusted only.

The proxy (10.0.0.1 here) terminates TLS for https://crowd.example.org and talks plain
HTTP to the site; every link the site makes must still be the public https one.
"""
from __future__ import annotations

PROXY = "10.0.0.1"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "crowd.example.org", "Host": "10.0.0.2:5000"}
TRUSTING = {"proxies.trusted": PROXY, "site.allowed_hosts": "crowd.example.org"}


def test_links_and_redirects_behind_a_trusted_proxy_are_the_public_https_ones(site_with, make):
    project = make.project(make.user())
    site = site_with(**TRUSTING)
    [listed] = site.get("/api/project", headers=FORWARDED, extra_environ={"REMOTE_ADDR": PROXY}).json
    assert listed["link"] == f"<link rel='self' title='project' href='https://crowd.example.org/api/project/{project.id}'/>"
    redirect = site.get("/account/profile", headers=FORWARDED, extra_environ={"REMOTE_ADDR": PROXY}, status=302)
    assert redirect.location == "https://crowd.example.org/account/signin"


def test_a_chain_of_proxies_gives_the_scheme_and_host_the_client_used(site_with, make):
    make.project(make.user())
    site = site_with(**TRUSTING)
    headers = {**FORWARDED, "X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "crowd.example.org, inner.local"}
    [listed] = site.get("/api/project", headers=headers, extra_environ={"REMOTE_ADDR": PROXY}).json
    assert "href='https://crowd.example.org/api/project/" in listed["link"]


def test_forwarded_headers_from_anyone_else_are_ignored(site_with, make):
    make.project(make.user())
    site = site_with(**{**TRUSTING, "site.allowed_hosts": "crowd.example.org 10.0.0.2"})
    [listed] = site.get("/api/project", headers=FORWARDED, extra_environ={"REMOTE_ADDR": "203.0.113.9"}).json
    assert "href='http://10.0.0.2:5000/api/project/" in listed["link"]
    # A client naming a host the site does not answer to, through headers it may not use, is refused.
    refused = site.get("/api/project", headers={**FORWARDED, "Host": "evil.example"},
                       extra_environ={"REMOTE_ADDR": "203.0.113.9"}, status=400).json
    assert refused["target"] == "host"


def test_site_url_wins_over_what_proxies_say(site_with, make):
    make.project(make.user())
    site = site_with(**{**TRUSTING, "site.url": "https://pybossa.example.net"})
    headers = {**FORWARDED, "X-Forwarded-Proto": "http"}
    [listed] = site.get("/api/project", headers=headers, extra_environ={"REMOTE_ADDR": PROXY}).json
    assert "href='https://pybossa.example.net/api/project/" in listed["link"]


def test_probes_answer_whatever_host_they_name(site_with):
    site = site_with(**{"site.allowed_hosts": "crowd.example.org"})
    assert site.get("/health", headers={"Host": "10.1.2.3:5000"}).json == {"status": "ok"}
    assert site.get("/ready", headers={"Host": "10.1.2.3:5000"}).json["status"] == "ok"
    assert site.get("/api/category", headers={"Host": "10.1.2.3:5000"}, status=400).json["target"] == "host"
