// Follow-up page: the token comes from the URL fragment (never sent to the server in the
// request line); it is posted to the API. A typed receipt code goes the same way.
(function () {
  "use strict";
  var messages = document.getElementById("messages").dataset;
  var result = document.getElementById("result");
  var problem = document.getElementById("problem");
  var done = document.getElementById("done");
  var pageLang = document.documentElement.lang.replace("-", "_");
  var params = new URLSearchParams(location.search);
  var secret = null; // {token} or {code}: kept in memory only

  // Furigana on a Japanese page (kiosk/ruby.py): "yes", "no", or undefined elsewhere.
  var furigana = document.documentElement.dataset.furiganaShown;

  function $(id) { return document.getElementById(id); }

  // A text from the API, as ruby over the kanji when furigana are on (ruby.js).
  function fill(element, text, segments) {
    window.TsunagiRuby.fill(element, text, furigana ? segments : null, furigana === "yes");
  }

  function show(data) {
    problem.hidden = true;
    var readings = data.furigana || {};
    fill($("status"), data.status_text, readings.status_text);
    var box = $("provider");
    if (data.provider) {
      fill($("provider-name"), data.provider.name, readings.provider_name);
      $("provider-phone").textContent = data.provider.phone;
      $("provider-phone").href = "tel:" + data.provider.phone;
      fill($("provider-hours"), data.provider.hours, readings.provider_hours);
      // The kind of office, and beside a translated name the official Japanese one with
      // its reading (to match the sign on the door); the languages the office speaks.
      var p = data.provider;
      $("provider-kind").textContent = p.kind || "";
      var official = p.official_name && p.official_name !== p.name && (data.locale || "").slice(0, 2) !== "ja";
      $("provider-official").hidden = !official;
      $("provider-official-name").textContent = official ? p.official_name : "";
      $("provider-reading").textContent = official && p.reading ? "（" + p.reading + "）" : "";
      $("provider-romaji").hidden = !(official && p.translated && p.romaji);
      $("provider-romaji").textContent = p.translated ? (p.romaji || "") : "";
      $("provider-languages").textContent = p.languages || "";
      box.hidden = false;
    } else {
      box.hidden = true;
    }
    $("message-form").hidden = !data.can_message;
    $("withdraw").hidden = data.consent_withdrawn || !data.can_message;
    result.hidden = false;
  }

  function fail(text) {
    problem.textContent = text;
    problem.hidden = false;
  }

  function post(path, extra) {
    var body = Object.assign({}, secret, extra || {});
    if (params.get("lang")) body.locale = params.get("lang");
    if (furigana) body.furigana = true;
    return fetch(path, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(body),
      credentials: "omit"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {response: response, data: data};
      });
    });
  }

  function handle(r, onOk) {
    if (r.response.ok) { onOk(r.data); return; }
    done.hidden = true;
    if (r.response.status === 429) fail(messages.busy);
    else if (r.data.code === "check_symbol") fail(messages.check);
    else if (r.response.status === 404) { result.hidden = true; fail(messages.notFound); }
    else if (r.response.status === 409 && r.data.status_text) {
      // Nobody receives this consultation: the status says where to go instead.
      show({status_text: r.data.status_text, provider: r.data.provider, can_message: false,
            consent_withdrawn: true});
    }
    else fail(messages.error);
  }

  function lookup(given) {
    secret = given;
    post("/api/v1/follow-up").then(function (r) {
      handle(r, function (data) {
        // Show the page in the language chosen at intake unless one was picked.
        if (!params.get("lang") && data.locale && data.locale !== pageLang && secret.token) {
          location.replace("/f?lang=" + encodeURIComponent(data.locale) + location.hash);
          return;
        }
        show(data);
      });
    }).catch(function () { fail(messages.error); });
  }

  var token = location.hash.slice(1);
  if (token) lookup({token: token});
  // Switching language or furigana keeps the token, which lives only in the fragment.
  Array.prototype.forEach.call(document.querySelectorAll("a.lang-link, a.furigana-toggle"), function (link) {
    link.addEventListener("click", function () { link.href = link.href.split("#")[0] + location.hash; });
  });

  $("code-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var code = $("code").value;
    if (code.trim()) lookup({code: code});
  });

  $("message-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("message").value.trim();
    if (!text) return;
    post("/api/v1/follow-up/messages", {body: text}).then(function (r) {
      handle(r, function (data) {
        $("message").value = "";
        show(data);
        done.textContent = messages.sent;
        done.hidden = false;
      });
    }).catch(function () { fail(messages.error); });
  });

  $("withdraw-start").addEventListener("click", function () { $("withdraw-confirm").hidden = false; });
  $("withdraw-no").addEventListener("click", function () { $("withdraw-confirm").hidden = true; });
  $("withdraw-yes").addEventListener("click", function () {
    post("/api/v1/follow-up/withdraw").then(function (r) {
      handle(r, function (data) {
        $("withdraw-confirm").hidden = true;
        show(data);
        done.textContent = messages.withdrawn;
        done.hidden = false;
      });
    }).catch(function () { fail(messages.error); });
  });
})();
