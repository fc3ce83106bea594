/* The task presenter editor: CodeMirror 5 on the presenter's textarea, and a preview.
 *
 * The preview is an <iframe srcdoc> holding what the contribution page would (the site's CSS,
 * jQuery, pybossa.js, the CSRF meta tag, then the presenter), so the presenter runs against the
 * site's API.  A srcdoc document cannot change its address, so pybossa.js's pushState of each
 * task's address is turned off inside it.  The preview follows the code a moment after each edit.
 */
(function (window, document) {
  "use strict";

  var REFRESH_DELAY_MS = 800;

  function escapeAttribute(text) {
    return String(text).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  }

  function previewDocument(frame, code) {
    var data = frame.dataset;
    var head = [
      '<meta charset="utf-8">',
      '<meta name="csrf-token" content="' + escapeAttribute(data.csrfToken) + '">',
      '<link rel="stylesheet" href="' + escapeAttribute(data.css) + '">'
    ];
    data.scripts.split(" ").forEach(function (src) {
      head.push('<script src="' + escapeAttribute(src) + '"><\/script>');
    });
    head.push("<script>window.history.pushState = function () {};<\/script>");
    return "<!DOCTYPE html><html><head>" + head.join("") + '</head><body><main style="padding: 0.5rem">' +
      code + "</main></body></html>";
  }

  function start() {
    var textarea = document.getElementById("editor");
    var frame = document.getElementById("preview");
    if (!textarea || !frame) { return; }
    var editor = window.CodeMirror ? window.CodeMirror.fromTextArea(textarea, {
      mode: "htmlmixed", lineNumbers: true, lineWrapping: true, indentUnit: 2
    }) : null;
    var code = function () { return editor ? editor.getValue() : textarea.value; };
    var show = function () { frame.srcdoc = previewDocument(frame, code()); };
    var timer = null;
    var later = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(show, REFRESH_DELAY_MS);
    };
    if (editor) { editor.on("change", later); } else { textarea.addEventListener("input", later); }
    document.getElementById("preview-button").addEventListener("click", show);
    window.presenterEditor = editor;
    show();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})(window, document);
