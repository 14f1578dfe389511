// The triage policy's conditions, evaluated in the browser on the answers so far. The
// conditions themselves come from the server (`urgency` of GET /api/v1/forms/<id>), from the
// one rules file the server decides with; this file only reads their language:
// {answer, in} · {answer, has} · {answer, has_any} · {all} · {any} · {not} · {signal} ·
// {domains_at_least} · {domains_exactly}.
(function () {
  "use strict";

  function list(value) { return Array.isArray(value) ? value : []; }

  function holds(cond, answers, domains, signals) {
    if ("in" in cond) return cond["in"].indexOf(answers[cond.answer]) !== -1;
    if ("has_any" in cond) {
      var given = list(answers[cond.answer]);
      return cond.has_any.some(function (v) { return given.indexOf(v) !== -1; });
    }
    if ("has" in cond) return list(answers[cond.answer]).indexOf(cond.has) !== -1;
    if ("all" in cond) return cond.all.every(function (c) { return holds(c, answers, domains, signals); });
    if ("any" in cond) return cond.any.some(function (c) { return holds(c, answers, domains, signals); });
    if ("not" in cond) return !holds(cond["not"], answers, domains, signals);
    if ("signal" in cond) return signals.indexOf(cond.signal) !== -1;
    if ("domains_at_least" in cond) return domains.length >= cond.domains_at_least;
    if ("domains_exactly" in cond) return domains.length === cond.domains_exactly;
    return false;
  }

  // The urgent rules that hold for `answers`, as {signal, reason}; empty when none does.
  function urgency(policy, answers) {
    var domains = policy.domains.filter(function (d) {
      return d.when.some(function (c) { return holds(c, answers, [], []); });
    }).map(function (d) { return d.name; });
    var signals = [];
    policy.signals.forEach(function (s) {  // a signal may name the signals before it
      if (holds(s.when, answers, domains, signals)) signals.push(s.name);
    });
    return policy.urgent.filter(function (u) { return holds(u.when, answers, domains, signals); })
      .map(function (u) { return {signal: u.signal, reason: u.reason}; });
  }

  window.TsunagiConditions = {holds: holds, urgency: urgency};
})();
