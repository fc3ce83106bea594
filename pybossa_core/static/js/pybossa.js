/*
 * pybossa.js for pybossa-core: the browser library PYBOSSA's task presenters use.
 *
 * Written for this site from the documented behaviour of PYBOSSA's library (docs/browser.md),
 * so presenters written for the original site run unchanged:
 *
 *   pybossa.taskLoaded(function (task, deferred) { ...; deferred.resolve(task); });
 *   pybossa.presentTask(function (task, deferred) { ... pybossa.saveTask(task.id, answer).done(...) });
 *   pybossa.run('short_name');
 *
 * Every call that talks to the server returns a jQuery-style promise (done, fail, always, then,
 * catch, state): jQuery's own Deferred when the page loaded jQuery, else a small one below with
 * the same behaviour.  Writes carry the page's CSRF token (the csrf-token meta tag), which the
 * site requires from API writes signed in by the session cookie.  Inside the sandboxed presenter
 * frame (static/js/presenter-frame.js) the page around the frame sends the requests and shows
 * each task's address instead.
 *
 * Presenters written for the old theme load this file again from its old address
 * (/static/js/pybossa/pybossa.js): the second copy keeps the first, and what it was told.
 */
(function (window, document) {
  "use strict";

  if (window.pybossa && window.pybossa.Deferred) { return; }
  var pybossa = window.pybossa = window.pybossa || {};
  var endpoint = "/";
  var currentTask = null;

  // -- deferreds ----------------------------------------------------------------------------

  function jQueryDeferred() {
    var jQuery = window.jQuery;
    return jQuery && typeof jQuery.Deferred === "function" ? jQuery.Deferred() : null;
  }

  /* jQuery's Deferred semantics for pages without jQuery: done/fail callbacks run at once (or
     when settled, with every value given), then() callbacks run later and may return a promise. */
  function SmallDeferred() {
    var state = "pending", values = [], waiting = { resolved: [], rejected: [] };
    var promise = {
      state: function () { return state; },
      done: function (callback) { return listen("resolved", callback, this); },
      fail: function (callback) { return listen("rejected", callback, this); },
      always: function (callback) { return this.done(callback).fail(callback); },
      then: function (onResolved, onRejected) {
        var next = new SmallDeferred();
        function forward(handler, settle) {
          return function () {
            var args = arguments;
            window.setTimeout(function () {
              if (typeof handler !== "function") { settle.apply(next, args); return; }
              var result;
              try { result = handler.apply(null, args); } catch (error) { next.reject(error); return; }
              if (result && typeof result.then === "function") {
                result.then(function () { next.resolve.apply(next, arguments); },
                            function () { next.reject.apply(next, arguments); });
              } else {
                next.resolve(result);
              }
            }, 0);
          };
        }
        this.done(forward(onResolved, next.resolve)).fail(forward(onRejected, next.reject));
        return next.promise();
      },
      "catch": function (onRejected) { return this.then(null, onRejected); },
      promise: function () { return promise; }
    };

    function listen(kind, callback, self) {
      if (typeof callback !== "function") { return self; }
      if (state === kind) { callback.apply(null, values); } else if (state === "pending") { waiting[kind].push(callback); }
      return self;
    }

    function settle(kind) {
      return function () {
        if (state !== "pending") { return this; }
        state = kind;
        values = Array.prototype.slice.call(arguments);
        waiting[kind].forEach(function (callback) { callback.apply(null, values); });
        waiting = { resolved: [], rejected: [] };
        return this;
      };
    }

    var deferred = this;
    Object.keys(promise).forEach(function (name) { deferred[name] = promise[name]; });
    this.resolve = settle("resolved");
    this.reject = settle("rejected");
  }

  function Deferred() {
    return jQueryDeferred() || new SmallDeferred();
  }

  // -- the server ---------------------------------------------------------------------------

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* Call the API; resolve with the JSON answer, reject with {status, statusText, responseJSON}
     (the fields of a jqXHR that presenters read). */
  function api(method, path, query, body) {
    var deferred = Deferred();
    var url = endpoint + path + (query ? "?" + new URLSearchParams(query).toString() : "");
    var headers = { "Accept": "application/json" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = csrfToken();
    }
    window.fetch(url, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (error) { data = null; }
        if (response.ok) {
          deferred.resolve(data);
        } else {
          deferred.reject({ status: response.status, statusText: response.statusText, responseJSON: data });
        }
      });
    }).catch(function (error) {
      deferred.reject({ status: 0, statusText: String(error), responseJSON: null });
    });
    return deferred.promise();
  }

  /* Presenters that make their own jQuery calls get the CSRF header on writes to this site too. */
  function sendTokenWithJQuery() {
    var jQuery = window.jQuery;
    if (!jQuery || typeof jQuery.ajaxPrefilter !== "function") { return; }
    jQuery.ajaxPrefilter(function (options, original, xhr) {
      var safe = /^(GET|HEAD|OPTIONS)$/i.test(options.type || "GET");
      if (!safe && !options.crossDomain) { xhr.setRequestHeader("X-CSRFToken", csrfToken()); }
    });
  }

  function getProject(shortName) {
    // all=1: a signed-in caller's listings hold only their own projects without it (PYBOSSA's rule).
    return api("GET", "api/project", { all: 1, short_name: shortName }).then(function (projects) {
      if (!projects || !projects.length) {
        return Deferred().reject({ status: 404, statusText: "No project named " + shortName, responseJSON: null });
      }
      return projects[0];
    });
  }

  function getNewTask(projectId, offset) {
    return api("GET", "api/project/" + projectId + "/newtask", { offset: offset || 0 });
  }

  function getTask(taskId) {
    return api("GET", "api/task/" + taskId);
  }

  function createTaskRun(task, answer) {
    return api("POST", "api/taskrun", undefined, { project_id: task.project_id, task_id: task.id, info: answer });
  }

  // -- the presenter's hooks ----------------------------------------------------------------

  var taskLoadedHook = function (task, deferred) { deferred.resolve(task); };
  var presentTaskHook = function (task, deferred) { deferred.resolve(task); };

  function loadTask(fetched) {
    var loaded = Deferred();
    fetched.done(function (task) {
      var ready = Deferred();
      ready.done(function (readyTask) { loaded.resolve(readyTask === undefined ? task : readyTask); });
      taskLoadedHook(task || {}, ready);
    }).fail(loaded.reject);
    return loaded.promise();
  }

  function presetTaskId() {
    var meta = document.querySelector('meta[name="pybossa-task-id"]');
    return meta ? meta.getAttribute("content") : null;
  }

  function taskPath(shortName, taskId) {
    return endpoint + "project/" + shortName + "/task/" + taskId;
  }

  /* Put the task's own address in the location bar: the page's, when the presenter runs in its frame. */
  function showAddress(path) {
    var bridge = window.pybossaBridge;
    if (bridge && bridge.framed) {
      bridge.showAddress(path);
    } else if (window.history && window.history.pushState && window.location.pathname !== path) {
      window.history.pushState({}, document.title, path);
    }
  }

  /* Present the project's tasks one after another.  While the volunteer answers one task, the
     next is fetched and loaded (offset 1: the one after it in the scheduler's order), so it
     shows as soon as the answer is saved.  When that guess fails (it is the task just answered,
     or nothing, as when the page started with a task of its own: /task/<id>), the next task
     is asked for again once the answer is in. */
  function run(shortName) {
    var started = Deferred();
    getProject(shortName).done(function (project) {
      function nextTask(offset) {
        return loadTask(getNewTask(project.id, offset));
      }

      function present(task) {
        var solved = Deferred();
        var preloaded = task && task.id ? nextTask(1) : null;
        currentTask = task;
        if (task && task.id) { showAddress(taskPath(shortName, task.id)); }
        presentTaskHook(task, solved);
        solved.done(function () {
          if (!preloaded) { return; }
          preloaded.done(function (next) {
            if (next && next.id && next.id !== task.id) { present(next); } else { nextTask(0).done(present); }
          });
        });
      }

      var preset = presetTaskId();
      (preset ? loadTask(getTask(preset)) : nextTask(0)).done(function (task) {
        started.resolve(project);
        present(task);
      }).fail(started.reject);
    }).fail(function (error) {
      if (window.console) { window.console.error("pybossa.run: no project named " + shortName, error); }
      started.reject(error);
    });
    return started.promise();
  }

  // -- the public API (PYBOSSA's names) -------------------------------------------------------

  /* PYBOSSA's second argument (a window to read the task id from) is not needed: the page says. */
  pybossa.run = function (shortName) { return run(shortName); };
  pybossa.taskLoaded = function (userFunction) { taskLoadedHook = userFunction; };
  pybossa.presentTask = function (userFunction) { presentTaskHook = userFunction; };

  /* Save an answer: taskOrId is a task object, or a task id (the task is fetched first). */
  pybossa.saveTask = function (taskOrId, answer) {
    if (taskOrId !== null && typeof taskOrId === "object") { return createTaskRun(taskOrId, answer); }
    return getTask(taskOrId).then(function (task) { return createTaskRun(task, answer); });
  };

  pybossa.userProgress = function (shortNameOrId) {
    return api("GET", "api/project/" + shortNameOrId + "/userprogress");
  };

  /* {question: project.description, task: the next task} for the project, as PYBOSSA's newTask. */
  pybossa.newTask = function (shortName) {
    return getProject(shortName).then(function (project) {
      return getNewTask(project.id, 0).then(function (task) { return { question: project.description, task: task }; });
    });
  };

  pybossa.getProject = getProject;
  pybossa.getNewTask = getNewTask;
  pybossa.getTask = getTask;
  pybossa.getCurrentTask = function () { return currentTask; };

  /* The task id in a path such as /project/<name>/task/<id>, else false; by default the task
     presented now (whose address pybossa.run showed), else the page's own path. */
  pybossa.getCurrentTaskId = function (path) {
    if (path === undefined && currentTask && currentTask.id) { return String(currentTask.id); }
    var segments = (path === undefined ? window.location.pathname : path).split("/");
    var index = segments.indexOf("task");
    return index !== -1 && segments[index + 1] ? segments[index + 1] : false;
  };

  /* Use the PYBOSSA site at another URL (a site served under a path, say). */
  pybossa.setEndpoint = function (url) {
    endpoint = url.charAt(url.length - 1) === "/" ? url : url + "/";
    return endpoint;
  };
  pybossa.setPybossaUrl = pybossa.setEndpoint;

  pybossa.csrfToken = csrfToken;
  pybossa.Deferred = Deferred;

  sendTokenWithJQuery();
}(window, document));
