// Follow-up page: the token comes from the URL fragment (never sent to the server in the
// request line); it is posted to the API. A typed receipt code goes the same way.
(function () {
  "use strict";
  var messages = document.getElementById("messages").dataset;
  var result = document.getElementById("result");
  var problem = document.getElementById("problem");
  var pageLang = document.documentElement.lang.replace("-", "_");
  var params = new URLSearchParams(location.search);

  function show(data) {
    problem.hidden = true;
    document.getElementById("status").textContent = data.status_text;
    var box = document.getElementById("provider");
    if (data.provider) {
      document.getElementById("provider-name").textContent = data.provider.name;
      var phone = document.getElementById("provider-phone");
      phone.textContent = data.provider.phone;
      phone.href = "tel:" + data.provider.phone;
      document.getElementById("provider-hours").textContent = data.provider.hours;
      box.hidden = false;
    } else {
      box.hidden = true;
    }
    result.hidden = false;
  }

  function fail(text) {
    result.hidden = true;
    problem.textContent = text;
    problem.hidden = false;
  }

  function lookup(body) {
    if (params.get("lang")) body.locale = params.get("lang");
    return fetch("/api/v1/follow-up", {
      method: "POST",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(body),
      credentials: "omit"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          // Show the whole page in the language chosen at intake unless one was picked.
          if (!params.get("lang") && data.locale && data.locale !== pageLang && body.token) {
            location.replace("/f?lang=" + encodeURIComponent(data.locale) + location.hash);
            return;
          }
          show(data);
        } else if (response.status === 429) {
          fail(messages.busy);
        } else if (data.code === "check_symbol") {
          fail(messages.check);
        } else if (response.status === 404 || response.status === 422) {
          fail(messages.notFound);
        } else {
          fail(messages.error);
        }
      });
    }).catch(function () { fail(messages.error); });
  }

  var token = location.hash.slice(1);
  if (token) lookup({token: token});

  document.getElementById("code-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var code = document.getElementById("code").value;
    if (code.trim()) lookup({code: code});
  });
})();
