import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "@playwright/test";
import { test, expect, open, bookToBeijing } from "./fixtures";

/** Bytes each of the site's files (the build's /pkg/, versioned files of public/) moved over
 * the network, as Chromium counts them (0: from cache). */
async function pkgTraffic(page: import("@playwright/test").Page) {
  const client = await page.context().newCDPSession(page);
  await client.send("Network.enable");
  const urls = new Map<string, string>();
  const bytes = new Map<string, number>();
  client.on("Network.requestWillBeSent", (e) => {
    const url = new URL(e.request.url);
    if (url.pathname.startsWith("/pkg/") || url.searchParams.has("v")) urls.set(e.requestId, e.request.url);
  });
  client.on("Network.loadingFinished", (e) => {
    if (urls.has(e.requestId)) bytes.set(urls.get(e.requestId)!, e.encodedDataLength);
  });
  return { urls, bytes, reset: () => { urls.clear(); bytes.clear(); } };
}

test("the wasm, JS and CSS have hashed names, are kept for a year, and a second visit downloads none of them", async ({ baseURL, request }) => {
  // A browser profile with a disk cache, as a phone has: a test context's in-memory cache
  // keeps no file larger than about a megabyte, however it is sent.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "pp-cache-"));
  const context = await chromium.launchPersistentContext(profile, {
    ...test.info().project.use,
    ...test.info().project.use.launchOptions,
    baseURL,
  });
  const errors: string[] = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (msg) => { if (msg.type() === "error") errors.push(msg.text()); });
  page.on("pageerror", (err) => errors.push(err.message));
  const traffic = await pkgTraffic(page);
  const assets: { url: string; cacheControl: string; vary: string }[] = [];
  page.on("response", (res) => {
    if (new URL(res.url()).pathname.startsWith("/pkg/")) {
      const h = res.headers();
      assets.push({ url: res.url(), cacheControl: h["cache-control"] ?? "", vary: h["vary"] ?? "" });
    }
  });
  const first = await page.goto("/sign-up");
  await expect(page.locator("body[data-ready]")).toBeAttached({ timeout: 30_000 });
  // Pages change with who is signed in: kept, but asked for again each time.
  expect(first!.headers()["cache-control"]).toContain("no-cache");
  const kinds = assets.map((a) => a.url.split(".").pop());
  expect(kinds).toEqual(expect.arrayContaining(["css", "js", "wasm"]));
  for (const a of assets) {
    // The app's core, the splitter's loader, the page group's chunk and the chunks it shares.
    expect(a.url, "a content-hashed name").toMatch(
      /\/pkg\/(parcelport|__wasm_split|split_[a-z_]+_\d+|chunk_\d+)\.[A-Za-z0-9_-]{16,}\.(css|js|wasm)$/,
    );
    expect(a.cacheControl, a.url).toBe("public, max-age=31536000, immutable");
    expect(a.vary.toLowerCase(), a.url).toContain("accept-encoding");
  }
  expect([...traffic.bytes.values()].some((b) => b > 0), "the first visit downloads them").toBe(true);

  // Another page of another chunk group, a new document: what the first page loaded comes from
  // the browser's cache; only the other group's chunks are new.
  const seen = new Set(assets.map((a) => a.url));
  traffic.reset();
  await open(page, "/quote");
  const again = [...traffic.bytes.entries()].filter(([u]) => seen.has(u));
  expect(again.length, "the second page uses the same core").toBeGreaterThanOrEqual(3);
  expect(Object.fromEntries(again), "bytes downloaded again").toEqual(
    Object.fromEntries(again.map(([u]) => [u, 0])),
  );

  // The tracking page's own files (Leaflet, its script) carry their version: the same.
  const tn = await bookToBeijing(request, "standard", "e2e-assets");
  traffic.reset();
  await open(page, `/track/${tn}`);
  const own = [...traffic.urls.values()];
  expect(own.some((u) => /\/track\.js\?v=[0-9a-f]{16}$/.test(u)), own.join("\n")).toBe(true);
  expect(own.some((u) => /\/vendor\/leaflet\/leaflet\.js\?v=/.test(u)), own.join("\n")).toBe(true);
  traffic.reset();
  await open(page, `/track/${tn}`);
  expect(Object.fromEntries(traffic.bytes), "bytes downloaded again").toEqual(
    Object.fromEntries([...traffic.bytes.keys()].map((u) => [u, 0])),
  );
  expect(errors, "browser console errors").toEqual([]);
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
});

test("an unknown path is the not-found page, and a static file that did not change answers 304", async ({ request }) => {
  const missing = await request.get("/no/such/page");
  expect(missing.status()).toBe(404);
  expect(await missing.text()).toContain("<html");
  const icon = await request.get("/favicon.svg");
  expect(icon.status()).toBe(200);
  expect(icon.headers()["cache-control"]).toBe("no-cache");
  const modified = icon.headers()["last-modified"];
  expect(modified).toBeTruthy();
  const again = await request.get("/favicon.svg", { headers: { "if-modified-since": modified } });
  expect(again.status()).toBe(304);
});

test("a staff page opened by a customer or a visitor is refused without downloading any app code", async ({ browser }) => {
  for (const user of ["shipper@acme.example", undefined]) {
    const context = await browser.newContext(test.info().project.use);
    if (user) {
      const signedIn = await context.request.post("/rpc/accounts/sign_in", {
        form: { email: user, password: "parcelport-demo" },
        headers: { accept: "text/html" },
        maxRedirects: 0,
      });
      expect(signedIn.status()).toBe(302);
    }
    const page = await context.newPage();
    const requested: string[] = [];
    page.on("request", (r) => requested.push(new URL(r.url()).pathname));
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const answer = await page.goto("/staff/kpis");
    if (user) expect(answer!.status()).toBe(403);
    await expect(page.locator("body[data-ready=static]")).toBeAttached();
    await expect(page.getByTestId(user ? "forbidden" : "sign-in-prompt")).toBeVisible();
    await page.waitForTimeout(500);
    expect(requested.filter((p) => /\.(wasm|js)$/.test(p) && p.startsWith("/pkg/")), `${user ?? "visitor"}`).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }
});
