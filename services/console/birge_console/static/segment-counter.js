// A live SMS segment counter for a <textarea data-segments-max="N" data-segments-output="id">.
// It counts as birge_shared.sms.segments does (GSM 03.38: 160/153 septets, or UCS-2 70/67
// code units once one character is outside GSM-7); the server counts again and decides.
(function () {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENDED = "\f^{}\\[~]|€";

  function pack(widths, single, part) {
    var total = widths.reduce(function (a, b) { return a + b; }, 0);
    if (total === 0) { return { characters: 0, segments: 0 }; }
    if (total <= single) { return { characters: total, segments: 1 }; }
    var segments = 1, used = 0;
    widths.forEach(function (width) {
      if (used + width > part) { segments += 1; used = 0; }
      used += width;
    });
    return { characters: total, segments: segments };
  }

  function count(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (c) { return BASIC.indexOf(c) >= 0 || EXTENDED.indexOf(c) >= 0; });
    if (gsm) {
      return pack(chars.map(function (c) { return EXTENDED.indexOf(c) >= 0 ? 2 : 1; }), 160, 153);
    }
    return pack(chars.map(function (c) { return c.codePointAt(0) > 0xFFFF ? 2 : 1; }), 70, 67);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }

  function attach(area) {
    var output = document.getElementById(area.getAttribute("data-segments-output"));
    var max = parseInt(area.getAttribute("data-segments-max"), 10);
    if (!output) { return; }
    function update() {
      var result = count(area.value.trim());
      var over = result.segments > max;
      output.textContent = fill(
        output.getAttribute(over ? "data-over" : "data-one"),
        { chars: result.characters, n: result.segments }
      );
      output.classList.toggle("error", over);
      area.setAttribute("aria-invalid", over ? "true" : "false");
    }
    area.addEventListener("input", update);
    update();
  }

  function start() {
    document.querySelectorAll("textarea[data-segments-max]").forEach(attach);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
