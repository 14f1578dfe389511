// The outreach app: sign-in, choice of location, the intake form built from the form spec,
// consent (self / verbal / proxy), and the queue of intakes not sent yet. Every text comes
// from the page (rendered by the server in its locale). Answers live in memory until the
// intake is queued (encrypted, queue.js); nothing of a resident stays once it is sent.
// Keep in touch: contacts with people who have not consented yet, under a random reference
// (the worker's label for them stays on the phone), queued and sent like intakes.
(function () {
  "use strict";

  var store = window.OutreachStore;
  var messages = document.getElementById("messages").dataset;
  var session = null;   // {username, token, expiresAt, locations, location}
  var spec = null;      // the form spec of this locale
  var draft = null;     // {answers, stepIndex, urgentSeen, person?, location?} of the intake being taken
  var person = null;    // {ref, label, location, last, next} of the person screen
  var shownItem = null; // {id, scopes} of the intake whose receipt the result screen waits for
  var sending = null;   // the running send, so that two never overlap
  var retryTimer = null;

  function $(id) { return document.getElementById(id); }

  // A text of the form spec, with ruby over its kanji when the spec has its readings
  // (Japanese; ruby.js); whether they show is the page's furigana setting (the toggle below).
  function fill(element, text) {
    window.TsunagiRuby.fill(element, text, spec && spec.readings && spec.readings[text], true);
  }

  // Furigana on or off, in the page only: a reload would lose the answers held in memory.
  var furiganaToggle = $("furigana-toggle");
  function showFurigana(on) {
    document.documentElement.dataset.furiganaShown = on ? "yes" : "no";
    furiganaToggle.textContent = on ? furiganaToggle.dataset.hide : furiganaToggle.dataset.show;
    furiganaToggle.setAttribute("aria-pressed", on ? "true" : "false");
  }
  if (furiganaToggle) {
    furiganaToggle.addEventListener("click", function () {
      showFurigana(document.documentElement.dataset.furiganaShown !== "yes");
    });
  }

  function format(text, values) {
    return text.replace(/%\((\w+)\)[sd]/g, function (_m, name) { return values[name]; });
  }

  function show(id) {
    ["starting", "signin", "home", "people", "person", "intake", "urgent", "consent", "result"].forEach(function (s) {
      $(s).hidden = s !== id;
    });
    var heading = $(id).querySelector("h1");
    if (heading && heading.hasAttribute("tabindex")) heading.focus();
    window.scrollTo(0, 0);
  }

  function showConnection() {
    var el = $("connection");
    el.textContent = navigator.onLine ? el.dataset.online : el.dataset.offline;
    el.className = "connection " + (navigator.onLine ? "online" : "offline");
  }

  // --- sign-in ------------------------------------------------------------------------

  function api(method, path, body, headers) {
    var h = Object.assign({"Accept": "application/json"}, headers || {});
    if (session) h.Authorization = "Bearer " + session.token;
    if (body !== undefined) h["Content-Type"] = "application/json";
    return fetch(path, {method: method, headers: h, credentials: "omit", cache: "no-store",
                        body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return {status: response.status, data: data};
        });
      });
  }

  function signinError(text) {
    $("signin-error").textContent = text;
    $("signin-error").hidden = false;
  }

  $("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    $("signin-error").hidden = true;
    var username = $("username").value.trim();
    var password = $("password").value;
    if (!username || !password) { signinError(messages.signinFailed); return; }
    store.queueOwner().then(function (owner) {
      if (owner && owner !== username) { signinError(messages.signinOther); return null; }
      return api("POST", "/api/v1/tokens", {username: username, password: password}).then(function (r) {
        if (r.status === 201) {
          $("password").value = "";
          session = {username: r.data.user.username, token: r.data.token, expiresAt: r.data.expires_at};
          return api("GET", "/api/v1/locations").then(function (l) {
            session.locations = l.status === 200 ? l.data : [];
            session.location = session.locations.length ? session.locations[0].id : null;
            return store.saveSession(session);
          }).then(enterHome);
        }
        signinError(r.status === 403 ? messages.signinRole : r.status === 429 ? messages.busy : messages.signinFailed);
        return null;
      });
    }).catch(function () { signinError(messages.signinOffline); });
  });

  function signOutNow() {
    var token = session && session.token;
    if (token) {
      // Revoke on the server when there is a connection; offline, the token expires.
      api("DELETE", "/api/v1/tokens/current").catch(function () {});
    }
    return store.clearAll().then(function () {
      session = null;
      draft = null;
      person = null;
      $("signout-confirm").hidden = true;
      show("signin");
    });
  }

  $("signout").addEventListener("click", function () {
    Promise.all([store.list(), store.listPeople(session.username)]).then(function (found) {
      var items = found[0], people = found[1];
      if (!items.length && !people.length) return signOutNow();
      // Signing out deletes the unsent items and the people list: said first.
      var warning = [];
      if (items.length) warning.push(format(messages.signoutUnsent, {count: items.length}));
      if (people.length) warning.push(format(messages.signoutPeople, {count: people.length}));
      $("signout-warning").textContent = warning.join(" ");
      $("signout-send").hidden = !items.length;
      $("signout-confirm").hidden = false;
      (items.length ? $("signout-send") : $("signout-cancel")).focus();
      return null;
    });
  });
  $("signout-cancel").addEventListener("click", function () { $("signout-confirm").hidden = true; });
  $("signout-discard").addEventListener("click", signOutNow);
  $("signout-send").addEventListener("click", function () {
    $("signout-confirm").hidden = true;
    sendQueue().then(function () {
      return store.list();
    }).then(function (items) {
      if (!items.length) signOutNow();
    });
  });

  // --- home: location and queue ----------------------------------------------------------

  function enterHome() {
    $("worker").textContent = format(messages.signedIn, {name: session.username});
    var select = $("location");
    select.textContent = "";
    (session.locations || []).forEach(function (loc) {
      var option = document.createElement("option");
      option.value = loc.id;
      option.textContent = loc.name;
      option.selected = loc.id === session.location;
      select.appendChild(option);
    });
    $("new-intake").disabled = !session.location;
    if (!session.location) {
      $("queue-error").textContent = messages.noLocations;
      $("queue-error").hidden = false;
    }
    show("home");
    renderQueue();
    sendQueue();
  }

  $("location").addEventListener("change", function () {
    session.location = $("location").value;
    store.updateSession({location: session.location});
  });

  var ERRORS = {
    offline: "errorOffline", busy: "errorBusy", signin: "errorSignin", consent: "errorConsent",
    rejected: "errorRejected", unreadable: "errorUnreadable"
  };
  // Errors of the whole round (shown once above the list) and of one intake (on its row).
  var ROUND_ERRORS = ["offline", "busy", "signin"];

  function renderQueue() {
    return store.list().then(function (items) {
      $("queue-count").textContent = items.length
        ? format(messages.queueCount, {count: items.length}) : messages.queueEmpty;
      $("send-now").hidden = !items.length;
      var list = $("queue-items");
      list.textContent = "";
      var last = null;
      items.forEach(function (item) {
        var row = $("queue-item-template").content.firstElementChild.cloneNode(true);
        row.dataset.id = item.id;
        row.querySelector(".queue-item-time").textContent =
          format(item.type === "contact" ? messages.contactSavedAt : messages.savedAt,
                 {time: new Date(item.createdAt).toLocaleString(messages.lang)});
        var own = item.lastError && ROUND_ERRORS.indexOf(item.lastError) === -1;
        row.querySelector(".queue-item-error").textContent = own ? messages[ERRORS[item.lastError]] : "";
        var confirm = row.querySelector(".confirm");
        row.querySelector(".queue-discard").addEventListener("click", function () {
          confirm.hidden = false;
          row.querySelector(".queue-discard-no").focus();
        });
        row.querySelector(".queue-discard-no").addEventListener("click", function () { confirm.hidden = true; });
        row.querySelector(".queue-discard-yes").addEventListener("click", function () {
          store.remove(item.id).then(renderQueue);
        });
        list.appendChild(row);
        if (item.lastError && ROUND_ERRORS.indexOf(item.lastError) !== -1) last = item.lastError;
      });
      $("queue-error").hidden = !last;
      if (last) $("queue-error").textContent = messages[ERRORS[last]];
      return renderSent().then(function () { return items; });
    });
  }

  // The intakes sent in the last day with their receipt codes, for the worker to give.
  function renderSent() {
    if (!session) return Promise.resolve();
    return store.listSent(session.username).then(function (rows) {
      $("sent").hidden = !rows.length;
      var list = $("sent-items");
      list.textContent = "";
      rows.forEach(function (row) {
        var li = $("sent-item-template").content.firstElementChild.cloneNode(true);
        li.querySelector(".sent-item-time").textContent =
          format(messages.savedAt, {time: new Date(row.createdAt).toLocaleString(messages.lang)});
        li.querySelector(".sent-item-office").textContent = row.office;
        li.querySelector(".code").textContent = row.code;
        li.querySelector(".sent-given").addEventListener("click", function () {
          store.removeSent(row.id).then(renderSent);
        });
        list.appendChild(li);
      });
    });
  }

  // Send every queued intake of the signed-in worker, oldest first. 201 (also a replay of
  // an earlier 201) deletes it at once. A connection problem, a busy server or an ended
  // sign-in stop the round and leave the rest for later; a refusal marks only that item.
  function sendQueue() {
    if (sending) return sending;
    if (!session) return Promise.resolve();
    sending = store.list().then(function (items) {
      var mine = items.filter(function (i) { return i.owner === session.username; });
      var stop = false;
      return mine.reduce(function (chain, item) {
        return chain.then(function () {
          if (stop) return null;
          return store.open(item.id).then(function (sealed) {
            return api("POST", sealed.path || "/api/v1/intakes", sealed.body, {"Idempotency-Key": sealed.key})
              .then(function (r) {
                if (r.status === 201 && sealed.path) {
                  // A contact: nothing to give anyone; the person's screen shows it from the server.
                  return store.remove(item.id);
                }
                if (r.status === 201 && sealed.body.person) {
                  // The person consented and their contacts joined the intake: off the list.
                  store.removePerson(sealed.body.person);
                }
                if (r.status === 201) {
                  // The resident in front of the result screen gets the receipt there; for one
                  // who has gone, the code stays on the list of sent intakes for the worker to give.
                  var provider = r.data.decision.provider;
                  var present = shownItem && shownItem.id === item.id && !$("result").hidden;
                  return store.remove(item.id).then(function () {
                    if (present) return null;
                    return store.addSent(session.username, item.createdAt,
                                         {code: r.data.follow_up.short_code, office: provider ? provider.name : ""});
                  }).then(function () { acknowledged(item.id, r.data); });
                }
                var code = r.status === 401 ? "signin"
                  : (r.status === 409 || r.status === 429 || r.status >= 500) ? "busy"
                  : r.data.code === "consent_version" ? "consent" : "rejected";
                if (code === "signin" || code === "busy") stop = true;
                return store.setError(item.id, code);
              }, function () {
                stop = true;
                return store.setError(item.id, "offline");
              });
          }, function () { return store.setError(item.id, "unreadable"); });
        });
      }, Promise.resolve()).then(function () {
        return stop;
      });
    }).then(function (stopped) {
      sending = null;
      return renderQueue().then(function (items) {
        scheduleRetry(stopped && items.length);
        if (items.some(function (i) { return i.lastError === "signin"; })) expireSession();
      });
    }, function (error) {
      sending = null;
      throw error;
    });
    return sending;
  }

  function scheduleRetry(needed) {
    clearTimeout(retryTimer);
    if (needed && navigator.onLine) retryTimer = setTimeout(sendQueue, 30000);
  }

  function expireSession() {
    // The sign-in ended: the queue and its key stay for the same worker's next sign-in.
    session = null;
    store.endSession().then(function () {
      if (!$("home").hidden || !$("people").hidden || !$("person").hidden) show("signin");
    });
  }

  $("send-now").addEventListener("click", function () { sendQueue(); });
  window.addEventListener("online", function () { showConnection(); sendQueue(); });
  window.addEventListener("offline", showConnection);

  // --- the intake form ------------------------------------------------------------------

  function visibleSteps() {
    return spec.steps.filter(function (step) {
      return Object.keys(step.show_if || {}).every(function (qid) {
        var given = draft.answers[qid];
        given = Array.isArray(given) ? given : [given];
        return step.show_if[qid].some(function (v) { return given.indexOf(v) !== -1; });
      });
    });
  }

  // The answers of the steps still shown: an answer a later change hid does not count.
  function shownAnswers() {
    var shown = {};
    visibleSteps().forEach(function (s) { s.questions.forEach(function (q) { shown[q.id] = true; }); });
    var answers = {};
    Object.keys(draft.answers).forEach(function (k) {
      var v = draft.answers[k];
      if (shown[k] && v !== null && v !== undefined && v !== "") answers[k] = v;
    });
    return answers;
  }

  // Urgent as the server's triage policy says (its conditions come with the form spec).
  function isUrgent() {
    return window.TsunagiConditions.urgency(spec.urgency, shownAnswers()).length > 0;
  }

  function choiceQuestion(q, multiple) {
    var fieldset = document.createElement("fieldset");
    fieldset.className = "question";
    fieldset.id = "q-" + q.id;
    var legend = document.createElement("legend");
    fill(legend, q.label);
    fieldset.appendChild(legend);
    fieldset.appendChild(errorLine(q.id));
    var list = document.createElement("ul");
    list.className = "choices";
    var current = draft.answers[q.id];
    q.choices.forEach(function (c) {
      var li = document.createElement("li");
      var label = document.createElement("label");
      label.className = "option";
      var input = document.createElement("input");
      input.type = multiple ? "checkbox" : "radio";
      input.name = q.id;
      input.value = c.value;
      input.checked = multiple ? (current || []).indexOf(c.value) !== -1 : current === c.value;
      var span = document.createElement("span");
      fill(span, c.label);
      label.appendChild(input);
      label.appendChild(document.createTextNode(" "));
      label.appendChild(span);
      li.appendChild(label);
      list.appendChild(li);
    });
    fieldset.appendChild(list);
    return fieldset;
  }

  function errorLine(id) {
    var p = document.createElement("p");
    p.className = "error";
    p.id = id + "-error";
    p.hidden = true;
    return p;
  }

  function textQuestion(q) {
    var div = document.createElement("div");
    div.className = "question";
    div.id = "q-" + q.id;
    var label = document.createElement("label");
    label.htmlFor = q.id;
    fill(label, q.label);
    div.appendChild(label);
    div.appendChild(errorLine(q.id));
    var input = document.createElement(q.multiline ? "textarea" : "input");
    if (input.tagName === "INPUT") {
      input.type = {phone: "tel", email: "email", date: "date"}[q.type] || "text";
    }
    if (q.type === "phone") input.inputMode = "tel";
    input.id = q.id;
    input.name = q.id;
    input.autocomplete = "off";
    if (q.max_length) input.maxLength = q.max_length;
    input.value = draft.answers[q.id] || "";
    div.appendChild(input);
    return div;
  }

  function renderStep() {
    var steps = visibleSteps();
    var step = steps[draft.stepIndex];
    $("step-progress").textContent = (draft.stepIndex + 1) + " / " + steps.length;
    $("step-progress").setAttribute("aria-label",
      format(messages.stepOf, {n: draft.stepIndex + 1, t: steps.length}));
    fill($("step-title"), step.title);
    $("step-error").hidden = true;
    var box = $("step-questions");
    box.textContent = "";
    step.questions.forEach(function (q) {
      var single = q.type === "single" || q.type === "yesno" || q.type === "district";
      box.appendChild(single || q.type === "multiple" ? choiceQuestion(q, q.type === "multiple") : textQuestion(q));
    });
    show("intake");
  }


  // Read the step's answers into the draft; mark and return false when one is not valid.
  function readStep(step) {
    var valid = true;
    step.questions.forEach(function (q) {
      var error = null;
      var value;
      if (q.type === "multiple") {
        value = Array.prototype.map.call(
          document.querySelectorAll("input[name='" + q.id + "']:checked"), function (i) { return i.value; });
        if (q.required && !value.length) error = messages.chooseMany;
      } else if (q.type === "single" || q.type === "yesno" || q.type === "district") {
        var checked = document.querySelector("input[name='" + q.id + "']:checked");
        value = checked ? checked.value : null;
        if (q.required && !value) error = messages.choose;
      } else {
        value = $(q.id).value.normalize("NFKC").trim();
        if (q.required && !value) error = messages.fill;
        else if (value && q.type === "phone" && !new RegExp(spec.patterns.phone).test(value)) error = messages.phone;
        else if (value && q.type === "email" && !new RegExp(spec.patterns.email).test(value)) error = messages.email;
        else if (q.max_length && value.length > q.max_length) error = format(messages.maxLength, {max: q.max_length});
      }
      markError(q.id, error);
      if (error) valid = false;
      draft.answers[q.id] = value;
    });
    return valid;
  }

  function markError(id, error) {
    var box = $("q-" + id);
    var line = $(id + "-error") || box.querySelector(".error");
    box.classList.toggle("invalid", !!error);
    line.textContent = error || "";
    line.hidden = !error;
    var described = box.tagName === "FIELDSET" ? box : box.querySelector("input, textarea");
    if (error) {
      described.setAttribute("aria-describedby", line.id);
      if (described !== box) described.setAttribute("aria-invalid", "true");
    } else {
      described.removeAttribute("aria-describedby");
      described.removeAttribute("aria-invalid");
    }
  }

  $("new-intake").addEventListener("click", function () {
    if (!spec) return;
    draft = {answers: {}, stepIndex: 0, urgentSeen: false};
    renderStep();
  });

  $("step-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var step = visibleSteps()[draft.stepIndex];
    var wasUrgent = isUrgent();
    if (!readStep(step)) {
      $("step-error").hidden = false;
      $("step-error").focus();
      return;
    }
    // An answer may show or hide later steps (pregnancy after the age): count again.
    draft.stepIndex = visibleSteps().indexOf(step) + 1;
    if (isUrgent() && !wasUrgent && !draft.urgentSeen) {
      // Urgent never waits for the rest of the form (DOMAIN.md, priority).
      draft.urgentSeen = true;
      show("urgent");
      return;
    }
    continueForm();
  });

  function continueForm() {
    if (draft.stepIndex < visibleSteps().length) renderStep();
    else showConsent();
  }

  $("urgent-continue").addEventListener("click", continueForm);

  $("step-back").addEventListener("click", function () {
    if (draft.stepIndex === 0) { $("intake-cancel").click(); return; }
    draft.stepIndex -= 1;
    renderStep();
  });

  $("intake-cancel").addEventListener("click", function () {
    if (window.confirm(messages.cancelConfirm)) {
      draft = null;
      show("home");
    }
  });

  // --- consent and queueing -------------------------------------------------------------

  function showConsent() {
    var box = $("consent-text");
    box.textContent = "";
    spec.consent.text.split("\n\n").forEach(function (paragraph) {
      var p = document.createElement("p");
      fill(p, paragraph);
      box.appendChild(p);
    });
    $("consent-form").reset();
    $("q-relationship").hidden = true;
    $("consent-error").hidden = true;
    show("consent");
  }

  $("consent-form").addEventListener("change", function () {
    var mode = document.querySelector("input[name=mode]:checked");
    $("q-relationship").hidden = !(mode && mode.value === "proxy");
  });

  $("consent-back").addEventListener("click", function () {
    draft.stepIndex = visibleSteps().length - 1;
    renderStep();
  });

  function radio(name) {
    var checked = document.querySelector("input[name=" + name + "]:checked");
    return checked ? checked.value : null;
  }

  // The chosen ways of contact against the details typed, by the rules the form spec
  // carries (tsunagi.domain.consent.contact_problem): the code of the problem, or null.
  function contactProblem() {
    var methods = checkedValues("contact_methods");
    var rules = spec.contact_rules;
    if (methods.indexOf(rules.alone) !== -1 && methods.length > 1) return "alone";
    var given = shownAnswers();
    for (var i = 0; i < methods.length; i++) {
      var needed = rules.needs[methods[i]];
      if (needed && !given[needed]) return needed;
    }
    return null;
  }

  function checkedValues(name) {
    return Array.prototype.map.call(
      document.querySelectorAll("input[name=" + name + "]:checked"), function (i) { return i.value; });
  }

  function intakeBody() {
    var given = shownAnswers();
    var answers = {};
    spec.answer_keys.forEach(function (k) { if (k in given) answers[k] = given[k]; });
    var contact = {};
    spec.contact_keys.forEach(function (k) { if (given[k]) contact[k] = given[k]; });
    var mode = radio("mode");
    var sharing = radio("share") === "yes";
    var consent = {
      version: spec.consent.version,
      mode: mode,
      scopes: {
        share_with_provider: sharing,
        multi_agency_meeting: sharing && radio("multi_agency_meeting") === "yes",
        contact_methods: sharing ? checkedValues("contact_methods") : []
      }
    };
    if (mode === "proxy") consent.relationship = $("relationship").value.trim();
    var time = $("contact_time").value.normalize("NFKC").trim();
    if (time && sharing) consent.contact_time = time;
    var body = {form_id: spec.id, form_version: spec.version, locale: messages.locale, channel: "outreach",
                location: draft.location || session.location, answers: answers, consent: consent};
    if (Object.keys(contact).length) body.contact = contact;
    // A person kept in touch with: their earlier contacts join this intake.
    if (draft.person) body.person = draft.person;
    return body;
  }

  $("consent-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var valid = true;
    // "No, do not send" ends the questions: the meeting and the ways of contact are not asked.
    var sharing = radio("share") !== "no";
    ["mode", "share", "multi_agency_meeting"].forEach(function (name) {
      var missing = !radio(name) && (sharing || name !== "multi_agency_meeting");
      markError(name, missing ? messages.choose : null);
      if (missing) valid = false;
    });
    var contactError = sharing ? contactProblem() : null;
    markError("contact_methods", contactError ? messages["contact" + contactError[0].toUpperCase() + contactError.slice(1)] : null);
    if (contactError) valid = false;
    if (radio("mode") === "proxy" && !$("relationship").value.trim()) {
      markError("relationship", messages.relationship);
      valid = false;
    } else {
      markError("relationship", null);
    }
    if (!valid) {
      $("consent-error").hidden = false;
      $("consent-error").focus();
      return;
    }
    var body = intakeBody();
    draft = null;  // from here on the intake exists only encrypted in the queue
    store.add(session.username, store.newKey(), body).then(function (id) {
      shownItem = {id: id, scopes: body.consent.scopes};
      $("result-title").textContent = messages.queuedTitle;
      $("receipt").hidden = true;
      $("result-queued").hidden = false;
      show("result");
      return sendQueue();
    });
  });

  // The server acknowledged a queued intake. If the resident is still in front of the
  // result screen, they get their receipt; it is kept in the page only, never stored.
  function acknowledged(id, data) {
    if (!shownItem || id !== shownItem.id || $("result").hidden) return;
    $("result-title").textContent = messages.sentTitle;
    var provider = data.decision.provider;
    // A replay of a response stored before `shared` and `receipt` existed has neither.
    var shared = data.shared !== undefined ? data.shared : shownItem.scopes.share_with_provider;
    var receipt = data.receipt || {city: "", next_step: "", notes: [], follow_up_address: ""};
    $("receipt-shared").hidden = !shared;
    $("receipt-not-shared").hidden = shared;
    $("receipt-provider").hidden = !provider;
    if (provider) {
      $("receipt-provider-name").textContent = provider.name;
      $("receipt-provider-phone").textContent = provider.phone;
      $("receipt-provider-phone").href = "tel:" + provider.phone;
      $("receipt-provider-hours").textContent = provider.hours || "";
      // The office as the receipt shows it (absent in a replay stored before it existed).
      var office = receipt.office || {};
      $("receipt-provider-kind").textContent = office.kind || "";
      var official = office.official_name && office.official_name !== provider.name && String(messages.locale).slice(0, 2) !== "ja";
      $("receipt-provider-official").hidden = !official;
      $("receipt-provider-official").textContent = official
        ? office.official_name + (office.reading ? "（" + office.reading + "）" : "") : "";
      $("receipt-provider-languages").textContent = office.languages || "";
    }
    $("receipt-city").textContent = receipt.city;
    $("receipt-next").textContent = receipt.next_step;
    $("receipt-address").textContent = receipt.follow_up_address;
    var notes = $("receipt-notes");
    notes.textContent = "";
    receipt.notes.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      notes.appendChild(li);
    });
    $("receipt-qr").src = data.follow_up.qr_svg_url;
    $("receipt-code").textContent = data.follow_up.short_code;
    $("receipt").hidden = false;
    $("result-queued").hidden = true;
    $("result-title").focus();
  }

  $("result-done").addEventListener("click", function () {
    shownItem = null;
    ["receipt-provider-name", "receipt-provider-phone", "receipt-provider-hours", "receipt-provider-kind",
     "receipt-provider-official", "receipt-provider-languages", "receipt-code", "receipt-city",
     "receipt-next", "receipt-address", "receipt-notes"]
      .forEach(function (id) { $(id).textContent = ""; });
    $("receipt-qr").removeAttribute("src");
    show("home");
    renderQueue();
  });

  // --- keep in touch: people not yet in support ------------------------------------------

  // Today in Japan time, as the server counts the days of contacts.
  function todayJst() {
    return new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
  }

  function camel(code) {
    return code.split("_").map(function (w) { return w[0].toUpperCase() + w.slice(1); }).join("");
  }

  function contactLine(template, c) {
    return format(template, {date: c.contacted_on || c.on, kind: messages["kind" + camel(c.kind)] || c.kind,
                             result: messages["result" + camel(c.result)] || c.result});
  }

  function lastLine(p) {
    return p.last ? contactLine(messages.lastContact, p.last) : messages.noContact;
  }

  function renderPeople() {
    return store.listPeople(session.username).then(function (people) {
      // Soonest planned contact first; those with none planned after them.
      people.sort(function (a, b) {
        if (a.next === b.next) return a.label < b.label ? -1 : 1;
        if (!a.next) return 1;
        if (!b.next) return -1;
        return a.next < b.next ? -1 : 1;
      });
      var list = $("people-items");
      list.textContent = "";
      $("people-empty").hidden = people.length > 0;
      people.forEach(function (p) {
        var li = document.createElement("li");
        li.className = "queue-item person-item";
        var open = document.createElement("button");
        open.type = "button";
        open.className = "button";
        open.textContent = p.label;
        open.addEventListener("click", function () { showPerson(p); });
        var last = document.createElement("span");
        last.textContent = lastLine(p);
        li.appendChild(open);
        li.appendChild(last);
        if (p.next) {
          var next = document.createElement("span");
          next.textContent = format(messages.nextContact, {date: p.next});
          li.appendChild(next);
        }
        list.appendChild(li);
      });
    });
  }

  function showPeople() {
    person = null;
    $("person_label").value = "";
    markError("person_label", null);
    return renderPeople().then(function () { show("people"); });
  }

  $("keep-in-touch").addEventListener("click", showPeople);
  $("people-back").addEventListener("click", function () { show("home"); renderQueue(); });
  $("person-back").addEventListener("click", showPeople);

  $("person-add-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var label = $("person_label").value.normalize("NFKC").trim();
    if (!label || !session.location) {
      markError("person_label", messages.fill);
      $("person_label").focus();
      return;
    }
    store.addPerson(session.username, label, session.location).then(function () {
      $("person_label").value = "";
      markError("person_label", null);
      return renderPeople();
    }).then(function () { $("people-title").focus(); });
  });

  function showPerson(p) {
    person = p;
    $("person-title").textContent = p.label;
    $("person-last").textContent = lastLine(p);
    $("person-next").textContent = p.next ? format(messages.nextContact, {date: p.next}) : "";
    $("person-saved").hidden = true;
    $("person-remove-confirm").hidden = true;
    $("contact-form").reset();
    $("contact-error").hidden = true;
    ["contact_kind", "contact_result", "contacted_on", "next_contact_on"].forEach(function (id) { markError(id, null); });
    $("contacted_on").value = todayJst();
    $("contacted_on").max = todayJst();
    show("person");
    renderHistory(p);
  }

  // The contacts the server has for the person (this location's, not yet in a case).
  function renderHistory(p) {
    var list = $("person-history");
    list.textContent = "";
    $("person-history-note").textContent = "";
    var query = "?person=" + encodeURIComponent(p.ref) + "&location=" + encodeURIComponent(p.location);
    return api("GET", "/api/v1/outreach/contacts" + query).then(function (r) {
      if (r.status !== 200) throw new Error("contacts " + r.status);
      if (!person || person.ref !== p.ref) return;
      r.data.contacts.forEach(function (c) {
        var li = document.createElement("li");
        li.className = "queue-item";
        li.textContent = contactLine(messages.contactLine, c) +
          (c.next_contact_on ? " · " + format(messages.nextContact, {date: c.next_contact_on}) : "");
        list.appendChild(li);
      });
      if (!r.data.contacts.length) $("person-history-note").textContent = messages.noContact;
    }).catch(function () {
      if (person && person.ref === p.ref) $("person-history-note").textContent = messages.historyOffline;
    });
  }

  $("contact-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var kind = radio("contact_kind"), result = radio("contact_result");
    var on = $("contacted_on").value, next = $("next_contact_on").value;
    var valid = true;
    markError("contact_kind", kind ? null : messages.choose);
    markError("contact_result", result ? null : messages.choose);
    var badDay = !/^\d{4}-\d{2}-\d{2}$/.test(on) || on > todayJst();
    markError("contacted_on", badDay ? messages.contactDate : null);
    var badNext = !!next && !badDay && next < on;
    markError("next_contact_on", badNext ? messages.nextBefore : null);
    if (!kind || !result || badDay || badNext) valid = false;
    if (!valid) {
      $("contact-error").hidden = false;
      $("contact-error").focus();
      return;
    }
    var p = person;
    var body = {person: p.ref, location: p.location, kind: kind, result: result, contacted_on: on};
    if (next) body.next_contact_on = next;
    var last = p.last && p.last.on > on ? p.last : {on: on, kind: kind, result: result};
    var changes = {last: last, next: next || (last === p.last ? p.next : null)};
    store.add(session.username, store.newKey(), body, "/api/v1/outreach/contacts").then(function () {
      return store.updatePerson(p.ref, changes);
    }).then(function () {
      p.last = changes.last;
      p.next = changes.next;
      showPerson(p);
      $("person-saved").hidden = false;
      $("person-title").focus();
      return sendQueue();
    }).then(function () {
      if (person && person.ref === p.ref) renderHistory(p);
    });
  });

  $("person-intake").addEventListener("click", function () {
    if (!spec || !person) return;
    draft = {answers: {}, stepIndex: 0, urgentSeen: false, person: person.ref, location: person.location};
    renderStep();
  });

  $("person-remove").addEventListener("click", function () {
    $("person-remove-confirm").hidden = false;
    $("person-remove-no").focus();
  });
  $("person-remove-no").addEventListener("click", function () {
    $("person-remove-confirm").hidden = true;
    $("person-remove").focus();
  });
  $("person-remove-yes").addEventListener("click", function () {
    store.removePerson(person.ref).then(showPeople);
  });

  // --- start ------------------------------------------------------------------------------

  function loadSpec() {
    return fetch(messages.form, {credentials: "omit"}).then(function (r) {
      if (!r.ok) throw new Error("form " + r.status);
      return r.json();
    }).then(function (data) { spec = data; });
  }

  // Ready for work without a connection once this page and its form spec are in the
  // service worker's cache: said on screen, so the worker knows before going out.
  function checkOfflineReady() {
    if (!window.caches) return;
    Promise.all([caches.match(location.pathname), caches.match(messages.form)]).then(function (hits) {
      if (hits[0] && hits[1]) $("offline-ready").hidden = false;
      else setTimeout(checkOfflineReady, 1000);
    }, function () { setTimeout(checkOfflineReady, 1000); });
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(messages.serviceWorker, {scope: messages.scope}).catch(function () {});
    navigator.serviceWorker.ready.then(checkOfflineReady);
  }
  // Ask the browser not to evict the queue under storage pressure (granted to installed apps).
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
  showConnection();
  Promise.all([loadSpec().catch(function () { spec = null; }), store.loadSession()]).then(function (results) {
    session = results[1];
    if (session) enterHome();
    else show("signin");
  });
})();
