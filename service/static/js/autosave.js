/* Boussole: save each answer as soon as it is given (progressive enhancement).
 *
 * Without this script the questionnaire still works: answers are saved when the page is
 * submitted. With it, every change is sent to the autosave endpoint (JSON, CSRF token in
 * the X-CSRFToken header), one request at a time and in order; a failed request is
 * retried with a growing delay, and the person is told, politely, when they are offline.
 * Messages come from data-msg-* attributes of the form (translated on the server).
 */
(function () {
  "use strict";

  var form = document.getElementById("questionnaire");
  if (!form || !window.fetch || !window.JSON) { return; }

  var url = form.getAttribute("data-autosave-url");
  var page = parseInt(form.getAttribute("data-page"), 10);
  var statusBox = document.getElementById("save-status");
  var reported = document.getElementById("reported");
  var progress = document.getElementById("progress");
  var progressText = document.getElementById("progress-text");
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var token = tokenInput ? tokenInput.value : "";

  var pending = [];          // item ids waiting to be sent, in order
  var latest = {};           // item id -> latest value to send
  var busy = false;
  var retryDelay = 2000;
  var lastReport = Date.now();
  var reportedSeconds = 0;
  // Idempotent page time: each increment of page time has this page visit's id and a
  // sequence number; a request retried after a network failure or a busy server resends
  // the same increment (same numbers, same seconds), which the server counts only once.
  var visit = newVisitId();
  var seq = 0;
  var unsent = null;  // the increment of a request that may or may not have arrived
  var textTimers = {};
  var submitting = false;

  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }

  function say(text) {
    if (!statusBox) { return; }
    // Clearing first makes screen readers announce the same message again.
    statusBox.textContent = "";
    window.setTimeout(function () { statusBox.textContent = text; }, 50);
  }

  function container(itemId) {
    var nodes = form.querySelectorAll("[data-item]");
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].getAttribute("data-item") === itemId) { return nodes[i]; }
    }
    return null;
  }

  function controls(box) {
    return box.querySelectorAll("input:not([type=hidden]), select, textarea");
  }

  function valueOf(box) {
    var kind = box.getAttribute("data-kind");
    var els = controls(box);
    var i;
    if (kind === "choice") {
      for (i = 0; i < els.length; i++) {
        if (els[i].checked) { return Number(els[i].value); }
      }
      return null;
    }
    if (kind === "multiple") {
      var chosen = [];
      for (i = 0; i < els.length; i++) {
        if (els[i].checked) { chosen.push(Number(els[i].value)); }
      }
      return chosen.length ? chosen : null;
    }
    var raw = els.length ? els[0].value : "";
    if (kind === "text") { return raw.trim() === "" ? null : raw; }
    if (raw.trim() === "") {
      // An invalid number typed in an <input type=number> reads as "": say so, send nothing.
      if (kind === "number" && els[0].validity && els[0].validity.badInput) { return undefined; }
      return null;
    }
    return kind === "ranking" ? Number(raw) : raw;
  }

  function setError(box, text) {
    var fieldId = box.getAttribute("data-field");
    var errId = "err-" + fieldId;
    var err = document.getElementById(errId);
    var els = controls(box);
    var i;
    if (text) {
      if (!err) {
        err = document.createElement("p");
        err.className = "field-error";
        err.id = errId;
        var anchor = box.querySelector("legend, label");
        if (anchor && anchor.nextSibling) {
          box.insertBefore(err, anchor.nextSibling);
        } else {
          box.appendChild(err);
        }
      }
      err.textContent = text;
      box.classList.add("has-error");
      for (i = 0; i < els.length; i++) {
        els[i].setAttribute("aria-invalid", "true");
        var ids = (els[i].getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        if (ids.indexOf(errId) < 0) { ids.push(errId); }
        els[i].setAttribute("aria-describedby", ids.join(" "));
      }
    } else if (err) {
      err.parentNode.removeChild(err);
      box.classList.remove("has-error");
      for (i = 0; i < els.length; i++) {
        els[i].removeAttribute("aria-invalid");
        var rest = (els[i].getAttribute("aria-describedby") || "").split(" ")
          .filter(function (x) { return x && x !== errId; });
        if (rest.length) {
          els[i].setAttribute("aria-describedby", rest.join(" "));
        } else {
          els[i].removeAttribute("aria-describedby");
        }
      }
    }
  }

  function showProgress(data) {
    if (progress && typeof data.progress === "number") { progress.value = data.progress; }
    if (progressText && typeof data.answered === "number") {
      var form_ = "other";
      try {
        form_ = new Intl.PluralRules(document.documentElement.lang || "fr").select(data.answered);
      } catch (e) { form_ = data.answered > 1 ? "other" : "one"; }
      progressText.textContent = msg(form_ === "one" ? "progress-one" : "progress-other")
        .replace("{answered}", data.answered)
        .replace("{total}", data.total)
        .replace("{percent}", data.progress);
    }
  }

  function newVisitId() {
    var bytes = new Uint8Array(12);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) { bytes[i] = Math.floor(Math.random() * 256); }
    }
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function nextIncrement() {
    if (unsent) { return unsent; }
    seq += 1;
    return { seq: seq, seconds: elapsedSeconds() };
  }

  function elapsedSeconds() {
    var now = Date.now();
    var seconds = Math.max(0, (now - lastReport) / 1000);
    lastReport = now;
    return Math.round(seconds * 10) / 10;
  }

  function queue(itemId, value) {
    latest[itemId] = value;
    if (pending.indexOf(itemId) < 0) { pending.push(itemId); }
    send();
  }

  function send() {
    if (busy || !pending.length) { return; }
    if (navigator.onLine === false) { say(msg("offline")); return; }
    busy = true;
    var itemId = pending[0];
    var value = latest[itemId];
    var increment = nextIncrement();
    var seconds = increment.seconds;
    unsent = null;
    say(msg("saving"));
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": token
      },
      body: JSON.stringify({
        item: itemId, value: value, page: page, seconds: seconds, visit: visit, seq: increment.seq
      })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    }).then(function (result) {
      busy = false;
      var box = container(itemId);
      if (result.status === 200 && result.data.saved) {
        if (latest[itemId] === value) {
          pending.shift();
          delete latest[itemId];
        }
        reportedSeconds += seconds;
        if (reported) { reported.value = String(Math.round(reportedSeconds)); }
        retryDelay = 2000;
        if (box) { setError(box, null); }
        showProgress(result.data);
        say(msg("saved"));
        checkRanking(box);
        send();
        return;
      }
      if (result.status >= 500 || result.status === 429) {
        // Server busy or failing: keep the answer and try again later, as for the network;
        // the retry resends this increment of time as it was (counted once at most).
        unsent = increment;
        say(msg("retry"));
        window.setTimeout(send, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
        return;
      }
      lastReport -= seconds * 1000;  // not recorded: count it with the next request
      pending.shift();
      if (latest[itemId] === value) { delete latest[itemId]; } else { pending.push(itemId); }
      if (result.status === 400 && box) {
        setError(box, result.data.error || msg("error"));
        say(result.data.error || msg("error"));
      } else if (result.status === 401) {
        say(msg("session"));
      } else if (result.status === 409) {
        say(msg("closed"));
      } else {
        say(msg("error"));
      }
      send();
    }).catch(function () {
      busy = false;  // network failure: keep the answer and try again later
      unsent = increment;  // the request may have arrived: resend the same increment
      say(navigator.onLine === false ? msg("offline") : msg("retry"));
      window.setTimeout(send, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  // Ranking: warn at once when a rank is given twice (the server checks it at page submit).
  function checkRanking(box) {
    if (!box || box.getAttribute("data-kind") !== "ranking") { return; }
    var block = box.closest("[data-block]");
    if (!block) { return; }
    var rows = block.querySelectorAll("[data-item]");
    var counts = {};
    var i;
    for (i = 0; i < rows.length; i++) {
      var v = controls(rows[i])[0].value;
      if (v) { counts[v] = (counts[v] || 0) + 1; }
    }
    for (i = 0; i < rows.length; i++) {
      var rank = controls(rows[i])[0].value;
      var duplicated = rank && counts[rank] > 1;
      var err = document.getElementById("err-" + rows[i].getAttribute("data-field"));
      if (duplicated) {
        setError(rows[i], msg("duplicate"));
      } else if (err && err.textContent === msg("duplicate")) {
        setError(rows[i], null);
      }
    }
  }

  function onChange(event) {
    var box = event.target.closest("[data-item]");
    if (!box || !form.contains(box)) { return; }
    var itemId = box.getAttribute("data-item");
    var value = valueOf(box);
    if (value === undefined) { return; }
    if (box.getAttribute("data-kind") === "text") {
      window.clearTimeout(textTimers[itemId]);
    }
    queue(itemId, value);
  }

  function onInput(event) {
    var box = event.target.closest("[data-item]");
    if (!box || box.getAttribute("data-kind") !== "text") { return; }
    var itemId = box.getAttribute("data-item");
    window.clearTimeout(textTimers[itemId]);
    textTimers[itemId] = window.setTimeout(function () {
      queue(itemId, valueOf(box));
    }, 1500);
  }

  form.addEventListener("change", onChange);
  form.addEventListener("input", onInput);
  window.addEventListener("online", function () { retryDelay = 2000; send(); });
  window.addEventListener("offline", function () { say(msg("offline")); });
  form.addEventListener("submit", function () {
    // The page's answers are in the submitted form: the server saves them too.
    submitting = true;
    if (reported) { reported.value = String(Math.round(reportedSeconds)); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (pending.length && !submitting) { event.preventDefault(); event.returnValue = ""; }
  });

  // Where the focus goes when the page opens: after a refused submit, the list of
  // problems; after a page change (or a link to a question: #item-...), the question's
  // first control, so that the next key acts on it; after "Terminer" with questions
  // unanswered, their list (#manquantes).
  function focusTarget() {
    var summary = document.getElementById("error-summary");
    if (summary) { return summary; }
    var id = "";
    try { id = decodeURIComponent(window.location.hash.slice(1)); } catch (e) { return null; }
    var target = id ? document.getElementById(id) : null;
    if (!target) { return null; }
    if (target.hasAttribute("data-item")) { return controls(target)[0] || null; }
    return target.getAttribute("tabindex") === "-1" ? target : null;
  }

  var target = focusTarget();
  function applyFocus(first) {
    if (!target) { return; }
    var box = target.closest("[data-item]") || target;
    var active = document.activeElement;
    // Chrome focuses the fragment's target itself (or clears the focus) once the page has
    // loaded: take the focus on to the control then, unless the person has moved it.
    if (!first && active && active !== document.body && active !== box) { return; }
    target.focus({ preventScroll: true });
    box.scrollIntoView({ block: "start" });
  }
  applyFocus(true);
  window.addEventListener("load", function () {
    window.requestAnimationFrame(function () { window.setTimeout(applyFocus, 0); });
  });
}());
