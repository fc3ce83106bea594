/* The task presenter editor: CodeMirror 5 on the presenter's textarea, and a preview.
 *
 * The preview posts the presenter as it is in the editor (saved or not) into its frame: the same
 * sandboxed frame as the contribution page's (views.presenter_frame), connected to this page by
 * presenter-host.js, so the presenter runs against the site's API as it will for volunteers.
 * The preview follows the code a moment after each edit, and the environment chosen beside it.
 */
(function (window, document) {
  "use strict";

  var REFRESH_DELAY_MS = 800;

  function start() {
    var textarea = document.getElementById("editor");
    var form = document.getElementById("preview-form");
    if (!textarea || !form) { return; }
    var editor = window.CodeMirror ? window.CodeMirror.fromTextArea(textarea, {
      mode: "htmlmixed", lineNumbers: true, lineWrapping: true, indentUnit: 2
    }) : null;
    var code = function () { return editor ? editor.getValue() : textarea.value; };
    var environment = document.getElementById("environment");
    var show = function () {
      form.elements.editor.value = code();
      form.elements.environment.value = environment ? environment.value : "";
      form.submit();
    };
    var timer = null;
    var later = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(show, REFRESH_DELAY_MS);
    };
    if (editor) { editor.on("change", later); } else { textarea.addEventListener("input", later); }
    if (environment) { environment.addEventListener("change", show); }
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
