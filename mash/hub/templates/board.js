// Refreshes the queue tables in place. Pausable (WCAG 2.2.2), and it never replaces the tables
// while keyboard focus is inside them, so nobody loses their place.
(function () {
  "use strict";
  var region = document.getElementById("queues");
  var status = document.getElementById("live-status");
  var toggle = document.getElementById("live-toggle");
  if (!region || !window.fetch) { return; }
  var seconds = parseInt(region.getAttribute("data-refresh"), 10) || 15;
  var paused = false;
  var last = null;
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    paused = !paused;
    toggle.setAttribute("aria-pressed", paused ? "true" : "false");
    toggle.textContent = paused ? "Resume live updates" : "Pause live updates";
    status.textContent = paused ? "Live updates paused." : "Live updates resumed.";
  });
  function refresh() {
    if (paused || region.contains(document.activeElement)) { return; }
    fetch("/queues?fragment=1", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.redirected || !response.ok) { window.location.reload(); return null; }
        return response.text();
      })
      .then(function (html) {
        if (html === null || html === last || region.contains(document.activeElement)) { return; }
        // Announce only real changes: a status message every few seconds would drown a
        // screen reader user.
        var first = last === null;
        last = html;
        region.innerHTML = html;
        if (!first) {
          status.textContent = "Queues changed at " + new Date().toLocaleTimeString("en-GB") + ".";
        }
      })
      .catch(function () { status.textContent = "Could not reach the board; retrying."; });
  }
  window.setInterval(refresh, seconds * 1000);
}());
