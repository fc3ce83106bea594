/*
 * pybossa-player.js: the media player the old theme gave presenters (Scifabric's app-soundcloud
 * calls it), written for this site from how presenters call it:
 *
 *   var player = PybossaPlayer(task.info.audio_url, 'sound-clip', true);  // url, element id, autoplay
 *   ...; player.destroy();
 *
 * A sound or video file plays in the browser's own <audio>/<video> element; a page of a player
 * service (SoundCloud, Vimeo, YouTube...) is embedded as that service's player frame.
 */
(function (window, document) {
  "use strict";

  var VIDEO = /\.(mp4|m4v|webm|ogv|mov)(\?|#|$)/i;
  var AUDIO = /\.(mp3|m4a|wav|ogg|oga|flac|aac|opus)(\?|#|$)/i;
  var SERVICES = [
    [/^https?:\/\/(www\.)?soundcloud\.com\//i, function (url) {
      return "https://w.soundcloud.com/player/?url=" + encodeURIComponent(url);
    }],
    [/^https?:\/\/(www\.)?vimeo\.com\/(\d+)/i, function (url, match) { return "https://player.vimeo.com/video/" + match[2]; }],
    [/^https?:\/\/(www\.)?youtube\.com\/watch\?v=([\w-]+)/i, function (url, match) {
      return "https://www.youtube.com/embed/" + match[2];
    }]
  ];

  function mediaElement(url, autoplay) {
    var element;
    for (var index = 0; index < SERVICES.length; index += 1) {
      var match = SERVICES[index][0].exec(url);
      if (match) {
        element = document.createElement("iframe");
        element.src = SERVICES[index][1](url, match) + (autoplay ? "&auto_play=true" : "");
        element.setAttribute("allow", "autoplay");
        element.style.border = "0";
        element.width = "100%";
        element.height = "166";
        return element;
      }
    }
    element = document.createElement(VIDEO.test(url) && !AUDIO.test(url) ? "video" : "audio");
    element.controls = true;
    element.preload = "auto";
    element.autoplay = Boolean(autoplay);
    element.src = url;
    element.style.maxWidth = "100%";
    return element;
  }

  function PybossaPlayer(url, elementId, autoplay) {
    var container = typeof elementId === "string" ? document.getElementById(elementId) : elementId;
    var element = mediaElement(String(url), autoplay);
    if (container) {
      container.innerHTML = "";
      container.appendChild(element);
    }
    return {
      element: element,
      play: function () { if (element.play) { element.play(); } },
      pause: function () { if (element.pause) { element.pause(); } },
      destroy: function () {
        if (element.pause) { element.pause(); }
        if (element.parentNode) { element.parentNode.removeChild(element); }
      }
    };
  }

  window.PybossaPlayer = window.pybossaPlayer = PybossaPlayer;
}(window, document));
