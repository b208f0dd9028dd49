// The board refreshes its figures in place, without losing the reader's place: every `data-refresh`
// seconds it fetches the same page, swaps the `[data-live]` region, and puts back the scroll position,
// the open <details> and the focused element. It waits while the reader is using a form or the tab is
// hidden, and stops (saying so) when the session has ended. Without JavaScript the page is complete; it
// just does not refresh by itself.
(function () {
  "use strict";
  // A print button where the page has one (the enrolment sheet): without JavaScript, the browser's Print.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // The filters' fold (macros.html `fold`): open on a wide screen, where the stylesheet shows its filters and no
  // summary (so a screen reader hears it open, and browsers without `::details-content` show them too); closed on
  // a phone, where the figures come first.
  var wide = window.matchMedia && window.matchMedia("not all and (max-width: 760px)");
  if (wide) {
    var fit = function () {
      document.querySelectorAll("details.fold").forEach(function (fold) { fold.open = wide.matches; });
    };
    fit();
    if (wide.addEventListener) wide.addEventListener("change", fit);
  }
  var seconds = Number(document.body.getAttribute("data-refresh")) || 0;
  if (!seconds || !window.fetch || !window.DOMParser) return;

  function busy() {
    var active = document.activeElement;
    return active && active.closest && active.closest("form") !== null;
  }

  function where(element) {
    // A way back to the same element in the new page: its id, else its path of child indexes under the region.
    if (!element || element === document.body) return null;
    if (element.id) return { id: element.id };
    var path = [];
    for (var node = element; node && !node.hasAttribute("data-live"); node = node.parentElement) {
      path.unshift(Array.prototype.indexOf.call(node.parentElement.children, node));
    }
    return { path: path };
  }

  function find(region, place) {
    if (!place) return null;
    if (place.id) return document.getElementById(place.id);
    var node = region;
    for (var i = 0; node && i < place.path.length; i++) node = node.children[place.path[i]];
    return node;
  }

  function refresh() {
    if (document.hidden || busy()) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Board-Refresh": "1" } })
      .then(function (response) {
        if (new URL(response.url).pathname === "/board/sign-in") {
          stop();
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (region) {
          var next = fresh.getElementById(region.id);
          if (!next) return;
          var open = Array.prototype.map.call(region.querySelectorAll("details[open]"), function (d) { return d.id; });
          var focused = region.contains(document.activeElement) ? where(document.activeElement) : null;
          var x = window.scrollX, y = window.scrollY;
          region.replaceChildren.apply(region, Array.prototype.slice.call(next.childNodes));
          open.forEach(function (id) {
            var d = id && document.getElementById(id);
            if (d) d.open = true;
          });
          var again = find(region, focused);
          if (again && again.focus) again.focus({ preventScroll: true });
          window.scrollTo(x, y);
        });
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  var timer = window.setInterval(refresh, seconds * 1000);

  function stop() {
    window.clearInterval(timer);
    var note = document.querySelector("[data-live] .updated");
    if (note) note.textContent = document.body.getAttribute("data-ended") || "";
  }
})();
