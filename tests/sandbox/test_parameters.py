"""Attack: parameters past any sense answered 500 or reset the connection. Each case below
answered so before; now each is a 4xx in the route's envelope (or, where the stack is lenient,
a normal answer), and the data is untouched."""

from __future__ import annotations

import pytest

from tests.support.api import Api

DT = "test.params"
HUGE = "9" * 40


@pytest.fixture
def api(sb, client) -> Api:
    sb.instances.create("alice")
    a = Api(client, sb.cli_token("alice", f"{DT} io.cozy.journal:GET"))
    a.post(f"/data/{DT}/", {"n": 1})
    return a


@pytest.mark.parametrize("path", [
    f"/data/{DT}/_all_docs?skip={HUGE}", f"/data/{DT}/_all_docs?limit={HUGE}",
    f"/data/{DT}/_all_docs?limit=-1", f"/data/{DT}/_all_docs?limit=abc",
    f"/data/{DT}/_changes?limit={HUGE}", f"/data/{DT}/_changes?since=abc",
    "/journal/?limit=abc", "/journal/?limit=-1",
    f"/journal/?limit={HUGE}", f"/data/{DT}/_design_docs?include_docs=maybe",
])
def test_odd_query_parameters_are_refused_with_a_4xx(api, path):
    r = api.get(path)
    assert 400 <= r.status_code < 500, (path, r.status_code, r.text)


@pytest.mark.parametrize("path", [f"/data/{DT}/_normal_docs?skip={HUGE}",
                                  f"/data/{DT}/_normal_docs?limit={HUGE}",
                                  f"/data/{DT}/_normal_docs?limit=abc"])
def test_normal_docs_stays_as_lenient_as_the_stack(api, path):
    """cozy-stack reads a bad limit or skip of _normal_docs as its default."""
    assert api.get(path).status_code == 200


def test_a_sequence_past_the_last_one_gives_no_changes(api):
    r = api.get(f"/data/{DT}/_changes?since={HUGE}")
    assert r.status_code == 200 and r.json()["results"] == []


def test_the_json_errors_of_json_api_routes_keep_their_envelope(api):
    r = api.get("/journal/?limit=abc")
    assert r.status_code == 400 and r.json()["errors"][0]["status"] == "400"


@pytest.mark.parametrize("raw", [b'{"keys": ["a"', b"[1, 2", b'{"keys": 5}', b"\xff\xfe"])
def test_a_broken_body_on_all_docs_is_a_400(api, raw):
    r = api.c.post(f"/data/{DT}/_all_docs", content=raw,
                   headers={**api.h, "Content-Type": "application/json"})
    assert r.status_code == 400, r.text


def test_an_index_of_thousands_of_fields_is_refused(api):
    r = api.post(f"/data/{DT}/_index", {"index": {"fields": [f"f{i}" for i in range(5000)]}})
    assert r.status_code == 400 and "fields" in r.text
    assert api.get(f"/data/{DT}/_design_docs").json()["total_rows"] == 0
