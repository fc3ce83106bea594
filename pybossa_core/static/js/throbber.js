/*
 * throbber.js: the loading spinner older presenters use (Scifabric's app-flickrperson of 2012),
 * written for this site from how they call it:
 *
 *   var spinner = new Throbber({color: 'black', size: 90});
 *   spinner.appendTo(document.getElementById('throbber'));
 *   spinner.start(); ... spinner.stop();
 */
(function (window, document) {
  "use strict";

  function Throbber(options) {
    if (!(this instanceof Throbber)) { return new Throbber(options); }
    options = options || {};
    var size = Number(options.size) || 32;
    this.element = document.createElement("div");
    this.element.className = "throbber";
    this.element.setAttribute("role", "progressbar");
    this.element.style.cssText = "box-sizing:border-box;border-radius:50%;display:none;" +
      "width:" + size + "px;height:" + size + "px;border:" + Math.max(2, Math.round(size / 10)) + "px solid " +
      (options.color || "#333") + ";border-right-color:transparent";
    this.animation = null;
  }

  Throbber.prototype.appendTo = function (parent) {
    if (parent) { parent.appendChild(this.element); }
    return this;
  };

  Throbber.prototype.start = function () {
    this.element.style.display = "block";
    if (!this.animation && this.element.animate) {
      this.animation = this.element.animate([{ transform: "rotate(0deg)" }, { transform: "rotate(360deg)" }],
                                            { duration: 900, iterations: Infinity });
    }
    return this;
  };

  Throbber.prototype.stop = function () {
    this.element.style.display = "none";
    if (this.animation) { this.animation.cancel(); this.animation = null; }
    return this;
  };

  window.Throbber = Throbber;
}(window, document));
