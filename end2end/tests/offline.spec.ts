import { test, expect, open, bookToBeijing, signIn } from "./fixtures";

test("the app can be installed: a manifest with icons, a service worker", async ({ page, request }) => {
  const manifest = await request.get("/manifest.webmanifest");
  expect(manifest.status()).toBe(200);
  const m = await manifest.json();
  expect(m.start_url).toBe("/");
  expect(m.display).toBe("standalone");
  const sizes = m.icons.map((i: { sizes: string }) => i.sizes);
  expect(sizes).toEqual(expect.arrayContaining(["any", "192x192", "512x512"]));
  expect(m.icons.some((i: { purpose?: string }) => i.purpose === "maskable")).toBe(true);
  for (const icon of m.icons) {
    const res = await request.get(icon.src);
    expect(res.status(), icon.src).toBe(200);
    expect(res.headers()["content-type"]).toBe(icon.type);
  }
  await open(page, "/");
  await expect(page.locator('link[rel="manifest"]')).toHaveAttribute("href", "/manifest.webmanifest");
});

test("a tracking page seen once opens offline with its last status, and a signed-in page does not", async ({ page, context, request }) => {
  const tn = await bookToBeijing(request, "standard", "e2e-offline");
  await open(page, `/track/${tn}`);
  await expect(page.getByTestId("track-status")).toHaveText("Booked");
  // The worker takes over and keeps this page and its files.
  await expect.poll(() => page.evaluate(async (path) => {
    const kept = await caches.open("tracking-pages-v1");
    return Boolean(await kept.match(location.origin + path));
  }, `/track/${tn}`), { timeout: 15_000 }).toBe(true);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId("offline-note")).toContainText("offline");
  await expect(page.getByTestId("offline-note")).toContainText("Last updated");
  await expect(page.getByTestId("track-number")).toHaveText(tn);
  await expect(page.getByTestId("track-status")).toHaveText("Booked");
  // The map still draws from the kept files.
  await expect(page.locator('.track-map .leaflet-marker-icon[title="To"]')).toBeVisible();

  // Back online: the fresh page, without the note.
  await context.setOffline(false);
  await expect(page.getByTestId("offline-note")).toHaveCount(0, { timeout: 15_000 });
  await expect(page.getByTestId("track-status")).toHaveText("Booked");

  // What the recipient and a signed-in user see of the parcel is never kept: the copy stays
  // the public one.
  const keptCopy = () => page.evaluate(async (path) => {
    const kept = await caches.open("tracking-pages-v1");
    return (await (await kept.match(location.origin + path))!.text());
  }, `/track/${tn}`);
  const proved = await context.request.post(`/track/${tn}/proof`, { form: { proof: "100080" }, maxRedirects: 0 });
  expect(proved.status()).toBe(303);
  await open(page, `/track/${tn}`);
  await expect(page.getByTestId("recipient-name")).toHaveText("李雷");
  await signIn(page, "shipper@acme.example");
  await open(page, `/track/${tn}`);
  await expect(page.getByTestId("account-menu")).toBeVisible();
  const copy = await keptCopy();
  expect(copy).toContain('data-testid="track-status"');
  expect(copy).not.toContain("李雷");
  expect(copy).not.toContain("account-menu");

  // A signed-in page is never kept: offline it is the browser's own error.
  await open(page, "/shipments");
  await context.setOffline(true);
  await expect(page.reload()).rejects.toThrow(/ERR_INTERNET_DISCONNECTED/);
  await context.setOffline(false);
  await open(page, "/shipments");
  const names = await page.evaluate(async () => {
    const kept = await caches.open("tracking-pages-v1");
    return (await kept.keys()).map((r) => new URL(r.url).pathname);
  });
  expect(names).toEqual([`/track/${tn}`]);
});
