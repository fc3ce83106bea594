"""Presenters written for the old PYBOSSA theme, and hostile ones, in their sandboxed frame.

The classic presenter below uses what published PYBOSSA projects use, the way their public
templates do: jQuery 2's ``img.load(fn)``, Bootstrap 3's tooltip and popover, Font Awesome 4
icons, the hidden ``#PYBOSSA_USER_LOCALE`` element, the old theme's asset addresses
(pybossa.js, throbber.js, pybossa-player) and a ``$.ajax('/api/task/<id>')`` of its own.  The
hostile presenter tries to act with the volunteer's rights and must get nothing.
"""
from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.browser.test_presenters import MEDIA, answer_every_task, answers_by_task, click, media, project_with  # noqa: F401
from pybossa_core.views.project import SHORT_NAME_PLACEHOLDER

__all__ = ["media"]

CLASSIC_PRESENTER = """
<div class="row">
  <div class="col-md-6">
    <div id="finish" class="alert alert-success" style="display:none">
      <i class="fa fa-thumbs-o-up"></i> You have participated in all available tasks!</div>
    <p>Task <span id="task-id" class="label label-warning">#</span>,
       done <span id="done" class="label label-info">0</span> of <span id="total"></span>;
       checked: <span id="checked"></span>; locale <span id="locale"></span></p>
    <div class="progress"><div id="progress" class="progress-bar" title="#" style="width: 0%"></div></div>
    <button class="btn btn-success btn-answer" value="Yes"><i class="fa fa-check"></i> Yes</button>
    <button class="btn btn-danger btn-answer" value="No"><i class="fa fa-times"></i> No</button>
    <a id="help" class="btn btn-default" data-content="Look closely" title="Help">?</a>
    <div id="throbber"></div>
    <div id="player"></div>
  </div>
  <div class="col-md-6"><a id="photo-link" href="#"></a></div>
</div>
<script src="/static/js/pybossa/pybossa.js"></script>
<script src="/static/js/throbber/throbber.js"></script>
<script src="/static/js/pybossa-player/dist/pybossa-player.min.js"></script>
<script>
var spinner = new Throbber({color: 'black', size: 40}).appendTo(document.getElementById('throbber'));
$(document).ready(function () {
  $('#locale').text(document.getElementById('PYBOSSA_USER_LOCALE').textContent.trim());
  $('#help').popover();
});

pybossa.taskLoaded(function (task, deferred) {
  if (!$.isEmptyObject(task)) {
    spinner.start();
    var img = $('<img />');
    img.load(function () { spinner.stop(); deferred.resolve(task); });
    img.attr('src', task.info.url_b).addClass('img-thumbnail img-responsive');
    task.info.image = img;
  } else {
    deferred.resolve(task);
  }
});

pybossa.presentTask(function (task, deferred) {
  if (!$.isEmptyObject(task)) {
    pybossa.userProgress('SHORT_NAME').done(function (data) {
      $('#progress').css('width', Math.round(100 * data.done / data.total) + '%')
                    .attr('title', data.done + ' done').tooltip({placement: 'left'});
      $('#done').text(data.done);
      $('#total').text(data.total);
    });
    $.ajax({url: '/api/task/' + task.id, dataType: 'json'}).done(function (fresh) {
      $('#checked').text(fresh.id === task.id ? 'same' : 'other');
    });
    var player = PybossaPlayer(task.info.audio_url, 'player', false);
    $('#photo-link').html('').append(task.info.image).attr('href', task.info.link);
    $('#task-id').html(task.id);
    $('.btn-answer').off('click').on('click', function () {
      pybossa.saveTask(task.id, $(this).attr('value')).done(function () {
        player.destroy();
        deferred.resolve();
      });
    });
  } else {
    $('.btn-answer').hide();
    $('#finish').fadeIn(200);
  }
});

pybossa.run('SHORT_NAME');
</script>
""".replace("SHORT_NAME", SHORT_NAME_PLACEHOLDER)


def test_a_classic_presenter_gets_the_old_themes_environment(visit, live_factories, media):
    infos = [{"url_b": MEDIA + "photo.png", "link": MEDIA + "photo.png", "audio_url": MEDIA + "sound.wav"}
             for _ in range(2)]
    volunteer, project, tasks = project_with(live_factories, CLASSIC_PRESENTER, infos)
    with live_factories:
        live_factories.session.get(type(volunteer), volunteer.id).locale = "es"
    visit.sign_in(volunteer)
    visit.page.goto(f"{visit.site_url}/project/{project.short_name}/newtask")
    presenter = visit.presenter

    expect(presenter.locator("#locale")).to_have_text("es")
    expect(presenter.locator("#checked")).to_have_text("same")
    expect(presenter.locator("#player audio")).to_have_attribute("src", MEDIA + "sound.wav")
    expect(presenter.locator("#photo-link img.img-thumbnail")).to_be_visible()
    # Bootstrap 3's tooltip and popover and Font Awesome 4's icons are there.
    presenter.locator("#progress").evaluate("bar => $(bar).tooltip('show')")
    expect(presenter.locator(".tooltip")).to_have_text(re.compile("0 done"))
    presenter.locator("#help").click()
    expect(presenter.locator(".popover-content")).to_have_text("Look closely")
    assert presenter.locator(".fa-check").evaluate("icon => getComputedStyle(icon).fontFamily") == "FontAwesome"

    shown = answer_every_task(visit, [click('.btn-answer[value="Yes"]'), click('.btn-answer[value="No"]')],
                              "presenter-classic")

    assert sorted(shown) == [task.id for task in tasks]
    assert answers_by_task(visit, project, volunteer) == dict(zip(shown, ["Yes", "No"]))
    assert visit.foreign_requests() == [] and visit.errors == []


#: A presenter whose owner wants the volunteer's account: it reports everything it got into #loot.
HOSTILE_PRESENTER = """
<pre id="loot"></pre>
<button class="btn btn-answer" value="Yes">Yes</button>
<span id="task-id">#</span>
<script>
var loot = {};
function note(name, value) { loot[name] = value; }
function attempt(name, action) {
  return Promise.resolve().then(action).then(function (value) { note(name, value); },
                                             function (error) { note(name, 'refused: ' + error); });
}
function text(response) { return response.text().then(function (body) { return response.status + ' ' + body; }); }
var me = Number('VOLUNTEER_ID');
Promise.all([
  attempt('cookie', function () { return document.cookie; }),
  attempt('parent', function () { return window.parent.document.documentElement.outerHTML; }),
  attempt('top_csrf', function () { return window.top.document.querySelector('meta[name=csrf-token]').content; }),
  attempt('storage', function () { return window.localStorage.length; }),
  attempt('profile', function () { return fetch('/account/profile', {credentials: 'include'}).then(text); }),
  attempt('profile_xhr', function () {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open('GET', '/account/profile');
      xhr.withCredentials = true;
      xhr.onload = function () { resolve(xhr.status + ' ' + xhr.responseText); };
      xhr.onerror = function () { reject(new Error('network error')); };
      xhr.send();
    });
  }),
  attempt('api_user', function () { return fetch('/api/user/' + me).then(text); }),
  attempt('api_user_jquery', function () { return $.getJSON('/api/user/' + me).then(function (u) { return JSON.stringify(u); }); }),
  attempt('token', function () { return fetch('/api/token').then(text); }),
  attempt('other_project', function () {
    // With the volunteer's session, asking for the task first would let the answer in.
    return fetch('/api/project/OTHER_PROJECT/newtask').then(function () { return fetch('/api/taskrun', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                  body: JSON.stringify({project_id: Number('OTHER_PROJECT'), task_id: Number('OTHER_TASK'), info: 'forged'})}); }).then(text);
  }),
  attempt('rename', function () {
    return fetch('/api/user/' + me, {method: 'PUT', headers: {'Content-Type': 'application/json'},
                                     body: JSON.stringify({fullname: 'Owned'})}).then(text);
  }),
]).then(function () { $('#loot').text(JSON.stringify(loot)); });

pybossa.presentTask(function (task, deferred) {
  if (!$.isEmptyObject(task)) {
    $('#task-id').text(task.id);
    $('.btn-answer').off('click').on('click', function () {
      pybossa.saveTask(task.id, 'Yes').done(function () { $('#task-id').text('saved'); deferred.resolve(); });
    });
  }
});
pybossa.run('SHORT_NAME');
</script>
"""


def test_a_hostile_presenter_cannot_act_as_the_volunteer_but_still_saves_answers(visit, live_factories):
    with live_factories as make:
        other = make.project(make.user())
        other_task = make.task(other)
    volunteer, project, [task] = project_with(live_factories, "<p>set below</p>", [{"question": "?"}])
    presenter_html = (HOSTILE_PRESENTER.replace("SHORT_NAME", project.short_name)
                      .replace("VOLUNTEER_ID", str(volunteer.id))
                      .replace("OTHER_PROJECT", str(other.id)).replace("OTHER_TASK", str(other_task.id)))
    with live_factories:
        stored = live_factories.session.get(type(project), project.id)
        stored.info = {"task_presenter": presenter_html}
    assert volunteer.api_key
    visit.sign_in(volunteer)
    visit.page.goto(f"{visit.site_url}/project/{project.short_name}/newtask")

    expect(visit.presenter.locator("#loot")).not_to_be_empty()
    loot = json.loads(visit.presenter.locator("#loot").inner_text())

    everything = json.dumps(loot)
    assert volunteer.api_key not in everything and volunteer.email_addr not in everything
    assert loot["cookie"] == "" or loot["cookie"].startswith("refused")
    for name in ("parent", "top_csrf", "storage", "profile", "profile_xhr"):
        assert loot[name].startswith("refused"), (name, loot[name])
    assert loot["token"].startswith(("401", "403"))
    assert loot["rename"].startswith(("401", "403"))
    # Another project's answer goes in only as any web page's would: anonymously, never as the volunteer.
    assert [run["user_id"] for run in visit.api("/api/taskrun", project_id=other.id)] in ([], [None])
    assert visit.api("/api/user", name=volunteer.name)[0].get("fullname") != "Owned"

    # The same frame still does a presenter's work with the volunteer's session.
    expect(visit.presenter.locator("#task-id")).to_have_text(str(task.id))
    visit.presenter.locator(".btn-answer").click()
    expect(visit.presenter.locator("#task-id")).to_have_text("saved")
    assert answers_by_task(visit, project, volunteer) == {task.id: "Yes"}
