// Loads Parcelport's pages in Debian's Chromium as a phone on a slow network sees them and
// prints, per page, the bytes transferred, the largest contentful paint, when the page became
// interactive (hydrated), when the tracking map drew its route and when the proof form answered,
// beside the same HTML served as a static file (the floor). Cold cache for every load.
//
// Run through bench/pages.sh, which builds the release site and starts the server. Arguments:
// node bench/pages.mjs <base-url> <site-root>; env DEMO_TN / DEMO_PROOF (set by pages.sh),
// BENCH_RUNS (loads per page, 3) and BENCH_PAGES (a comma-separated filter on the page names).
import { createRequire } from "node:module";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium } = require("@playwright/test");

const [base, siteRoot] = process.argv.slice(2);
const tn = process.env.DEMO_TN;
const proof = process.env.DEMO_PROOF;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

// Lighthouse's slow 4G as DevTools applies it.
const NETWORK = {
  offline: false,
  latency: 562.5,
  downloadThroughput: (1474.56 * 1024) / 8,
  uploadThroughput: (675 * 1024) / 8,
};
const CPU_SLOWDOWN = 4;
const NO_ANSWER = Infinity;

// Records, in the page's own clock, when it hydrated and when the map drew its route.
const MARKS = () => {
  window.__marks = {};
  const mark = (name) => { if (!(name in window.__marks)) window.__marks[name] = performance.now(); };
  new MutationObserver(() => {
    if (document.body?.hasAttribute("data-ready")) mark("interactive");
    if (document.querySelector(".leaflet-overlay-pane path")) mark("route");
  }).observe(document, { subtree: true, childList: true, attributes: true });
  window.__lcp = 0;
  window.__lcpElement = "";
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.startTime >= window.__lcp) {
        window.__lcp = e.startTime;
        const el = e.element;
        window.__lcpElement = el ? `${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).split(" ")[0] : ""}` : "(removed)";
      }
    }
  }).observe({ type: "largest-contentful-paint", buffered: true });
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
});

async function signedIn(email) {
  const ctx = await browser.newContext({ baseURL: base });
  const page = await ctx.newPage();
  await page.goto("/sign-in");
  await page.locator("body[data-ready]").waitFor({ state: "attached", timeout: 60_000 });
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("parcelport-demo");
  await page.getByTestId("sign-in-submit").click();
  await page.waitForURL(/\/dashboard$/);
  const state = await ctx.storageState();
  await ctx.close();
  return state;
}

/** One cold load of `url` (on `origin`); `act` runs on the page and returns extra marks. */
async function load(origin, url, storageState, act) {
  const ctx = await browser.newContext({
    baseURL: origin,
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    storageState,
  });
  await ctx.addInitScript(MARKS);
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.emulateNetworkConditions", NETWORK);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
  let bytes = 0;
  cdp.on("Network.loadingFinished", (e) => { bytes += e.encodedDataLength; });
  await page.goto(url, { waitUntil: "load", timeout: 120_000 });
  const extra = act ? await act(page) : {};
  // Both loads settle alike, so a paint after `load` counts on both sides.
  await page.waitForLoadState("networkidle", { timeout: 120_000 }).catch(() => {});
  // The largest paint is reported a moment after it happens.
  await page.waitForFunction(() => window.__lcp > 0, null, { timeout: 30_000 }).catch(() => {});
  const marks = await page.evaluate(() => ({ ...window.__marks, lcp: window.__lcp, lcpElement: window.__lcpElement }));
  await ctx.close();
  return { bytes, ...marks, ...extra };
}

async function waitMark(page, name, timeout = 90_000) {
  await page.waitForFunction((n) => n in window.__marks, name, { timeout }).catch(() => {});
}

// The tracking page: the map's route, and the proof form sent as soon as it is on screen.
const trackActs = {
  route: async (page) => { await waitMark(page, "route"); return {}; },
  proof: async (page) => {
    await page.getByLabel(/Postcode/).fill(proof);
    await page.getByTestId("proof-submit").click();
    // No answer in 90 s (a click the page is not ready for is lost) counts as none.
    const answered = await page.getByTestId("recipient-name").waitFor({ timeout: 90_000 })
      .then(() => true, () => false);
    return { answered: answered ? await page.evaluate(() => performance.now()) : NO_ANSWER };
  },
};

const customer = await signedIn("shipper@acme.example");
const staff = await signedIn("manager@parcelport.example");
const pages = [
  { name: "/track/{tn} (map)", url: `/track/${tn}`, act: trackActs.route },
  { name: "/track/{tn} (proof form)", url: `/track/${tn}`, act: trackActs.proof },
  { name: "/ (landing)", url: "/" },
  { name: "/sign-in", url: "/sign-in" },
  { name: "/ship (booking)", url: "/ship", state: customer },
  { name: "/shipments", url: "/shipments", state: customer },
  { name: "/returns", url: "/returns", state: customer },
  { name: "/account", url: "/account", state: customer },
  { name: "/staff/kpis", url: "/staff/kpis", state: staff },
];
for (const p of pages) p.act ??= async (page) => { await waitMark(page, "interactive"); return {}; };
// BENCH_PAGES=kpis,ship measures only the pages whose name contains one of those words.
const only = (process.env.BENCH_PAGES ?? "").split(",").filter(Boolean);
if (only.length) pages.splice(0, pages.length, ...pages.filter((p) => only.some((w) => p.name.includes(w))));

// The floor: each page's server-rendered HTML saved and served as a static file, with the
// site's own static files beside it, compressed as the portal compresses them (gzip).
const htmlOf = {};
for (const p of pages) {
  const ctx = await browser.newContext({ baseURL: base, storageState: p.state });
  const res = await ctx.request.get(p.url);
  htmlOf[p.url] = await res.text();
  await ctx.close();
}
const send = (req, res, type, body) => {
  const gzip = /\bgzip\b/.test(req.headers["accept-encoding"] ?? "");
  res.writeHead(200, { "content-type": type, ...(gzip ? { "content-encoding": "gzip" } : {}) });
  res.end(gzip ? zlib.gzipSync(body) : body);
};
const floor = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x").pathname;
  if (htmlOf[url] !== undefined) return send(req, res, "text/html; charset=utf-8", htmlOf[url]);
  const file = path.join(siteRoot, path.normalize(url));
  if (file.startsWith(path.resolve(siteRoot)) && fs.existsSync(file) && fs.statSync(file).isFile()) {
    const type = { ".css": "text/css", ".js": "text/javascript", ".wasm": "application/wasm",
                   ".svg": "image/svg+xml", ".png": "image/png" }[path.extname(file)] ?? "application/octet-stream";
    return send(req, res, type, fs.readFileSync(file));
  }
  res.writeHead(404).end();
});
await new Promise((r) => floor.listen(0, "127.0.0.1", r));
const floorOrigin = `http://127.0.0.1:${floor.address().port}`;

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : undefined;
};
const ms = (x) =>
  x === undefined ? "-" : x === NO_ANSWER ? "no answer" : `${(x / 1000).toFixed(2)} s`;
const kb = (x) => `${Math.round(x / 1024).toLocaleString("en")} KB`;

console.log(`cold cache, 360x740, slow 4G (562.5 ms RTT, 1,474.56 kbit/s down), CPU x${CPU_SLOWDOWN}, median of ${RUNS}`);
console.log("| page | bytes | LCP | LCP static floor | over the floor | interactive | map route | proof answered |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const p of pages) {
  const runs = [];
  const floors = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await load(base, p.url, p.state, p.act));
    floors.push(await load(floorOrigin, p.url, undefined, async () => ({})));
  }
  const m = (k) => median(runs.map((r) => r[k]));
  const floorLcp = median(floors.map((f) => f.lcp));
  const over = m("lcp") !== undefined && floorLcp ? `${Math.round((m("lcp") / floorLcp - 1) * 100)}%` : "-";
  console.log(`| ${p.name} | ${kb(m("bytes"))} | ${ms(m("lcp"))} | ${ms(floorLcp)} | ${over} | ` +
    `${ms(m("interactive"))} | ${ms(m("route"))} | ${ms(m("answered"))} |`);
  if (process.env.BENCH_DEBUG) {
    console.error(`  ${p.name}: LCP elements ${runs.map((r) => r.lcpElement).join(", ")}; floor ${floors.map((f) => f.lcpElement).join(", ")}`);
  }
}
floor.close();
await browser.close();
