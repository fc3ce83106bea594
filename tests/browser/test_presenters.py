"""Task presenters run in Chromium against the live site: answers are saved, the next task follows.

Every test signs a volunteer in, opens the contribution page, answers every task through the
presenter's own buttons, then reads the stored task runs back through the API.  No page may
ask anything of another host: the site works offline.
"""
from __future__ import annotations

import io
import re
import struct
import wave
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from pybossa_core.interfaces import IPresenters, find_service
from pybossa_core.views.project import SHORT_NAME_PLACEHOLDER
from tests.views.conftest import PASSWORD, PASSWORD_HASH

MEDIA = "/uploads/browser-media/"
#: A presenter written for the original PYBOSSA site, in the shape of its public examples
#: (jQuery, $.Deferred, pybossa.saveTask(task.id, answer).done(...)), for the project SHORT_NAME.
ORIGINAL_PRESENTER = """
<div class="row">
  <div id="success" class="alert alert-success" style="display:none">Thanks!</div>
  <div id="finish" class="alert alert-success" style="display:none">You have answered every task.</div>
</div>
<div class="row skeleton">
  <h1 id="question"></h1>
  <a id="photo-link" href="#"></a>
  <button class="btn btn-success btn-answer" value="Yes">Yes</button>
  <button class="btn btn-danger btn-answer" value="No">No</button>
  <p>Task <span id="task-id">#</span>: done <span id="done">0</span> of <span id="total">0</span></p>
</div>
<script type="text/javascript">
function loadUserProgress() {
    pybossa.userProgress('SHORT_NAME').done(function(data){
        $("#total").text(data.total);
        $("#done").text(data.done);
    });
}

pybossa.taskLoaded(function(task, deferred) {
    if ( !$.isEmptyObject(task) ) {
        var img = $('<img />');
        var imageLoaded = $.Deferred();
        img.on('load', function() { imageLoaded.resolve(); });
        img.attr('src', task.info.url_m);
        task.info.image = img;
        imageLoaded.done(function() { deferred.resolve(task); });
    }
    else {
        deferred.resolve(task);
    }
});

pybossa.presentTask(function(task, deferred) {
    if ( !$.isEmptyObject(task) ) {
        loadUserProgress();
        $('#photo-link').html('').append(task.info.image);
        $("#question").html(task.info.question);
        $('#task-id').html(task.id);
        $('.btn-answer').off('click').on('click', function(evt) {
            var answer = $(evt.target).attr("value");
            pybossa.saveTask(task.id, answer).done(function() {
                $("#success").fadeIn();
                deferred.resolve();
            });
        });
    }
    else {
        $(".skeleton").hide();
        $("#finish").fadeIn(500);
    }
});

pybossa.run('SHORT_NAME');
</script>
""".replace("SHORT_NAME", SHORT_NAME_PLACEHOLDER)


def tiny_wav() -> bytes:
    sound = io.BytesIO()
    with wave.open(sound, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(struct.pack("<800h", *([0] * 800)))
    return sound.getvalue()


def tiny_png() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(image, "PNG")
    return image.getvalue()


def tiny_pdf() -> bytes:
    """A one-page PDF saying "Title one", with its cross-reference table."""
    content = b"BT /F1 24 Tf 40 100 Td (Title one) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    document, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    document += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    document += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, table)
    return document


@pytest.fixture(scope="session")
def media(live_server):
    """Media files served by the live site itself (under /uploads/)."""
    folder = Path(live_server.app.registry.settings["uploads.dir"]) / "browser-media"
    folder.mkdir(exist_ok=True)
    # Not a playable video: the presenter must still show the player and take the answer.
    for name, data in (("photo.png", tiny_png()), ("sound.wav", tiny_wav()), ("doc.pdf", tiny_pdf()),
                       ("clip.webm", b"\x1a\x45\xdf\xa3")):
        (folder / name).write_bytes(data)


def project_with(live_factories, presenter: str, infos: list[dict], **fields):
    """A published project running ``presenter`` (HTML), its tasks, and a volunteer who may sign in."""
    with live_factories as make:
        volunteer = make.user(passwd_hash=PASSWORD_HASH)
        project = make.project(make.user(), **fields)
        project.info = {"task_presenter": presenter.replace(SHORT_NAME_PLACEHOLDER, project.short_name)}
        tasks = [make.task(project, info=info) for info in infos]
    return volunteer, project, tasks


def click(selector: str):
    return lambda presenter: presenter.locator(selector).click()


def fill_and_click(values: dict[str, str], selector: str):
    def act(presenter):
        for field, value in values.items():
            presenter.locator(field).fill(value)
        presenter.locator(selector).click()

    return act


def click_map_centre(presenter):
    """Click the middle of the world grid: latitude 0, longitude 0."""
    presenter.locator("#map").click()
    presenter.locator("#save-location").click()


#: For each bundled presenter: the two tasks' info, how to answer each, and the answers stored.
PRESENTER_CASES = {
    "basic": ([{"question": "Is the sky blue?"}, {"question": "Is grass red?"}],
              [click('.btn-answer[value="Yes"]'), click('.btn-answer[value="No"]')], ["Yes", "No"]),
    "image": ([{"url_b": MEDIA + "photo.png", "link": MEDIA + "photo.png", "question": "Is this red?"},
               {"url_m": MEDIA + "photo.png"}],
              [click('.btn-answer[value="Yes"]'), click('.btn-answer[value="NotKnown"]')], ["Yes", "NotKnown"]),
    "sound": ([{"audio_url": MEDIA + "sound.wav"}, {"audio_url": MEDIA + "sound.wav", "question": "Silence?"}],
              [click('.btn-answer[value="No"]'), click('.btn-answer[value="Yes"]')], ["No", "Yes"]),
    "video": ([{"video_url": MEDIA + "clip.webm"}, {"oembed": "<p id='embedded'>An embedded player</p>"}],
              [click('.btn-answer[value="Yes"]'), click('.btn-answer[value="No"]')], ["Yes", "No"]),
    "map": ([{"place": "Null Island"}, {"place": "London"}],
            [click_map_centre, fill_and_click({"#lat": "51.5", "#lon": "-0.12"}, "#save-location")],
            [{"lat": 0.0, "lon": 0.0}, {"lat": 51.5, "lon": -0.12}]),
    "pdf": ([{"pdf_url": MEDIA + "doc.pdf", "page": 1}, {"pdf_url": MEDIA + "doc.pdf", "page": 2}],
            [fill_and_click({"#transcription": "Title one"}, '.btn-answer[value="transcribe"]'),
             click('.btn-answer[value="unreadable"]')],
            [{"transcription": "Title one", "page": 1}, {"transcription": None, "page": 2}]),
}


#: Where the presenters put the task's media (both tasks of each use the same file).
MEDIA_ELEMENTS = {
    "image": ("#photo", "src", MEDIA + "photo.png"),
    "sound": ("#player", "src", MEDIA + "sound.wav"),
    "pdf": ("#document", "data", re.compile(re.escape(MEDIA + "doc.pdf#page=") + "[12]$")),
}


def answer_every_task(visit, actions, screenshot: str) -> list[int]:
    """Answer the presented tasks with ``actions`` in turn; return the ids in the order shown."""
    presenter, shown = visit.presenter, []
    for number, act in enumerate(actions):
        expect(presenter.locator("#task-id")).not_to_have_text("#" if not shown else str(shown[-1]))
        shown.append(int(presenter.locator("#task-id").inner_text()))
        expect(presenter.locator("#done")).to_have_text(str(number))
        if number == 0:
            visit.screenshot(screenshot)
        act(presenter)
    expect(presenter.locator("#finish")).to_be_visible()
    return shown


def answers_by_task(visit, project, volunteer) -> dict[int, object]:
    runs = visit.api("/api/taskrun", project_id=project.id, all=1)
    assert {run["user_id"] for run in runs} == {volunteer.id}
    return {run["task_id"]: run["info"] for run in runs}


def approximately(answer):
    """Map answers hold clicked coordinates: compare them to the degree (a pixel is half of one)."""
    if isinstance(answer, dict) and "lat" in answer:
        return {key: round(value) for key, value in answer.items()}
    return answer


@pytest.mark.parametrize("name", PRESENTER_CASES)
def test_bundled_presenter_saves_answers_and_moves_on(name, visit, live_server, live_factories, media):
    infos, actions, expected = PRESENTER_CASES[name]
    template = find_service(live_server.app.registry, IPresenters)[name].template
    volunteer, project, tasks = project_with(live_factories, template, infos)
    visit.sign_in(volunteer)
    visit.page.goto(f"{visit.site_url}/project/{project.short_name}/newtask")
    if name in MEDIA_ELEMENTS:
        selector, attribute, value = MEDIA_ELEMENTS[name]
        expect(visit.presenter.locator(selector)).to_have_attribute(attribute, value)
    if name == "image":
        assert visit.presenter.locator("#photo").evaluate("image => image.naturalWidth") == 64

    shown = answer_every_task(visit, actions, f"presenter-{name}")

    assert sorted(shown) == [task.id for task in tasks]
    answers = answers_by_task(visit, project, volunteer)
    assert {task_id: approximately(answer) for task_id, answer in answers.items()} == {
        task_id: approximately(answer) for task_id, answer in zip(shown, expected)
    }
    errors = visit.errors
    if name == "pdf":
        # Chromium shows no PDF in a sandboxed frame (it says so once per <object>): the
        # presenter's own fallback, a link to the document, shows instead.
        expect(visit.presenter.locator("#pdf-link")).to_have_attribute("href", re.compile(re.escape(MEDIA + "doc.pdf")))
        errors = [error for error in errors if not error.endswith("the frame into which the plugin is loading is sandboxed.")]
    assert visit.foreign_requests() == [] and errors == []


def test_a_presenter_written_for_pybossa_runs_unchanged(visit, live_factories, media):
    infos = [{"question": f"Photo {number}?", "url_m": MEDIA + "photo.png"} for number in range(3)]
    volunteer, project, tasks = project_with(live_factories, ORIGINAL_PRESENTER, infos,
                                             allow_anonymous_contributors=False)
    page = visit.page
    # Anonymous visitors of this project are sent to the sign-in form, and back after it.
    page.goto(f"{visit.site_url}/project/{project.short_name}/newtask")
    expect(page).to_have_url(f"{visit.site_url}/account/signin?next=%2Fproject%2F{project.short_name}%2Fnewtask")
    visit.screenshot("signin")
    page.fill("#email", volunteer.email_addr)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")

    shown = answer_every_task(visit, [click('.btn-answer[value="Yes"]')] * 3, "presenter-original")

    assert sorted(shown) == [task.id for task in tasks]
    assert answers_by_task(visit, project, volunteer) == {task.id: "Yes" for task in tasks}
    assert visit.api(f"/api/project/{project.short_name}/userprogress") == {"done": 3, "total": 3}
    # pybossa.run put each task's own address in the location bar, as PYBOSSA's library does.
    assert visit.page.url == f"{visit.site_url}/project/{project.short_name}/task/{shown[-1]}"
    assert visit.foreign_requests() == [] and visit.errors == []


def test_task_page_starts_with_its_own_task(visit, live_server, live_factories):
    template = find_service(live_server.app.registry, IPresenters)["basic"].template
    volunteer, project, tasks = project_with(live_factories, template, [{"question": "First?"}, {"question": "Second?"}])
    visit.sign_in(volunteer)
    visit.page.goto(f"{visit.site_url}/project/{project.short_name}/task/{tasks[1].id}")

    shown = answer_every_task(visit, [click('.btn-answer[value="Yes"]')] * 2, "task-page")

    assert shown == [tasks[1].id, tasks[0].id]
    assert answers_by_task(visit, project, volunteer) == {task.id: "Yes" for task in tasks}
    assert visit.foreign_requests() == [] and visit.errors == []


#: Run in a page without jQuery: pybossa.js falls back on its own deferreds.
WITHOUT_JQUERY = """async (shortName) => {
  const settled = (promise) => new Promise((resolve) => promise.done((value) => resolve(["done", value]))
                                                              .fail((error) => resolve(["fail", error.status])));
  const deferred = pybossa.Deferred();
  const seen = [];
  deferred.done((value) => seen.push(value)).always((value) => seen.push("always " + value));
  const chained = deferred.then((value) => pybossa.Deferred().resolve(value * 2));
  deferred.resolve(21);
  const project = await settled(pybossa.getProject(shortName));
  const task = await settled(pybossa.getNewTask(project[1].id));
  return {
    jQuery: typeof window.jQuery,
    seen: seen,
    chained: await settled(chained),
    missing: await settled(pybossa.getProject("no-such-project")),
    saved: await settled(pybossa.saveTask(task[1], {seen: true})),
    progress: await settled(pybossa.userProgress(shortName)),
    taskId: pybossa.getCurrentTaskId("/project/x/task/12"),
  };
}"""


def test_pybossa_js_works_without_jquery(visit, live_factories):
    volunteer, project, tasks = project_with(live_factories, "<p>unused</p>", [{"question": "Alone?"}])
    visit.sign_in(volunteer)
    # The tutorial page has the layout (and its CSRF token) but neither jQuery nor pybossa.js.
    visit.page.goto(f"{visit.site_url}/project/{project.short_name}/tutorial")
    visit.page.add_script_tag(url="/static/js/pybossa.js")

    result = visit.page.evaluate(WITHOUT_JQUERY, project.short_name)

    assert result["jQuery"] == "undefined"
    assert result["seen"] == [21, "always 21"] and result["chained"] == ["done", 42]
    assert result["missing"] == ["fail", 404]
    saved = result["saved"][1]
    assert (saved["task_id"], saved["user_id"], saved["info"]) == (tasks[0].id, volunteer.id, {"seen": True})
    assert result["progress"] == ["done", {"done": 1, "total": 1}]
    assert result["taskId"] == "12"
    assert visit.foreign_requests() == [] and visit.errors == []
