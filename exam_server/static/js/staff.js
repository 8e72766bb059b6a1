// Staff pages: confirmation before consequential actions, and auto-refresh of status tables.
// Pages work without this script; it only adds comfort.
"use strict";

(function () {
  // <form data-confirm="text"> asks before submitting (start, pause, end...).
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const text = form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      event.preventDefault();
    }
  });

  // <div data-refresh-url="..." data-refresh-seconds="5"> has its inner HTML replaced by the
  // fragment at that URL (which carries its own "updated at" time from the server).
  // Refreshing pauses while the tab is hidden or the keyboard focus is inside the table (so a
  // keyboard user never loses their place), and stops when the session has ended.
  function startRefresh(box) {
    const url = box.getAttribute("data-refresh-url");
    const seconds = Math.max(2, Number(box.getAttribute("data-refresh-seconds")) || 5);
    let timer = null;

    async function refresh() {
      if (document.hidden || box.contains(document.activeElement)) {
        return;
      }
      try {
        // A redirect means "signed out" (to the login page): never paste that page into the table.
        const response = await fetch(url, {
          credentials: "same-origin", redirect: "manual", headers: { Accept: "text/html" },
        });
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          window.clearInterval(timer);
          return;
        }
        if (response.ok && (response.headers.get("Content-Type") || "").startsWith("text/html")) {
          box.innerHTML = await response.text();
        }
      } catch {
        // A network blip: the next tick tries again; the table keeps its last content.
      }
    }
    timer = window.setInterval(refresh, seconds * 1000);
  }

  document.querySelectorAll("[data-refresh-url]").forEach(startRefresh);
})();
