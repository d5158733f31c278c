"""Attack: a token allowed only to create (POST) deletes or rewrites documents through
_bulk_docs. Held by: every write is checked for what it does to each document (create = POST,
change = PUT on the stored and the new version, delete = DELETE on the stored one), stricter
than cozy-stack, which checks POST on the whole type for _bulk_docs."""

from __future__ import annotations

import pytest

from tests.support.api import Api

DT = "test.notes"


@pytest.fixture
def owner(sb, client) -> Api:
    sb.instances.create("alice")
    return Api(client, sb.cli_token("alice", f"{DT} io.cozy.journal:GET"))


def token(sb, client, scope: str) -> Api:
    return Api(client, sb.cli_token("alice", scope))


@pytest.fixture
def stored(owner) -> dict:
    r = owner.put(f"/data/{DT}/n1", {"text": "mine", "owner": "alice"})
    assert r.status_code == 200
    return {"_id": "n1", "_rev": r.json()["rev"]}


def test_a_create_only_token_cannot_delete_through_bulk_docs(sb, client, owner, stored):
    creator = token(sb, client, f"{DT}:POST")
    r = creator.post(f"/data/{DT}/_bulk_docs", {"docs": [{**stored, "_deleted": True}]})
    assert r.status_code == 201 and r.json()[0]["error"] == "forbidden"
    assert owner.get(f"/data/{DT}/n1").json()["text"] == "mine"


def test_a_create_only_token_cannot_rewrite_through_bulk_docs(sb, client, owner, stored):
    creator = token(sb, client, f"{DT}:POST")
    r = creator.post(f"/data/{DT}/_bulk_docs", {"docs": [{**stored, "text": "pwned"}]})
    assert r.json()[0]["error"] == "forbidden"
    assert owner.get(f"/data/{DT}/n1").json()["text"] == "mine"


def test_it_may_still_create_and_every_refusal_is_journalled(sb, client, owner, stored):
    creator = token(sb, client, f"{DT}:POST")
    r = creator.post(f"/data/{DT}/_bulk_docs", {"docs": [
        {"text": "new"}, {**stored, "_deleted": True}, {"_id": "n2", "text": "also new"}]})
    results = r.json()
    assert [x.get("ok") or x.get("error") for x in results] == [True, "forbidden", True]
    denied = [e for e in sb.journal.entries(sb.instances.get("alice").id)
              if e.verb == "DENIED" and e.route == "_bulk_docs"]
    assert denied and denied[0].count == 1


def test_a_change_needs_put_on_the_stored_and_the_new_version(sb, client, owner, stored):
    # may create, and change only documents whose owner is bob: it cannot take alice's, nor
    # give one of bob's away
    bobs = token(sb, client, f"{DT}:POST {DT}:PUT:bob:owner")
    r = bobs.post(f"/data/{DT}/_bulk_docs", {"docs": [{**stored, "owner": "bob"}]})
    assert r.json()[0]["error"] == "forbidden"
    created = bobs.post(f"/data/{DT}/_bulk_docs", {"docs": [{"_id": "b1", "owner": "bob"}]})
    rev = created.json()[0]["rev"]
    r = bobs.post(f"/data/{DT}/_bulk_docs", {"docs": [{"_id": "b1", "_rev": rev,
                                                        "owner": "alice"}]})
    assert r.json()[0]["error"] == "forbidden"
    r = bobs.post(f"/data/{DT}/_bulk_docs", {"docs": [{"_id": "b1", "_rev": rev,
                                                        "owner": "bob", "v": 2}]})
    assert r.json()[0]["ok"] is True


def test_delete_and_update_rights_work_through_bulk_docs(sb, client, owner, stored):
    full = token(sb, client, f"{DT}:POST,PUT,DELETE")
    r = full.post(f"/data/{DT}/_bulk_docs", {"docs": [{**stored, "text": "edited"}]})
    rev = r.json()[0]["rev"]
    r = full.post(f"/data/{DT}/_bulk_docs", {"docs": [{"_id": "n1", "_rev": rev,
                                                        "_deleted": True}]})
    assert r.json()[0]["ok"] is True
    assert owner.get(f"/data/{DT}/n1").status_code == 404


def test_the_same_holds_for_single_writes(sb, client, owner, stored):
    creator = token(sb, client, f"{DT}:POST")
    assert creator.put(f"/data/{DT}/n1", {**stored, "text": "x"}).status_code == 403
    assert creator.delete(f"/data/{DT}/n1?rev={stored['_rev']}").status_code == 403
    assert creator.put(f"/data/{DT}/fresh", {"text": "new"}).status_code == 200
