/*
 * presenter-host.js: the contribution page's side of the sandboxed presenter frame
 * (the frame's side: static/js/presenter-frame.js; docs/browser.md "Presenters run in a sandbox").
 *
 * The frame asks, by postMessage, for requests to the site's API.  The page sends them, and
 * decides which may carry the volunteer's session (cookie and CSRF token):
 *
 *   - reading tasks, task runs, results, categories, helping materials, this project, and the
 *     volunteer's next task and progress in this project;
 *   - saving a task run (POST /api/taskrun, JSON) for this project.
 *
 * Anything else is sent as an anonymous visitor's request, so the presenter can do what any
 * web page could, and no more: it never sees the volunteer's account, key or token.
 */
(function (window, document) {
  "use strict";

  var SESSION_READS = /^\/api\/(task|taskrun|result|category|helpingmaterial)(\/\d+)?$/;
  var PROJECT_READS = /^\/api\/(?:project\/)?([^\/]+)\/(?:newtask|userprogress)$/;
  var UNSAFE = /^(POST|PUT|DELETE|PATCH)$/;
  var FORWARDED_HEADERS = ["accept", "content-type"];

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* This project's record, or the volunteer's next task or progress in it. */
  function isThisProject(url, project) {
    var match = /^\/api\/project(?:\/(\d+))?$/.exec(url.pathname);
    if (match && match[1]) { return match[1] === project.id; }
    if (match) { return url.searchParams.get("short_name") === project.shortName || url.searchParams.get("id") === project.id; }
    match = PROJECT_READS.exec(url.pathname);
    return Boolean(match) && (match[1] === project.id || match[1] === project.shortName);
  }

  function savesForThisProject(method, url, body, project) {
    if (method !== "POST" || url.pathname !== "/api/taskrun" || !body) { return false; }
    try { return String(JSON.parse(body).project_id) === project.id; } catch (error) { return false; }
  }

  /* Whether the request may be sent with the volunteer's session. */
  function withSession(method, url, body, project) {
    if (method === "GET" || method === "HEAD") {
      return isThisProject(url, project) || SESSION_READS.test(url.pathname);
    }
    return savesForThisProject(method, url, body, project);
  }

  function send(request, project) {
    var url = new URL(request.path, window.location.origin);
    if (url.origin !== window.location.origin || !/^\/api(\/|$)/.test(url.pathname)) {
      return Promise.reject(new Error("not the site's API"));
    }
    var method = String(request.method || "GET").toUpperCase();
    var headers = {};
    FORWARDED_HEADERS.forEach(function (name) {
      if (request.headers && request.headers[name]) { headers[name] = request.headers[name]; }
    });
    var session = withSession(method, url, request.body, project);
    if (session && UNSAFE.test(method)) { headers["X-CSRFToken"] = csrfToken(); }
    return window.fetch(url.href, {
      method: method,
      headers: headers,
      body: method === "GET" || method === "HEAD" ? undefined : request.body,
      credentials: session ? "same-origin" : "omit",
      cache: "no-store",
      redirect: "follow"
    }).then(function (response) {
      return response.text().then(function (text) {
        var answerHeaders = {};
        ["content-type", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"].forEach(function (name) {
          if (response.headers.has(name)) { answerHeaders[name] = response.headers.get(name); }
        });
        return { status: response.status, statusText: response.statusText, headers: answerHeaders, body: text };
      });
    });
  }

  /* The presenter frame ``source`` is the window of (the contribution page has one; so has the editor's preview). */
  function frameOf(source) {
    var frames = document.querySelectorAll("iframe[data-pybossa-presenter]");
    for (var index = 0; index < frames.length; index += 1) {
      if (frames[index].contentWindow === source) { return frames[index]; }
    }
    return null;
  }

  // Listening from the page's head: the frame may ask before the page has finished loading.
  window.addEventListener("message", function (event) {
    var data = event.data;
    var frame = data && typeof data === "object" ? frameOf(event.source) : null;
    if (!frame) { return; }
    var project = { id: frame.dataset.projectId, shortName: frame.dataset.shortName };
    if (data.pybossa === "request" && data.kind === "api") {
      send(data.payload || {}, project).then(function (result) {
        event.source.postMessage({ pybossa: "response", id: data.id, result: result }, "*");
      }, function (error) {
        event.source.postMessage({ pybossa: "response", id: data.id, error: String(error) }, "*");
      });
    } else if (data.pybossa === "notice" && data.kind === "resize") {
      var height = Number(data.payload && data.payload.height);
      if (height > 0) { frame.style.height = Math.ceil(height) + "px"; }
    } else if (data.pybossa === "notice" && data.kind === "address" && frame.hasAttribute("data-follow-address")) {
      var path = String(data.payload && data.payload.path);
      if (path.indexOf("/project/" + project.shortName + "/") === 0 && path !== window.location.pathname &&
          window.history.pushState) {
        window.history.pushState({}, document.title, path);
      }
    }
  });
}(window, document));
