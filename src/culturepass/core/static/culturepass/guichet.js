/* Guichet (pro box office): progressive enhancement only, the page works without it.
 * - live hints while typing a booking code: characters left, characters not allowed;
 * - QR code scanning with the device camera where the browser has the BarcodeDetector
 *   API (no external library); elsewhere the scan button stays hidden.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, name) {
      return String(values[name]);
    });
  }

  function setupHints(form) {
    var input = form.querySelector(".booking-code-input");
    var hint = form.querySelector("[data-code-hint]");
    if (!input || !hint) return null;
    var length = parseInt(input.dataset.codeLength || "6", 10);
    var alphabet = input.dataset.codeAlphabet || "";
    var update = function () {
      var code = input.value.replace(/\s+/g, "").toUpperCase();
      var wrong = [];
      for (var i = 0; i < code.length; i++) {
        if (alphabet.indexOf(code[i]) < 0 && wrong.indexOf(code[i]) < 0) wrong.push(code[i]);
      }
      var text;
      if (wrong.length) {
        text = format(hint.dataset.badChars, { chars: wrong.join(" ") });
      } else if (code.length > length) {
        text = hint.dataset.tooLong;
      } else if (code.length === length) {
        text = hint.dataset.complete;
      } else if (code.length === 0) {
        text = "";
      } else {
        var left = length - code.length;
        text = format(left === 1 ? hint.dataset.leftOne : hint.dataset.leftMany, { count: left });
      }
      if (hint.textContent !== text) hint.textContent = text;
    };
    input.addEventListener("input", update);
    update();
    return input;
  }

  function setupScanner(form, input) {
    var start = form.querySelector("[data-scan-start]");
    var panel = form.querySelector("[data-scanner]");
    var video = form.querySelector("[data-scan-video]");
    var status = form.querySelector("[data-scan-status]");
    var stop = form.querySelector("[data-scan-stop]");
    if (!start || !panel || !video || !input) return;
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices ||
        !navigator.mediaDevices.getUserMedia) return;
    var detector;
    try {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (_error) {
      return;
    }
    var stream = null;
    var timer = null;
    var alphabet = input.dataset.codeAlphabet || "";
    var length = parseInt(input.dataset.codeLength || "6", 10);
    var pattern = new RegExp("^[" + alphabet + "]{" + length + "}$");

    function halt() {
      if (timer) window.clearTimeout(timer);
      timer = null;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.srcObject = null;
      panel.hidden = true;
      start.hidden = false;
    }

    function tick() {
      detector.detect(video).then(function (codes) {
        for (var i = 0; i < codes.length; i++) {
          var value = String(codes[i].rawValue || "").replace(/\s+/g, "").toUpperCase();
          if (pattern.test(value)) {
            halt();
            input.value = value;
            input.dispatchEvent(new Event("input"));
            form.requestSubmit ? form.requestSubmit() : form.submit();
            return;
          }
        }
        timer = window.setTimeout(tick, 250);
      }).catch(function () {
        timer = window.setTimeout(tick, 500);
      });
    }

    start.hidden = false;
    start.addEventListener("click", function () {
      panel.hidden = false;
      start.hidden = true;
      status.textContent = status.dataset.scanning;
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          return video.play();
        })
        .then(tick)
        .catch(function () {
          halt();
          panel.hidden = false;
          start.hidden = true;
          status.textContent = status.dataset.noCamera;
          input.focus();
        });
    });
    stop.addEventListener("click", function () {
      halt();
      input.focus();
    });
    window.addEventListener("pagehide", halt);
  }

  document.querySelectorAll("form[data-guichet]").forEach(function (form) {
    var input = setupHints(form);
    setupScanner(form, input);
  });
})();
