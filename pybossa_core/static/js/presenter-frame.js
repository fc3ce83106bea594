/*
 * presenter-frame.js: the first script of the sandboxed frame a task presenter runs in
 * (templates/projects/presenter_frame.html, docs/browser.md "Presenters run in a sandbox").
 *
 * The frame has an opaque origin: it holds no cookie, no CSRF token and no API key, and the
 * browser lets it read nothing of the site with the volunteer's session.  This script gives
 * the owner's code back what presenters need, through the contribution page around the frame
 * (static/js/presenter-host.js), by postMessage:
 *
 *   - every request to the site's /api/ (fetch, or XMLHttpRequest as jQuery's $.ajax makes it)
 *     is sent by the page, which decides whether it may carry the volunteer's session;
 *   - pybossa.js's change of address (/project/<short_name>/task/<id>) is made in the page;
 *   - the frame's height follows its content, so the page scrolls as one document;
 *   - a link the volunteer clicks opens in the whole tab.
 */
(function (window, document) {
  "use strict";

  if (window.pybossaBridge) { return; }
  var host = window.parent !== window ? window.parent : null;
  var pending = {};
  var counter = 0;

  /* Ask the page to do something; resolve with its answer. */
  function ask(kind, payload) {
    return new Promise(function (resolve, reject) {
      if (!host) { reject(new TypeError("the presenter is not inside its contribution page")); return; }
      counter += 1;
      pending[counter] = { resolve: resolve, reject: reject };
      host.postMessage({ pybossa: "request", id: counter, kind: kind, payload: payload }, "*");
    });
  }

  function tell(kind, payload) {
    if (host) { host.postMessage({ pybossa: "notice", kind: kind, payload: payload }, "*"); }
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== host || !data || data.pybossa !== "response" || !pending[data.id]) { return; }
    var waiting = pending[data.id];
    delete pending[data.id];
    if (data.error) { waiting.reject(new TypeError(data.error)); } else { waiting.resolve(data.result); }
  });

  /* The site's API as seen from the frame: same scheme, host and port, a path under /api/. */
  function siteApiPath(url) {
    var parsed = new URL(url, document.baseURI);
    if (parsed.protocol + "//" + parsed.host !== window.location.protocol + "//" + window.location.host) { return null; }
    return parsed.pathname === "/api" || parsed.pathname.indexOf("/api/") === 0 ? parsed.pathname + parsed.search : null;
  }

  function bridgedRequest(method, path, headers, body) {
    return ask("api", { method: method.toUpperCase(), path: path, headers: headers, body: body });
  }

  // -- fetch --------------------------------------------------------------------------------

  var nativeFetch = window.fetch;
  var NO_BODY_STATUSES = [101, 103, 204, 205, 304];
  window.fetch = function (input, init) {
    var request = new Request(input, init);
    var path = siteApiPath(request.url);
    if (path === null) { return nativeFetch.apply(window, arguments); }
    var headers = {};
    request.headers.forEach(function (value, name) { headers[name] = value; });
    return request.text().then(function (body) {
      return bridgedRequest(request.method, path, headers, body || null);
    }).then(function (answer) {
      var hasBody = NO_BODY_STATUSES.indexOf(answer.status) === -1;
      return new Response(hasBody ? answer.body : null,
                          { status: answer.status, statusText: answer.statusText, headers: answer.headers });
    });
  };

  // -- XMLHttpRequest (jQuery's $.ajax, $.getJSON, $.post) ------------------------------------

  var NativeXHR = window.XMLHttpRequest;

  /* An XMLHttpRequest whose requests to the site's API go through the page; others are native. */
  function BridgedXHR() {
    var xhr = new NativeXHR();
    Object.setPrototypeOf(xhr, BridgedXHR.prototype);
    return xhr;
  }
  BridgedXHR.prototype = Object.create(NativeXHR.prototype);
  BridgedXHR.prototype.constructor = BridgedXHR;
  ["UNSENT", "OPENED", "HEADERS_RECEIVED", "LOADING", "DONE"].forEach(function (name) {
    BridgedXHR[name] = NativeXHR[name];
  });

  ["readyState", "status", "statusText", "responseText", "response", "responseURL"].forEach(function (name) {
    var native = Object.getOwnPropertyDescriptor(NativeXHR.prototype, name);
    Object.defineProperty(BridgedXHR.prototype, name, {
      configurable: true,
      get: function () { return this._bridged ? this._bridged[name] : native.get.call(this); }
    });
  });

  function settle(xhr, answer) {
    var state = xhr._bridged;
    state.readyState = 4;
    state.status = answer.status;
    state.statusText = answer.statusText;
    state.responseText = state.response = answer.body || "";
    state.responseHeaders = answer.headers || {};
    ["readystatechange", "load", "loadend"].forEach(function (type) { xhr.dispatchEvent(new ProgressEvent(type)); });
  }

  function fail(xhr) {
    var state = xhr._bridged;
    state.readyState = 4;
    state.status = 0;
    ["readystatechange", "error", "loadend"].forEach(function (type) { xhr.dispatchEvent(new ProgressEvent(type)); });
  }

  BridgedXHR.prototype.open = function (method, url) {
    var path = siteApiPath(url);
    if (path === null) {
      this._bridged = null;
      return NativeXHR.prototype.open.apply(this, arguments);
    }
    this._bridged = { method: method, path: path, headers: {}, readyState: 1, status: 0, statusText: "",
                      responseText: "", response: "", responseURL: "", responseHeaders: {}, aborted: false };
    this.dispatchEvent(new ProgressEvent("readystatechange"));
  };

  BridgedXHR.prototype.setRequestHeader = function (name, value) {
    if (!this._bridged) { return NativeXHR.prototype.setRequestHeader.apply(this, arguments); }
    this._bridged.headers[String(name).toLowerCase()] = String(value);
  };

  BridgedXHR.prototype.send = function (body) {
    if (!this._bridged) { return NativeXHR.prototype.send.apply(this, arguments); }
    var xhr = this, state = this._bridged;
    var text = body === undefined || body === null ? null : String(body);
    bridgedRequest(state.method, state.path, state.headers, text).then(function (answer) {
      if (!state.aborted) { settle(xhr, answer); }
    }, function () {
      if (!state.aborted) { fail(xhr); }
    });
  };

  BridgedXHR.prototype.abort = function () {
    if (!this._bridged) { return NativeXHR.prototype.abort.apply(this, arguments); }
    this._bridged.aborted = true;
    this._bridged.readyState = 4;
    this.dispatchEvent(new ProgressEvent("abort"));
  };

  BridgedXHR.prototype.getResponseHeader = function (name) {
    if (!this._bridged) { return NativeXHR.prototype.getResponseHeader.apply(this, arguments); }
    var value = this._bridged.responseHeaders[String(name).toLowerCase()];
    return value === undefined ? null : value;
  };

  BridgedXHR.prototype.getAllResponseHeaders = function () {
    if (!this._bridged) { return NativeXHR.prototype.getAllResponseHeaders.apply(this, arguments); }
    var headers = this._bridged.responseHeaders;
    return Object.keys(headers).map(function (name) { return name + ": " + headers[name] + "\r\n"; }).join("");
  };

  BridgedXHR.prototype.overrideMimeType = function () {
    if (!this._bridged) { return NativeXHR.prototype.overrideMimeType.apply(this, arguments); }
  };

  window.XMLHttpRequest = BridgedXHR;

  // -- links --------------------------------------------------------------------------------

  /* A link the volunteer clicks opens in the whole tab, as it did when presenters were part of
     the page; links within the frame's document (#...) stay in it. */
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
    var href = link ? link.getAttribute("href") : "";
    if (!link || link.target || !href || href.charAt(0) === "#" || /^\s*javascript:/i.test(href)) { return; }
    link.target = "_top";
  }, true);

  // -- the frame's size ---------------------------------------------------------------------

  function reportHeight() {
    tell("resize", { height: document.documentElement.scrollHeight });
  }
  if (window.ResizeObserver) {
    document.addEventListener("DOMContentLoaded", function () {
      new window.ResizeObserver(reportHeight).observe(document.body);
    });
  }
  window.addEventListener("load", reportHeight);

  window.pybossaBridge = {
    framed: Boolean(host),
    /* Show ``path`` (a page of this project) in the page's address bar. */
    showAddress: function (path) { tell("address", { path: path }); }
  };
}(window, document));
