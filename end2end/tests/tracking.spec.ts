import { test, expect, open, bearer, bookToBeijing, carrierToken } from "./fixtures";

test("a carrier scan appears on an open tracking page without a reload", async ({ page, request }) => {
  const tn = await bookToBeijing(request, "express", "e2e-live");

  await open(page, `/track/${tn}`);
  await expect(page.getByTestId("track-status")).toHaveText("Booked");
  const res = await request.post("/api/v1/carrier/events", {
    headers: { authorization: `Bearer ${carrierToken()}` },
    data: { events: [{ event_id: `e2e-${tn}`, tracking_number: tn, status: "picked_up",
                       time: new Date().toISOString(), place: "Shanghai Pudong depot" }] },
  });
  expect((await res.json()).recorded).toBe(1);
  // No reload: the open page hears it over its stream.
  await expect(page.getByTestId("track-status")).toHaveText("Picked up");
  await expect(page.getByTestId("timeline")).toContainText("Shanghai Pudong depot");
});

test("the map shows the route, and the courier appears for the verified recipient without a reload", async ({ page, request }) => {
  const tn = await bookToBeijing(request, "standard", "e2e-map");
  const carrier = carrierToken();
  const now = Date.now();
  const iso = (minutes: number) => new Date(now + minutes * 60_000).toISOString();
  const scans = await request.post("/api/v1/carrier/events", {
    headers: { authorization: `Bearer ${carrier}` },
    data: { events: [
      { event_id: `map-1-${tn}`, tracking_number: tn, status: "picked_up", time: iso(0),
        place: "Shanghai", lat: 31.22, lng: 121.46 },
      { event_id: `map-2-${tn}`, tracking_number: tn, status: "in_transit", time: iso(1),
        place: "Jinan hub", lat: 36.65, lng: 117.12 },
    ] },
  });
  expect((await scans.json()).recorded).toBe(2);

  await open(page, `/track/${tn}`);
  const map = page.locator(".track-map");
  await expect(map.locator('.leaflet-marker-icon[title="From"]')).toBeVisible();
  await expect(map.locator('.leaflet-marker-icon[title="To"]')).toBeVisible();
  // The scanned path and the dashed way still to go, drawn without any tiles.
  await expect(map.locator(".leaflet-overlay-pane path")).toHaveCount(2);
  await expect(map.locator(".leaflet-tile")).toHaveCount(0);
  await expect(page.getByTestId("track-eta")).not.toBeEmpty();
  await expect(page.getByTestId("timeline")).toContainText("Jinan hub");
  await expect(map.locator('.leaflet-marker-icon[title="Courier"]')).toHaveCount(0);

  // The recipient proves the postcode: the address shows.
  await page.getByLabel("Postcode or last 4 digits of phone").fill("100080");
  await page.getByTestId("proof-submit").click();
  await expect(page.getByTestId("recipient-name")).toHaveText("李雷");
  await expect(page.getByTestId("manage-delivery")).toContainText("海淀区中关村大街 27 号");

  // Out for delivery, then the courier reports in: the pin appears without a reload.
  const out = await request.post("/api/v1/carrier/events", {
    headers: { authorization: `Bearer ${carrier}` },
    data: { events: [{ event_id: `map-3-${tn}`, tracking_number: tn, status: "out_for_delivery",
                       time: iso(2), place: "Beijing", lat: 39.91, lng: 116.40 }] },
  });
  expect((await out.json()).recorded).toBe(1);
  await expect(page.getByTestId("track-status")).toHaveText("Out for delivery");
  const ping = await request.post("/api/v1/carrier/positions", {
    headers: { authorization: `Bearer ${carrier}` },
    data: { positions: [{ tracking_number: tn, time: iso(3), lat: 39.98, lng: 116.31 }] },
  });
  expect((await ping.json()).recorded).toBe(1);
  await expect(map.locator('.leaflet-marker-icon[title="Courier"]')).toBeVisible();
  await expect(page.getByTestId("courier-seen")).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(page.viewportSize()!.width);
});
