// Progressive enhancement for the lead form: friendly inline validation and submit without reload.
// Without this file everything still works through the server (303 on success, 422 with inline errors).
"use strict";
(function () {
  var form = document.getElementById("lead-form");
  if (!form || !window.fetch || !window.FormData) return;
  var button = form.querySelector("button[type=submit]");
  var buttonText = button ? button.textContent : "";

  function errorBox(field) { return document.getElementById("err-" + field); }

  function setError(field, text) {
    var input = form.elements[field];
    var box = errorBox(field);
    if (box) box.textContent = text || "";
    if (input && input.closest) {
      var wrapper = input.closest(".field");
      if (wrapper) wrapper.classList.toggle("field--error", !!text);
      if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    }
  }

  function check(input) {
    if (!input || !input.name || !input.validity) return true;
    var ok = input.checkValidity();
    var text = "";
    if (!ok) {
      if (input.validity.tooLong) text = "That is a little long: please shorten it.";
      else text = input.getAttribute("data-missing") || input.validationMessage;
    }
    setError(input.name, text);
    return ok;
  }

  form.setAttribute("novalidate", "");
  Array.prototype.forEach.call(form.querySelectorAll("input, select, textarea"), function (input) {
    if (input.type === "hidden" || input.name === "website") return;
    input.addEventListener("blur", function () { check(input); });
    input.addEventListener("input", function () { if (input.getAttribute("aria-invalid")) check(input); });
  });

  function notice(text, kind) {
    var box = form.querySelector(".js-notice");
    if (!box) {
      box = document.createElement("div");
      box.className = "notice js-notice";
      box.setAttribute("role", "alert");
      box.tabIndex = -1;
      form.insertBefore(box, form.firstChild);
    }
    box.className = "notice js-notice" + (kind ? " notice--" + kind : "");
    box.textContent = text;
    box.focus();
  }

  function busy(on) {
    if (!button) return;
    button.disabled = on;
    button.setAttribute("aria-busy", on ? "true" : "false");
    button.textContent = on ? "Sending…" : buttonText;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var firstBad = null;
    Array.prototype.forEach.call(form.querySelectorAll("input, select, textarea"), function (input) {
      if (input.type === "hidden" || input.name === "website") return;
      if (!check(input) && !firstBad) firstBad = input;
    });
    if (firstBad) { firstBad.focus(); return; }
    busy(true);
    var body = new URLSearchParams(new FormData(form)).toString();
    fetch(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      if (response.status === 201 || response.status === 200) {
        var done = document.createElement("div");
        done.className = "notice notice--success thanks-card";
        done.setAttribute("role", "status");
        done.setAttribute("data-testid", "thanks");
        done.tabIndex = -1;
        done.innerHTML = "<h3>Thank you — we've got your note.</h3><p>A real person at the roastery will reply within one working day.</p>";
        form.parentNode.replaceChild(done, form);
        done.focus();
        return;
      }
      busy(false);
      if (response.status === 422) {
        return response.json().then(function (data) {
          var first = null;
          Object.keys(data.errors || {}).forEach(function (field) {
            setError(field, data.errors[field][0]);
            if (!first && form.elements[field]) first = form.elements[field];
          });
          notice("Please check the highlighted fields.", "error");
          if (first && first.focus) first.focus();
        });
      }
      if (response.status === 429) { notice("Too many submissions from here — please try again in a minute.", "error"); return; }
      notice("Sorry, that did not go through. Please try again in a moment.", "error");
    }).catch(function () {
      busy(false);
      notice("We could not reach the server. Check your connection and try again.", "error");
    });
  });

  // Links that choose what the enquiry is about ("Start a subscription") preselect it here without a
  // reload; without JavaScript the server renders the form with the same choice from the link's query.
  Array.prototype.forEach.call(document.querySelectorAll("a[data-interest]"), function (link) {
    link.addEventListener("click", function (event) {
      var select = form.elements.interest;
      if (!select) return;
      event.preventDefault();
      select.value = link.getAttribute("data-interest");
      check(select);
      var target = document.getElementById("contact");
      if (target && target.scrollIntoView) target.scrollIntoView();
      if (window.history && history.replaceState) history.replaceState(null, "", "#contact");
      select.focus();
    });
  });
})();
