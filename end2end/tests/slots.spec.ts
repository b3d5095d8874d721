import { test, expect, open, bearer, signIn } from "./fixtures";
import type { APIRequestContext, Page } from "@playwright/test";

// Acme's saved recipient in Guangzhou, an area with demo slot templates.
const RECIPIENT = {
  name: "陈静", phone: "13700137000", line1: "天河区体育西路 103 号",
  city: "Guangzhou", postcode: "510620", country: "CN",
};
const SENDER = {
  name: "Alice Chen", phone: "+86 21 5555 0101", line1: "1 Factory Road, Pudong",
  city: "Shanghai", postcode: "200120", country: "CN",
};

async function guangzhouSlots(request: APIRequestContext, token: string) {
  const res = await request.get("/api/v1/slots?postcode=510620&days=14", {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status()).toBe(200);
  const list = await res.json();
  expect(list.area).toBe("guangzhou");
  return list.slots as Array<{ id: number; day: string; bookable: boolean }>;
}

/** Through the booking flow to the service step, with the scheduled service chosen. */
async function toScheduledService(page: Page) {
  await open(page, "/ship");
  const booking = page.getByTestId("booking");
  const recipient = page.getByLabel("Recipient");
  const guangzhou = await recipient.locator("option", { hasText: "Guangzhou" }).getAttribute("value");
  await recipient.selectOption(guangzhou!);
  await page.getByTestId("book-next").click();
  await expect(booking).toHaveAttribute("data-step", "2");
  await page.locator("#b-p0-weight").fill("1.5");
  await page.locator("#b-p0-length").fill("30");
  await page.locator("#b-p0-width").fill("20");
  await page.locator("#b-p0-height").fill("10");
  await page.locator("#b-p0-contents").fill("Tea");
  await page.getByTestId("book-next").click();
  await page.locator('[data-service="scheduled"]').click();
  await expect(page.getByTestId("delivery-picker")).toBeVisible();
}

test("a shipper chooses a delivery window while booking", async ({ page }) => {
  await signIn(page, "shipper@acme.example");
  await toScheduledService(page);
  // Without a window the flow does not go on, and says why.
  await page.getByTestId("book-next").click();
  await expect(page.getByTestId("delivery-window").getByRole("alert")).toHaveText("This field is required.");
  const open = page.getByTestId("delivery-picker").getByTestId("slot").filter({ visible: true, has: page.locator("input:enabled") });
  await expect(open.first()).toContainText("left");
  const window = (await open.first().locator("strong").textContent())!;
  await open.first().click();
  await page.getByTestId("book-next").click();
  await expect(page.getByTestId("review-window")).toContainText(window);
  await page.getByTestId("book-next").click();
  await page.getByRole("link", { name: "View shipment" }).click();
  await expect(page.getByTestId("shipment-promised")).toContainText(window);
});

test("a full window is shown but cannot be chosen", async ({ page, request }) => {
  const manager = await bearer(request, "manager@parcelport.example");
  const slots = await guangzhouSlots(request, manager);
  const last = slots[slots.length - 1];
  const res = await request.put(`/api/v1/slots/${last.id}`, {
    headers: { authorization: `Bearer ${manager}` },
    data: { capacity: 0 },
  });
  expect(res.status()).toBe(200);

  await signIn(page, "shipper@acme.example");
  await toScheduledService(page);
  const picker = page.getByTestId("delivery-picker");
  await picker.locator(`[data-testid="slot-day"][data-day="${last.day}"]`).click();
  const full = picker.locator(`[data-slot-id="${last.id}"]`);
  await expect(full).toContainText("Full");
  await expect(full.locator("input")).toBeDisabled();
  await full.click({ force: true });
  await expect(full.locator("input")).not.toBeChecked();
});

/** Books a scheduled parcel to Guangzhou in the last open window; returns its number. */
async function bookInLastWindow(request: APIRequestContext): Promise<string> {
  const shipper = await bearer(request, "shipper@acme.example");
  const open_ = (await guangzhouSlots(request, shipper)).filter((s) => s.bookable);
  const res = await request.post("/api/v1/shipments", {
    headers: { authorization: `Bearer ${shipper}`, "idempotency-key": `e2e-slot-${Date.now()}` },
    data: {
      sender: SENDER, recipient: RECIPIENT, service: "scheduled", delivery_slot_id: open_[open_.length - 1].id,
      parcels: [{ weight_g: 800, length_cm: 20, width_cm: 15, height_cm: 10, contents: "Tea" }],
    },
  });
  expect(res.status()).toBe(201);
  return (await res.json()).tracking_number;
}

/** On an open tracking page: a wrong proof is refused next to the field, the right one opens
 * the recipient's panel. */
async function proveRecipient(page: Page, tn: string) {
  await expect(page.getByTestId("track-number")).toHaveText(tn);
  // Without proof: no name, no street, no window's times; the page says the proof shows them.
  await expect(page.getByTestId("manage-delivery")).not.toContainText("陈静");
  await expect(page.getByTestId("proof-reveals")).toBeVisible();
  await expect(page.getByTestId("track-promised")).not.toContainText(":");
  await page.getByLabel("Postcode or last 4 digits of phone").fill("100000");
  await page.getByTestId("proof-submit").click();
  await expect(page.locator("#f-proof-error")).toHaveText(
    "That does not match the recipient's postcode or phone number.",
  );
  await page.getByLabel("Postcode or last 4 digits of phone").fill("510620");
  await page.getByTestId("proof-submit").click();
  await expect(page.getByTestId("recipient-name")).toHaveText("陈静");
}

test("the recipient reschedules from the tracking page after proving the postcode", async ({ page, request }) => {
  const tn = await bookInLastWindow(request);
  await open(page, `/track/${tn}`);
  await proveRecipient(page, tn);

  const picker = page.getByTestId("reschedule-picker");
  const other = picker.getByTestId("slot").filter({ visible: true, has: page.locator("input:enabled:not(:checked)") }).first();
  const window = (await other.locator("strong").textContent())!;
  const day = (await other.locator("xpath=ancestor::fieldset[1]").getAttribute("data-day"))!;
  await other.click();
  await page.getByTestId("move-delivery").click();
  await expect(page.getByTestId("delivery-changed")).toContainText(window);
  await expect(page.getByTestId("track-promised")).toContainText(window);
  await expect(page.getByTestId("timeline")).toContainText("Delivery window set to");
  // Nothing on the page pushes it wider than the phone.
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(page.viewportSize()!.width);

  // The track box finds it too, on the new day but without the window's times (it is
  // public), and leads to its page.
  await open(page, `/track?q=${tn}`);
  await expect(page.getByTestId("track-result")).toContainText(day);
  await expect(page.getByTestId("track-result")).not.toContainText(window);
  await page.getByRole("link", { name: "Details and delivery options" }).click();
  await expect(page.getByTestId("track-number")).toHaveText(tn);

  // The shipper finds a message about it on its dashboard.
  await signIn(page, "shipper@acme.example");
  await expect(page.getByTestId("notifications")).toContainText(`${tn}: the recipient changed the delivery.`);
});

test("a manager defines an area's template and closes a day", async ({ page }) => {
  await signIn(page, "manager@parcelport.example");
  await open(page, "/staff/slots");
  await page.getByTestId("new-template").click();
  const form = page.getByTestId("template-form");
  const area = `cd-${Date.now()}`;
  await form.getByLabel("Area code").fill(area);
  await form.getByLabel("Area name").fill("Chengdu");
  await form.getByLabel("Cities (comma separated)").fill("Chengdu");
  await form.getByLabel("Windows, e.g. 09:00-11:00, 14:00-18:00").fill("09:00-11:00, 13:00-12:00");
  await form.getByRole("button", { name: "Save template" }).click();
  // The server names the bad window next to the field.
  await expect(page.locator("#t-windows-error")).toHaveText("A window must end after it starts.");
  await form.getByLabel("Windows, e.g. 09:00-11:00, 14:00-18:00").fill("09:00-11:00, 14:00-18:00");
  await form.getByRole("button", { name: "Save template" }).click();
  await expect(form.getByRole("status")).toHaveText("Template saved; windows regenerated.");

  const card = page.getByTestId("slot-template").filter({ hasText: area });
  await card.getByRole("button", { name: "Windows" }).click();
  const table = page.getByTestId("template-windows");
  await expect(table.getByTestId("template-window").first()).toBeVisible();
  await table.getByTestId("close-day").first().click();
  await expect(table.getByTestId("close-day").first()).toHaveText("Reopen day");
  await expect(table.getByTestId("template-window").first()).toContainText("Closed");
});

test("without JavaScript the recipient proves it and moves the delivery with plain forms", async ({ browser, request }) => {
  const tn = await bookInLastWindow(request);
  const context = await browser.newContext({ ...test.info().project.use, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`/track/${tn}`);
  await proveRecipient(page, tn);

  // Every day's windows are on the page (the day tabs need a script): the first open one is
  // days before the booked one, on a day a script would hide.
  const later = page.getByTestId("reschedule-picker").getByTestId("slot")
    .filter({ has: page.locator("input:enabled:not(:checked)") }).first();
  await expect(later).toBeVisible();
  const window = (await later.locator("strong").textContent())!;
  await later.click();
  await page.getByTestId("move-delivery").click();
  await expect(page.getByTestId("delivery-changed")).toContainText(window);
  await expect(page.getByTestId("track-promised")).toContainText(window);
  await expect(page.getByTestId("timeline")).toContainText("Delivery window set to");
  await context.close();
});
