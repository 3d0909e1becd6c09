/* Small enhancements on top of server-rendered pages: live countdowns and check-in with geolocation.
   Every page works without this file; it only makes the numbers tick and fills in the position. */
(function () {
  "use strict";

  var SOON_MS = 15 * 60 * 1000;

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function format(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(sec);
  }

  /* Elements with data-due="<ISO time>" show the time left; data-late is the word for "overdue". */
  function tick() {
    var now = Date.now();
    var nodes = document.querySelectorAll("[data-due]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { continue; }
      var left = due - now;
      var text = left < 0 ? (el.getAttribute("data-late") || "-") + " " + format(left) : format(left);
      var out = el.querySelector(".countdown-value") || el;
      if (out.textContent !== text) { out.textContent = text; }
      el.classList.toggle("is-soon", left >= 0 && left < SOON_MS);
      el.classList.toggle("is-overdue", left < 0);
      el.setAttribute("data-deadline-state", left < 0 ? "due" : "running");
    }
  }

  function haversine(lat1, lon1, lat2, lon2) {
    var r = 6371000, rad = Math.PI / 180;
    var dp = (lat2 - lat1) * rad, dl = (lon2 - lon1) * rad;
    var a = Math.sin(dp / 2) * Math.sin(dp / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * r * Math.asin(Math.sqrt(a));
  }

  /* Check-in: ask the browser for the position; send it when granted, check in without it when not. */
  function onSubmit(event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-geolocate]")) { return; }
    if (form.getAttribute("data-located") === "1" || !navigator.geolocation) { return; }
    event.preventDefault();
    var status = form.querySelector("[data-geo-status]");
    var button = form.querySelector("button[type=submit]");
    var finished = false;
    if (button) { button.disabled = true; }
    if (status) { status.textContent = form.getAttribute("data-locating") || "…"; }

    function finish() {
      if (finished) { return; }
      finished = true;
      form.setAttribute("data-located", "1");
      if (button) { button.disabled = false; }
      if (form.requestSubmit) { form.requestSubmit(button || undefined); } else { form.submit(); }
    }

    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
      form.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
      form.querySelector("[name=accuracy]").value = Math.round(pos.coords.accuracy || 0);
      var siteLat = parseFloat(form.getAttribute("data-site-lat"));
      var siteLon = parseFloat(form.getAttribute("data-site-lon"));
      if (status && !isNaN(siteLat) && !isNaN(siteLon)) {
        var d = haversine(pos.coords.latitude, pos.coords.longitude, siteLat, siteLon);
        status.textContent = (form.getAttribute("data-distance-label") || "") + " " + Math.round(d) + " m";
      }
      finish();
    }, function () {
      if (status) { status.textContent = form.getAttribute("data-no-position") || ""; }
      finish();
    }, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
    window.setTimeout(finish, 10000);
  }

  /* A form refused by the server is drawn again in place at its POST-only address: put the address bar back
     on the page's own address, so refresh and Back never land on a blank "method not allowed". */
  function canonicalAddress() {
    var url = document.body && document.body.getAttribute("data-canonical-url");
    if (url && window.history && window.history.replaceState && window.location.pathname !== url) {
      window.history.replaceState(null, "", url + window.location.hash);
    }
  }

  /* Tables: every cell carries its column's name (shown when the table becomes cards on a phone), and a
     scrolling table can be reached with the keyboard. */
  function labelTables(root) {
    var wraps = (root || document).querySelectorAll(".table-wrap");
    for (var w = 0; w < wraps.length; w++) {
      var wrap = wraps[w];
      if (!wrap.hasAttribute("tabindex")) { wrap.setAttribute("tabindex", "0"); }
      var heads = wrap.querySelectorAll("thead th");
      var rows = wrap.querySelectorAll("tbody tr");
      for (var r = 0; r < rows.length; r++) {
        var cells = rows[r].children;
        for (var c = 0; c < cells.length && c < heads.length; c++) {
          var label = heads[c].textContent.trim();
          if (label && !cells[c].hasAttribute("data-label")) { cells[c].setAttribute("data-label", label); }
        }
      }
    }
  }

  /* The "next step" button opens its section. */
  function openTarget() {
    if (!window.location.hash) { return; }
    var el = document.getElementById(window.location.hash.slice(1));
    if (el && el.tagName === "DETAILS") { el.open = true; }
  }

  document.addEventListener("DOMContentLoaded", function () { labelTables(); openTarget(); });
  document.addEventListener("htmx:afterSettle", function (e) { labelTables(e.target); });
  window.addEventListener("hashchange", openTarget);
  document.addEventListener("DOMContentLoaded", canonicalAddress);
  document.addEventListener("submit", onSubmit, true);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  window.setInterval(tick, 1000);
})();

// A panel refreshing itself (hx-trigger "every 30s") waits while someone is working inside it
// (a CSP-friendly form of htmx's trigger filter, which would need eval).
document.addEventListener("htmx:beforeRequest", function (event) {
  var elt = event.detail && event.detail.elt;
  if (elt && elt.hasAttribute && elt.hasAttribute("data-pause-while-focused") && elt.contains(document.activeElement)) {
    event.preventDefault();
  }
});
