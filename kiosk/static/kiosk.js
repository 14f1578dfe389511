/* Kiosk screens: idle reset with a warning, quick exit, receipt printing.
 *
 * The next person at the kiosk must find nothing of the last one. After
 * data-idle-seconds without input a dialog counts down data-warning-seconds
 * (WCAG 2.2.1: at least 20 s, one tap to continue); at zero the page is wiped and
 * the quick exit form is posted, whose response deletes the server-side draft and
 * sends Clear-Site-Data. No framework, no storage of our own: CSP is script-src 'self'.
 */
(function () {
  "use strict";

  // A page restored from the back/forward cache would show what the last resident saw;
  // fetch it again instead, so the server (which has forgotten them) decides.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      window.location.reload();
    }
  });

  var stopReading = readAloud();

  var quit = document.getElementById("quit");
  var printButton = document.getElementById("print-receipt");
  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }
  if (!quit) {
    return;
  }

  var idleMs = Number(quit.dataset.idleSeconds) * 1000;
  var warningMs = Number(quit.dataset.warningSeconds) * 1000;
  var dialog = document.getElementById("idle-warning");
  var count = document.getElementById("idle-count");
  var keepGoing = document.getElementById("idle-continue");
  var lastInput = Date.now();
  var warningSince = null;
  var leaving = false;

  function wipePage() {
    // Blank every answer on the page before anything else can read it, then drop the
    // page's content; the quit form (outside <main>) carries only its CSRF token.
    var main = document.getElementById("main");
    if (main) {
      main.querySelectorAll("input, textarea, select").forEach(function (field) {
        if (field.type === "checkbox" || field.type === "radio") {
          field.checked = false;
        } else if (field.type !== "hidden" && field.type !== "submit" && field.type !== "button") {
          field.value = "";
        }
      });
      main.replaceChildren();
    }
    stopReading();
    try { window.localStorage.clear(); } catch (e) { /* storage disabled */ }
    try { window.sessionStorage.clear(); } catch (e) { /* storage disabled */ }
    // The response's Clear-Site-Data empties IndexedDB and Cache Storage as well; this
    // starts it even if that response never arrives.
    if (window.indexedDB && indexedDB.databases) {
      indexedDB.databases().then(function (dbs) {
        dbs.forEach(function (db) { indexedDB.deleteDatabase(db.name); });
      }).catch(function () {});
    }
    if (window.caches) {
      caches.keys().then(function (keys) {
        keys.forEach(function (key) { caches.delete(key); });
      }).catch(function () {});
    }
  }

  function leave() {
    if (leaving) {
      return;
    }
    leaving = true;
    if (dialog && dialog.open) {
      dialog.close();
    }
    wipePage();
    quit.submit();
  }

  function showWarning() {
    warningSince = Date.now();
    if (dialog && !dialog.open) {
      dialog.showModal();
    }
    tick();
  }

  function hideWarning() {
    warningSince = null;
    lastInput = Date.now();
    if (dialog && dialog.open) {
      dialog.close();
    }
  }

  function tick() {
    if (leaving) {
      return;
    }
    var now = Date.now();
    if (warningSince === null) {
      if (now - lastInput >= idleMs) {
        showWarning();
      }
      return;
    }
    var left = Math.max(0, Math.ceil((warningSince + warningMs - now) / 1000));
    if (count) {
      count.textContent = String(left);
    }
    if (left === 0) {
      leave();
    }
  }

  function activity() {
    // While the warning is up only its button (or Escape) continues: a stray touch on
    // the backdrop must not hide a countdown the resident has not read.
    if (warningSince === null) {
      lastInput = Date.now();
    }
  }

  ["pointerdown", "keydown", "input", "wheel", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, activity, { capture: true, passive: true });
  });
  if (keepGoing) {
    keepGoing.addEventListener("click", hideWarning);
  }
  if (dialog) {
    // Escape closes a modal dialog: treat it as "continue", the same single action.
    dialog.addEventListener("cancel", function (event) {
      event.preventDefault();
      hideWarning();
    });
  }
  quit.addEventListener("submit", function () {
    leaving = true;
    wipePage();
  });
  // Timestamps, not counted ticks: a throttled timer must not stretch the countdown.
  window.setInterval(tick, 250);

  /* Read-aloud buttons (one per question): shown only when something can speak the page's
   * language, so a resident never meets a button that says nothing. The device's own voice
   * comes first; else the server's audio of the question (data-audio), when the server has
   * a voice for the language. Returns what stops the reading (quick exit, idle reset). */
  function readAloud() {
    var buttons = document.querySelectorAll("button.read-aloud");
    var synth = window.speechSynthesis && window.SpeechSynthesisUtterance ? window.speechSynthesis : null;
    var player = null;
    function stop() {
      if (synth) {
        synth.cancel();
      }
      if (player) {
        player.pause();
        player.removeAttribute("src");
        player.load();
        player.remove();
        player = null;
      }
    }
    if (!buttons.length) {
      return stop;
    }
    var lang = (document.documentElement.lang || "").toLowerCase();
    function voiceFor() {
      if (!synth) {
        return null;
      }
      var voices = synth.getVoices();
      var base = lang.split("-")[0];
      return voices.find(function (v) { return v.lang.toLowerCase().replace("_", "-") === lang; }) ||
        voices.find(function (v) { return v.lang.toLowerCase().split(/[-_]/)[0] === base; }) || null;
    }
    // The words as written: furigana readings (rt, and the brackets in rp) are not read twice.
    function spoken(element) {
      var copy = element.cloneNode(true);
      copy.querySelectorAll("rt, rp").forEach(function (node) { node.remove(); });
      return copy.textContent.trim();
    }
    function textOf(question) {
      var parts = [];
      var title = question.querySelector("legend, label[for]");
      if (title) {
        parts.push(spoken(title));
      }
      question.querySelectorAll("label.option").forEach(function (option) {
        parts.push(spoken(option));
      });
      return parts.join(". ");
    }
    function update() {
      var voice = voiceFor();
      buttons.forEach(function (button) { button.hidden = !voice && !button.dataset.audio; });
      return voice;
    }
    function play(address) {
      // One player for the page, in the page: the quick exit's wipe takes it away with the rest.
      player = document.createElement("audio");
      player.className = "read-aloud-audio";
      player.preload = "auto";
      player.src = address;
      (document.getElementById("main") || document.body).appendChild(player);
      var started = player.play();
      if (started) {
        started.catch(function () { /* stopped before it started, or no audio output */ });
      }
    }
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        stop();
        var voice = update();
        if (voice) {
          var utterance = new SpeechSynthesisUtterance(textOf(button.closest(".question")));
          utterance.voice = voice;
          utterance.lang = voice.lang;
          synth.speak(utterance);
        } else if (button.dataset.audio) {
          play(button.dataset.audio);
        }
      });
    });
    update();
    if (synth) {
      synth.addEventListener("voiceschanged", update);
    }
    // Leaving the page (a step sent, back) ends the reading too.
    window.addEventListener("pagehide", stop);
    return stop;
  }
})();
