"""A project's tasks: browsing them, the task page, importing them, their redundancy and the task
presenter editor."""
from __future__ import annotations

import sqlalchemy as sa

from pybossa_core.models import Auditlog, Result, Task, TaskHandout, TaskRun
from tests.views.conftest import csrf_of
from tests.views.project_fixtures import JSON, as_user, post

CSV = "question,n_answers\nIs it a bird?,3\nIs it a plane?,\n"


def stored_tasks(dbsession, project):
    dbsession.expire_all()
    return dbsession.scalars(sa.select(Task).where(Task.project_id == project.id).order_by(Task.id)).all()


# -- browsing -------------------------------------------------------------------------------


def test_browse_pages_tasks_with_their_answer_counts(testapp, make, project):
    tasks = [make.task(project, n_answers=4) for _ in range(12)]
    make.task_run(tasks[0])
    tasks[1].n_task_runs = 4
    body = testapp.get("/project/birds/tasks/browse/", headers=JSON).json
    assert body["template"] == "/projects/tasks_browse.html" and body["title"] == "Project: Birds &middot; Tasks"
    assert {"n_completed_tasks", "n_tasks", "n_volunteers", "overall_progress", "owner", "pagination",
            "pro_features", "project", "tasks"} <= set(body)
    assert body["pagination"] == {"next": True, "page": 1, "per_page": 10, "prev": False, "total": 12}
    assert body["tasks"][:2] == [
        {"id": tasks[0].id, "n_answers": 4, "n_task_runs": 1, "pct_status": 0.25},
        {"id": tasks[1].id, "n_answers": 4, "n_task_runs": 4, "pct_status": 1.0},
    ]
    assert len(body["tasks"]) == 10
    second = testapp.get("/project/birds/tasks/browse/2", headers=JSON).json
    assert [task["id"] for task in second["tasks"]] == [tasks[10].id, tasks[11].id]
    assert second["pagination"]["prev"] is True and second["pagination"]["next"] is False
    testapp.get("/project/birds/tasks/browse/3", headers=JSON, status=404)


def test_browse_of_a_draft_is_for_its_owner(testapp, make, member, project):
    project.published = False
    testapp.get("/project/birds/tasks/browse/", headers=JSON, status=404)
    as_user(testapp, make, "other")
    testapp.get("/project/birds/tasks/browse/", headers=JSON, status=404)
    as_user(testapp, make, "boss", admin=True)
    assert testapp.get("/project/birds/tasks/browse/", headers=JSON).json["tasks"] == []


# -- the task page --------------------------------------------------------------------------


def test_task_page_shows_the_project_and_hands_the_task_out(testapp, make, project, dbsession):
    task = make.task(project)
    body = testapp.get(f"/project/birds/task/{task.id}", headers=JSON).json
    assert set(body) == {"owner", "project", "template", "title"}
    assert body["template"] == "/projects/presenter.html" and body["title"] == "Project: Birds &middot; Contribute"
    handouts = dbsession.scalars(sa.select(TaskHandout).where(TaskHandout.task_id == task.id)).all()
    assert len(handouts) == 1 and handouts[0].caller.startswith("anon:")


def test_task_page_stamp_lets_the_caller_answer_through_the_api(browser, make, member, dbsession):
    project = make.project(make.user("owner"), "answers")
    task = make.task(project, n_answers=2)
    headers = {"X-CSRFToken": csrf_of(browser)}
    refused = browser.post_json("/api/taskrun", {"project_id": project.id, "task_id": task.id, "info": "yes"},
                                headers=headers, expect_errors=True)
    assert refused.status_int == 403
    browser.get(f"/project/answers/task/{task.id}", headers=JSON)
    created = browser.post_json("/api/taskrun", {"project_id": project.id, "task_id": task.id, "info": "yes"},
                                headers=headers).json
    assert created["user_id"] == member.id and created["task_id"] == task.id
    run = dbsession.scalar(sa.select(TaskRun).where(TaskRun.task_id == task.id))
    assert run.user_id == member.id and run.info == "yes"
    dbsession.refresh(task)
    assert task.n_task_runs == 1


def test_task_page_refuses_other_projects_tasks_and_anonymous_when_not_allowed(testapp, make, project, dbsession):
    other_project = make.project(make.user(), "other")
    foreign = make.task(other_project)
    testapp.get(f"/project/birds/task/{foreign.id}", headers=JSON, status=404)
    testapp.get("/project/birds/task/999999", headers=JSON, status=404)
    project.allow_anonymous_contributors = False
    task = make.task(project)
    body = testapp.get(f"/project/birds/task/{task.id}", headers=JSON).json
    assert body["status"] == "warning" and body["next"].startswith("/account/signin?next=")
    assert dbsession.scalar(sa.select(sa.func.count(TaskHandout.id)).where(TaskHandout.task_id == task.id)) == 0


def test_task_page_for_the_owner_shows_the_whole_project(browser, make, project):
    task = make.task(project)
    body = browser.get(f"/project/birds/task/{task.id}", headers=JSON).json
    assert body["project"]["secret_key"] == project.secret_key


# -- importing ------------------------------------------------------------------------------


def test_import_page_lists_the_importers(browser, project):
    body = browser.get("/project/birds/tasks/import", headers=JSON).json
    assert body["template"] == "/projects/task_import_options.html"
    assert body["title"] == "Project: Birds &middot; Import Tasks"
    assert "projects/tasks/csv.html" in body["available_importers"]
    assert body["form"] is None and body["target"] == "project.import_task" and body["task_tmpls"] == []
    assert body["loading_text"] == "Importing tasks, this may take a while, wait..."
    assert {"n_completed_tasks", "n_tasks", "n_volunteers", "overall_progress", "owner", "pro_features", "project"} <= set(body)


def test_import_type_gives_the_importers_form(browser, project):
    body = browser.get("/project/birds/tasks/import?type=csv", headers=JSON).json
    assert body["template"] == "/projects/importers/csv.html"
    assert body["form"] == {"csrf": body["form"]["csrf"], "csv_text": None, "csv_url": None, "errors": {}, "type": "csv"}
    browser.get("/project/birds/tasks/import?type=nope", headers=JSON, status=404)


def test_importing_a_csv_creates_the_new_tasks_once(browser, project, make, dbsession):
    make.task(project, info={"question": "Is it a plane?"})
    body = post(browser, "/project/birds/tasks/import", {"type": "csv", "csv_text": CSV}).json
    assert body == {"flash": "1 new task was imported successfully", "next": "/project/birds/tasks/", "status": "success"}
    tasks = stored_tasks(dbsession, project)
    assert [(task.info, task.n_answers) for task in tasks] == [
        ({"question": "Is it a plane?"}, 30), ({"question": "Is it a bird?"}, 3)]
    body = post(browser, "/project/birds/tasks/import?type=csv", {"csv_text": CSV + "Is it a kite?,\nIs it a cat?,\n"}).json
    assert body["flash"] == "2 new tasks were imported successfully"
    body = post(browser, "/project/birds/tasks/import", {"type": "csv", "csv_text": CSV}).json
    assert body["flash"] == "It looks like there were no new records to import" and body["status"] == "warning"
    assert len(stored_tasks(dbsession, project)) == 4


def test_a_bad_csv_imports_nothing(browser, project, dbsession):
    bad = "question,n_answers\nfine,2\nbroken,many\n"
    body = post(browser, "/project/birds/tasks/import", {"type": "csv", "csv_text": bad}).json
    assert body["status"] == "error" and body["flash"] == "Line 3: n_answers must be a whole number, not 'many'."
    assert body["form"]["errors"] == {"form": [body["flash"]]} and body["form"]["csv_text"] == bad
    assert stored_tasks(dbsession, project) == []


def test_import_form_errors_and_missing_type(browser, project, dbsession):
    body = post(browser, "/project/birds/tasks/import", {"type": "csv"}).json
    assert body["status"] == "error" and body["form"]["errors"] == {"form": ["Give either a link to a CSV file or its text."]}
    body = post(browser, "/project/birds/tasks/import", {"type": "csv", "csv_url": "file:///etc/passwd"}).json
    assert body["form"]["errors"] == {"csv_url": ["Enter a link starting with http:// or https://."]}
    body = post(browser, "/project/birds/tasks/import", {"csv_text": CSV}).json
    assert body["status"] == "error" and body["flash"] == "Choose an importer: type is missing."
    browser.post_json("/project/birds/tasks/import", {"type": "csv", "csv_text": CSV}, headers={"X-CSRFToken": "x"}, status=400)
    assert stored_tasks(dbsession, project) == []


def test_another_user_cannot_import(testapp, make, member, project, dbsession):
    as_user(testapp, make, "other")
    post(testapp, "/project/birds/tasks/import", {"type": "csv", "csv_text": CSV}, status=403)
    assert stored_tasks(dbsession, project) == []


# -- the task presenter editor --------------------------------------------------------------


def test_editor_lists_presenters_when_the_project_has_none(browser, project):
    project.info = {}
    body = browser.get("/project/birds/tasks/taskpresentereditor", headers=JSON).json
    assert body["template"] == "projects/task_presenter_options.html" and body["status"] == "info"
    assert "projects/presenters/basic.html" in body["presenters"]
    assert 'href="/project/birds/tasks/import"' in body["flash"]
    assert body["title"] == "Project: Birds &middot; Task Presenter Editor"
    assert {"n_tasks", "n_task_runs", "n_volunteers", "owner", "pro_features", "project", "last_activity"} <= set(body)


def test_editor_preloads_a_presenter_or_the_projects_own(browser, project):
    body = browser.get("/project/birds/tasks/taskpresentereditor?template=basic", headers=JSON).json
    assert body["template"] == "projects/task_presenter_editor.html" and body["errors"] is False
    assert "pybossa.run('birds')" in body["form"]["editor"] and "{{ project.short_name }}" not in body["form"]["editor"]
    assert set(body["form"]) == {"csrf", "editor", "environment", "errors", "id"}
    assert body["form"]["environment"] == ""
    body = browser.get("/project/birds/tasks/taskpresentereditor", headers=JSON).json
    assert body["form"]["editor"] == "<div>birds</div>"
    browser.get("/project/birds/tasks/taskpresentereditor?template=nope", headers=JSON, status=404)


def test_saving_the_task_presenter(browser, project):
    project.info = {"thumbnail": "t.png"}
    body = post(browser, "/project/birds/tasks/taskpresentereditor", {"editor": "<p>Answer me</p>"}).json
    assert body == {"flash": '<i class="icon-ok"></i> Task presenter added!', "next": "/project/birds/tasks/",
                    "status": "success"}
    assert project.info == {"thumbnail": "t.png", "task_presenter": "<p>Answer me</p>"}
    body = post(browser, "/project/birds/tasks/taskpresentereditor", {"editor": ""}).json
    assert body["status"] == "error" and body["form"]["errors"] == {"editor": ["This field is required."]}
    assert project.info["task_presenter"] == "<p>Answer me</p>"


def test_the_editor_saves_the_environment_chosen_for_the_presenter(browser, project):
    post(browser, "/project/birds/tasks/taskpresentereditor", {"editor": "<p>old</p>", "environment": "modern"})
    assert project.info["presenter_environment"] == "modern"
    assert browser.get("/project/birds/tasks/taskpresentereditor", headers=JSON).json["form"]["environment"] == "modern"
    body = post(browser, "/project/birds/tasks/taskpresentereditor", {"editor": "<p>new</p>", "environment": "retro"}).json
    assert body["status"] == "error" and list(body["form"]["errors"]) == ["environment"]
    assert body["form"]["environment"] == "retro" and project.info["task_presenter"] == "<p>old</p>"
    post(browser, "/project/birds/tasks/taskpresentereditor", {"editor": "<p>new</p>", "environment": ""})
    assert project.info["task_presenter"] == "<p>new</p>" and "presenter_environment" not in project.info


# -- redundancy -----------------------------------------------------------------------------


def test_redundancy_is_set_for_every_task_completing_or_reopening_them(browser, make, member, project, dbsession):
    volunteers = [make.user(f"v{number}") for number in range(2)]
    answered_twice, answered_once, completed_once = (make.task(project, n_answers=3) for _ in range(3))
    for volunteer in volunteers:
        make.task_run(answered_twice, volunteer)
    make.task_run(answered_once, volunteers[0])
    make.task_run(completed_once, volunteers[1])
    completed_once.n_answers, completed_once.state = 1, "completed"
    dbsession.flush()

    page = browser.get("/project/birds/tasks/redundancy", headers=JSON).json
    assert page["template"] == "/projects/task_n_answers.html" and "n_answers" in page["form"]
    body = post(browser, "/project/birds/tasks/redundancy", {"n_answers": "2"}).json
    assert (body["status"], body["flash"]) == ("success", "Redundancy of Tasks updated!")
    assert body["next"] == "/project/birds/tasks/"

    tasks = stored_tasks(dbsession, project)
    assert [(task.n_answers, task.state) for task in tasks] == [
        (2, "completed"), (2, "ongoing"), (2, "ongoing")]
    # Only the task the change completes gets a result.
    assert dbsession.scalars(sa.select(Result.task_id).where(Result.project_id == project.id)).all() == [tasks[0].id]
    [log] = dbsession.scalars(sa.select(Auditlog).where(Auditlog.attribute == "task.n_answers")).all()
    assert (log.old_value, log.new_value, log.user_id) == ("N/A", "2", member.id)


def test_redundancy_refuses_bad_values_and_strangers(browser, testapp, make, project, dbsession):
    task = make.task(project, n_answers=3)
    for value in ("0", "1001", "many", ""):
        body = post(browser, "/project/birds/tasks/redundancy", {"n_answers": value}).json
        assert body["status"] == "error" and body["form"]["errors"]["n_answers"], value
    assert stored_tasks(dbsession, project)[0].n_answers == 3
    browser.get("/account/signout", headers={"X-CSRFToken": csrf_of(browser)})
    assert testapp.get("/project/birds/tasks/redundancy", headers=JSON, status=302).json["status"] == "not_signed_in"
    as_user(testapp, make, "stranger")
    post(testapp, "/project/birds/tasks/redundancy", {"n_answers": "1"}, status=403)
    dbsession.expire_all()
    assert task.n_answers == 3
