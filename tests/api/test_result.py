"""/api/result: read by all, never created through the API, annotated by owners."""
from __future__ import annotations

from pybossa_core.models import Result


def test_results_are_not_created_or_deleted_through_the_api(testapp, make, dbsession):
    owner = make.user()
    task = make.task(make.project(owner))
    result = make.result(task, [make.task_run(task, owner)])
    testapp.post_json("/api/result", {"info": {}}, status=401)
    testapp.post_json(f"/api/result?api_key={owner.api_key}", {"info": {}}, status=403)
    testapp.delete(f"/api/result/{result.id}?api_key={owner.api_key}", status=403)
    assert dbsession.query(Result).count() == 1


def test_owner_annotates_a_result_but_not_its_provenance(testapp, make, dbsession):
    owner, other = make.user(), make.user()
    task = make.task(make.project(owner))
    result = make.result(task, [make.task_run(task, owner)])
    url = f"/api/result/{result.id}"
    testapp.put_json(f"{url}?api_key={other.api_key}", {"info": {"x": 1}}, status=403)
    testapp.put_json(f"{url}?api_key={owner.api_key}", {"task_run_ids": [1, 2, 3]}, status=415)
    body = testapp.put_json(f"{url}?api_key={owner.api_key}", {"info": {"answer": "cat"}}).json
    assert body["info"] == {"answer": "cat"}
    assert dbsession.get(Result, result.id).info == {"answer": "cat"}
