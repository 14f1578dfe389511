// Furigana drawn from the API's segments ({text, reading?}), shared by the follow-up page
// and the outreach app. The reading is a visual aid, hidden from assistive technology,
// which reads the kanji themselves (as on the pages the server annotates, kiosk/ruby.py).
window.TsunagiRuby = (function () {
  "use strict";

  // `text` into `element`; with `segments`, as ruby over the kanji, or the words alone
  // (written readings dropped) when `withReadings` is false.
  function fill(element, text, segments, withReadings) {
    if (!segments) { element.textContent = text; return; }
    element.textContent = "";
    segments.forEach(function (segment) {
      var piece = document.createTextNode(segment.text);
      if (!segment.reading || !withReadings) { element.appendChild(piece); return; }
      var ruby = document.createElement("ruby");
      var open = document.createElement("rp"), rt = document.createElement("rt"), close = document.createElement("rp");
      open.textContent = "("; rt.textContent = segment.reading; close.textContent = ")";
      rt.setAttribute("aria-hidden", "true");
      ruby.append(piece, open, rt, close);
      element.appendChild(ruby);
    });
  }

  return {fill: fill};
})();
