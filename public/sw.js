// Parcelport's service worker. It keeps two things: the site's public files (hashed or
// versioned ones are never stale; the few others are refreshed when online) and the last public tracking pages viewed, so a
// recipient who opens a parcel again without a network sees its last known status, marked as
// such. It never keeps a page or answer the server marked `no-store` (anything for a signed-in
// user or a verified recipient), nor any API answer.
const FILES = "files-v1";
const PAGES = "tracking-pages-v1";
const KEEP_PAGES = 10;
const SAVED_AT = "x-parcelport-saved-at";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name !== FILES && name !== PAGES) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

const isTrackingPage = (url) => /^\/track\/[A-Za-z0-9]+$/.test(url.pathname);
const immutable = (res) => res.ok && /\bimmutable\b/.test(res.headers.get("cache-control") || "");
const storable = (res) => res.ok && res.type === "basic" && !/no-store/.test(res.headers.get("cache-control") || "");

// Only what a kept tracking page uses: the stylesheet, Leaflet, its script, the icons and
// the manifest. The app's wasm stays with the browser's cache (pages that need it are never
// kept for offline use).
const isSiteFile = (url) =>
  /^\/pkg\/[^/]+\.css$/.test(url.pathname) ||
  /^\/(vendor|icons)\//.test(url.pathname) ||
  ["/track.js", "/pwa.js", "/favicon.svg", "/manifest.webmanifest"].includes(url.pathname);

// Immutable files from the cache; the others from the network, the kept copy when offline.
// Storing never holds up the answer (`later` is the fetch event's waitUntil).
async function siteFile(request, later) {
  const cache = await caches.open(FILES);
  const hit = await cache.match(request);
  if (hit && immutable(hit)) return hit;
  try {
    const res = await fetch(request);
    if (storable(res)) later(keepFile(cache, request, res.clone()).catch(() => {}));
    return res;
  } catch (offline) {
    if (hit) return hit;
    throw offline;
  }
}

// One copy per file: a new version replaces the old one.
async function keepFile(cache, request, res) {
  const path = new URL(request.url).pathname;
  for (const old of await cache.keys()) {
    if (new URL(old.url).pathname === path && old.url !== request.url) await cache.delete(old);
  }
  await cache.put(request, res);
}

// Only a parcel's own page, as anyone sees it: no query (a refusal shown once), no unknown
// number, nothing marked no-store.
async function keepPage(url, res) {
  if (!storable(res) || new URL(url).search) return;
  const html = await res.text();
  if (!html.includes('class="tracked"')) return;
  const cache = await caches.open(PAGES);
  const headers = new Headers(res.headers);
  headers.set(SAVED_AT, String(Date.now()));
  await cache.put(url, new Response(html, { status: 200, headers }));
  const kept = await cache.keys();
  for (const old of kept.slice(0, Math.max(0, kept.length - KEEP_PAGES))) await cache.delete(old);
}

// The cached page with its offline note filled in (the page carries the note's words in its
// own language, in `<template id="offline-note">`).
async function offlinePage(cached) {
  const html = await cached.text();
  const lang = (html.match(/<html[^>]*\blang="([^"]+)"/) || [])[1] || "en";
  const saved = new Date(Number(cached.headers.get(SAVED_AT)));
  const time = saved.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
  const page = html
    .replace(/<template id="offline-note">([\s\S]*?)<\/template>/, (_, text) =>
      `<p class="banner banner-offline" role="status" data-testid="offline-note">${text.replace("{time}", time)}</p>`)
    .replace("<body", "<body data-offline");
  return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
}

async function trackingPage(event) {
  const url = new URL(event.request.url);
  const key = url.origin + url.pathname;
  try {
    const res = await fetch(event.request);
    if (!url.search) event.waitUntil(keepPage(key, res.clone()).catch(() => {}));
    return res;
  } catch (offline) {
    const cached = await (await caches.open(PAGES)).match(key);
    if (cached) return offlinePage(cached);
    throw offline;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  // Other hosts (map tiles) and every answer with data stay with the browser's own cache.
  if (url.origin !== self.location.origin || /^\/(api|rpc)\//.test(url.pathname)) return;
  if (request.mode === "navigate") {
    if (isTrackingPage(url)) event.respondWith(trackingPage(event));
    return;
  }
  if (isSiteFile(url)) event.respondWith(siteFile(request, (p) => event.waitUntil(p)));
});

// A page opened before this worker took control asks to be kept, with the files it uses.
self.addEventListener("message", (event) => {
  const { keep, files } = event.data || {};
  event.waitUntil(
    (async () => {
      for (const file of [...(files || []), "/favicon.svg", "/manifest.webmanifest"]) {
        const url = new URL(file, self.location.origin);
        if (url.origin === self.location.origin && isSiteFile(url)) {
          const stored = [];
          await siteFile(new Request(url), (p) => stored.push(p)).catch(() => {});
          await Promise.all(stored);
        }
      }
      if (keep) {
        const url = new URL(keep, self.location.origin);
        if (isTrackingPage(url)) {
          const res = await fetch(url, { credentials: "same-origin" }).catch(() => null);
          if (res) await keepPage(url.origin + url.pathname, res);
        }
      }
    })(),
  );
});
