// The tracking page, enhanced: draws the route map, follows the parcel's live stream and sends
// the page's forms without a reload. Everything here is optional: without this script the page
// reads the same and its forms post as plain HTML.
(() => {
  "use strict";
  const root = document.querySelector(".tracked");
  const ready = () => document.body.setAttribute("data-ready", "enhanced");
  if (!root) return ready();

  // The map: a fixed view fitted to the route (no pan or zoom, so one view's tiles are all it
  // loads), tiles only once the map is on screen; the route and pins draw without them.
  let map = null;
  let drawn = null;
  const pin = (at, kind, title, size) =>
    L.marker(at, {
      title,
      keyboard: false,
      icon: L.divIcon({ className: `pin pin-${kind}`, iconSize: [size, size] }),
    }).addTo(drawn);
  function drawMap() {
    const el = document.getElementById("track-map");
    if (!el || !window.L) return;
    let d;
    try {
      d = JSON.parse(el.dataset.route);
    } catch (_) {
      return;
    }
    if (!map) {
      map = L.map(el, {
        zoomControl: false, dragging: false, scrollWheelZoom: false, doubleClickZoom: false,
        touchZoom: false, boxZoom: false, keyboard: false, attributionControl: Boolean(d.tiles),
      });
      drawn = L.layerGroup().addTo(map);
      if (d.tiles) {
        const tiles = () =>
          L.tileLayer(d.tiles, {
            attribution: "&copy; OpenStreetMap contributors", keepBuffer: 0, updateWhenIdle: true,
          }).addTo(map);
        if (window.IntersectionObserver) {
          const seen = new IntersectionObserver((entries) => {
            if (entries.some((e) => e.isIntersecting)) {
              seen.disconnect();
              tiles();
            }
          });
          seen.observe(el);
        } else tiles();
      }
    }
    map.setView(d.centre, d.zoom, { animate: false });
    drawn.clearLayers();
    const last = d.path.length ? d.path[d.path.length - 1] : d.origin;
    L.polyline([d.origin, ...d.path], { color: "#0b5cad", weight: 4 }).addTo(drawn);
    L.polyline([last, d.destination], { color: "#0b5cad", weight: 2, dashArray: "6 8", opacity: 0.6 }).addTo(drawn);
    pin(d.origin, "origin", d.labels[0], 18);
    pin(d.destination, "destination", d.labels[1], 22);
    if (d.courier) pin(d.courier, "courier", d.labels[2], 24);
  }

  const parse = (html) => new DOMParser().parseFromString(html, "text/html");

  // What the reader is typing or choosing is never swapped away by a live update.
  const touched = new Set();
  const touch = (ev) => {
    const part = ev.target.closest && ev.target.closest("[data-live]");
    if (part) touched.add(part.id);
  };
  document.addEventListener("input", touch);
  document.addEventListener("change", touch);

  // Puts the server's newer parts of the page in place; the map keeps its element and redraws.
  function swap(doc, all) {
    for (const el of document.querySelectorAll("[data-live][id]")) {
      const fresh = doc.getElementById(el.id);
      if (!fresh) continue;
      if (el.id === "track-map") {
        el.dataset.route = fresh.dataset.route;
        continue;
      }
      const quiet = el.dataset.live === "quiet" && (touched.has(el.id) || el.contains(document.activeElement));
      if (all || !quiet) {
        el.replaceWith(document.importNode(fresh, true));
        touched.delete(el.id);
      }
    }
    if (doc.title) document.title = doc.title;
    drawMap();
  }

  let busy = false;
  let again = false;
  // A form's answer is newer than any refresh that started before it was sent.
  let sent = 0;
  async function refresh() {
    if (busy) return void (again = true);
    busy = true;
    const started = sent;
    try {
      const res = await fetch(location.pathname, { cache: "no-store", headers: { accept: "text/html" } });
      if (res.ok) {
        const doc = parse(await res.text());
        if (started === sent) swap(doc, false);
      }
    } catch (_) {
      // Offline: the stream reconnects by itself and the next event refreshes.
    }
    busy = false;
    if (again) {
      again = false;
      refresh();
    }
  }

  // Served by the service worker from its copy: no stream; the fresh page once back online.
  // `online` only says a network is up (a captive portal, or the worker not yet reconnected,
  // would serve this copy again), so the page reloads once the server itself answers.
  const offline = document.body.hasAttribute("data-offline");
  if (offline) {
    let asking = false;
    const reloadWhenServerAnswers = async () => {
      if (asking || !navigator.onLine) return;
      asking = true;
      try {
        const res = await fetch(location.pathname, { method: "HEAD", cache: "no-store" });
        if (res.ok) return location.reload();
      } catch (_) {
        // Still unreachable: asked again shortly.
      }
      asking = false;
    };
    addEventListener("online", reloadWhenServerAnswers);
    setInterval(reloadWhenServerAnswers, 3000);
  }

  const stream = root.dataset.stream;
  if (stream && window.EventSource && !offline) {
    const events = new EventSource(stream);
    events.addEventListener("tracking", refresh);
    // The courier's position is shown to the verified recipient only.
    events.addEventListener("position", () => {
      if (document.querySelector("[data-testid=recipient-name]")) refresh();
    });
  }

  // Forms go by fetch; the answer (the page after the redirect) replaces the changed parts.
  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (!form.hasAttribute("data-enhance") || form.dataset.native) return;
    ev.preventDefault();
    // The button pressed says what to do (`to`); added by hand for browsers that ignore
    // FormData's submitter argument.
    const data = new FormData(form);
    if (ev.submitter && ev.submitter.name) data.append(ev.submitter.name, ev.submitter.value);
    const body = new URLSearchParams(data);
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    sent += 1;
    try {
      const res = await fetch(form.action, { method: "POST", body, headers: { accept: "text/html" } });
      if (!res.ok || !(res.headers.get("content-type") || "").startsWith("text/html")) throw new Error(String(res.status));
      const doc = parse(await res.text());
      history.replaceState(null, "", res.url);
      swap(doc, true);
      const focus = document.querySelector("[aria-invalid=true], [role=alert]:not(:empty), [role=status]");
      if (focus) {
        if (!focus.matches("input")) focus.setAttribute("tabindex", "-1");
        focus.focus();
      }
    } catch (_) {
      // No answer, or not a page: let the browser send it the ordinary way (and show what
      // the server says).
      buttons.forEach((b) => (b.disabled = false));
      form.dataset.native = "1";
      form.requestSubmit(ev.submitter);
    }
  });

  // The slot picker's day tabs: every day's windows are in the page, one day shown.
  document.addEventListener("click", (ev) => {
    const tab = ev.target.closest && ev.target.closest(".day-strip [data-day]");
    if (!tab) return;
    const picker = tab.closest(".slot-picker");
    for (const b of picker.querySelectorAll(".day-strip [data-day]")) {
      b.setAttribute("aria-selected", String(b === tab));
    }
    for (const f of picker.querySelectorAll(".windows[data-day]")) {
      f.hidden = f.dataset.day !== tab.dataset.day;
    }
  });

  // Asks the service worker (registered by pwa.js) to keep this page, if it is the public one
  // (the worker refuses anything marked no-store), and its files for a visit without network.
  // A page the worker served itself was kept on the way.
  if ("serviceWorker" in navigator && !offline && !navigator.serviceWorker.controller) {
    navigator.serviceWorker.ready.then((reg) => {
      const files = [...document.querySelectorAll("link[rel=stylesheet][href], script[src]")].map((e) => e.href || e.src);
      reg.active.postMessage({ keep: location.pathname, files });
    });
  }

  drawMap();
  ready();
})();
