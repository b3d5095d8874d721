import type { Page } from "@playwright/test";
import { test, expect, open, bearer, bookToBeijing, deliver, signIn } from "./fixtures";

/** Nothing on the page is wider than the screen (no sideways scrolling on a phone). */
async function fitsTheScreen(page: Page) {
  const [scroll, client] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth,
  ]);
  expect(scroll).toBeLessThanOrEqual(client);
}

// Smallest valid PNG (1×1, transparent).
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);

test("a delivered parcel is rated from its link, and a low score opens a complaint", async ({ page, request }) => {
  const tn = await bookToBeijing(request, "standard", "e2e-rate");
  await deliver(request, tn);
  const shipper = await bearer(request, "shipper@acme.example");
  const view = await request.get(`/api/v1/shipments/${tn}/rating`, {
    headers: { authorization: `Bearer ${shipper}` },
  });
  const link: string = (await view.json()).rate_link;

  // The link works without signing in.
  await open(page, link);
  await expect(page.getByTestId("rate-shipment")).toContainText(tn);
  await page.getByTestId("star-2").click();
  await page.getByText("Late", { exact: true }).click();
  await page.getByTestId("nps-3").click();
  await page.getByLabel("Comment (optional)").fill("Arrived two days late.");
  await fitsTheScreen(page);
  await page.getByTestId("rate-submit").click();
  await expect(page.getByTestId("rate-thanks")).toBeVisible();
  await expect(page.getByTestId("star-2")).toHaveAttribute("aria-checked", "true");

  // The low score offers a complaint; signing in leads back to it with the shipment filled in.
  await page.getByTestId("rate-open-complaint").click();
  await expect(page).toHaveURL(new RegExp(`/complaints/new\\?tn=${tn}`));
  await page.getByTestId("sign-in-prompt").click();
  await page.getByLabel("Email").fill("shipper@acme.example");
  await page.getByLabel("Password").fill("parcelport-demo");
  await page.getByTestId("sign-in-submit").click();
  await expect(page).toHaveURL(new RegExp(`/complaints/new\\?tn=${tn}`));
  await expect(page.locator("body[data-ready]")).toBeAttached({ timeout: 30_000 });
  await expect(page.getByLabel("Tracking number")).toHaveValue(tn);
  await page.getByLabel("What is it about?").selectOption("delay");
  // The server names the empty description next to the field.
  await page.getByTestId("complaint-submit").click();
  await expect(page.locator("#complaint-description ~ .field-error")).not.toBeEmpty();
  await page.getByLabel("What happened?").fill("Promised Tuesday, came Thursday.");
  await page.getByTestId("complaint-submit").click();
  await expect(page).toHaveURL(/\/complaints\/\d+$/);
  await expect(page.getByTestId("complaint-status")).toHaveText("Open");
  await expect(page.getByTestId("complaint-detail")).toContainText(tn);
  await expect(page.getByTestId("complaint-thread")).toContainText("Promised Tuesday, came Thursday.");
  await fitsTheScreen(page);
});

test("a return with a photo and a pickup window is approved by an agent, and its label downloads", async ({ page, browser, request }) => {
  const tn = await bookToBeijing(request, "standard", "e2e-return");
  await deliver(request, tn);
  await signIn(page, "shipper@acme.example");
  await open(page, `/shipments/${tn}`);
  await page.getByTestId("request-return").click();
  await expect(page).toHaveURL(new RegExp(`/returns/new\\?tn=${tn}`));
  await expect(page.locator("body[data-ready]")).toBeAttached({ timeout: 30_000 });
  await expect(page.getByTestId("return-window")).toBeVisible();
  await page.getByLabel("Reason").selectOption("damaged");
  await page.getByLabel("Note").fill("The tin is dented.");
  await page.locator("#return-photos").setInputFiles({ name: "dent.png", mimeType: "image/png", buffer: PNG });
  await page.getByLabel("Courier pickup").check();
  const open_slot = page.getByTestId("return-slot-picker").getByTestId("slot").filter({ visible: true, has: page.locator("input:enabled") }).first();
  await open_slot.click();
  await fitsTheScreen(page);
  await page.getByTestId("return-submit").click();
  await expect(page).toHaveURL(/\/returns\/\d+$/);
  await expect(page.getByTestId("return-status")).toHaveText("Requested");
  await expect(page.getByTestId("return-photos").locator("img")).toHaveCount(1);
  await fitsTheScreen(page);
  const returnUrl = page.url();

  // An agent, on a desktop, finds it in the queue and approves it.
  const desk = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const agent = await desk.newPage();
  const agentErrors: string[] = [];
  agent.on("console", (m) => { if (m.type() === "error") agentErrors.push(m.text()); });
  agent.on("pageerror", (e) => agentErrors.push(e.message));
  await signIn(agent, "agent@parcelport.example");
  await expect(agent.getByTestId("queue-summary")).toBeVisible();
  await agent.getByTestId("queue-summary").locator("a").first().click();
  await expect(agent).toHaveURL(/\/staff\/queue$/);
  await agent.getByTestId("queue-returns").getByTestId("return-link").filter({ hasText: returnUrl.split("/").pop()! }).click();
  await expect(agent.getByTestId("return-staff")).toBeVisible();
  await expect(agent.locator("body[data-ready]")).toBeAttached({ timeout: 30_000 });
  await agent.getByTestId("return-approve").click();
  await expect(agent.getByTestId("return-status")).toHaveText("Label issued");
  expect(agentErrors).toEqual([]);
  await desk.close();

  // The customer sees the label and the return's own tracking number.
  await open(page, new URL(returnUrl).pathname);
  await expect(page.getByTestId("return-status")).toHaveText("Label issued");
  await expect(page.getByTestId("return-tracking-link")).not.toBeEmpty();
  const href = await page.getByTestId("return-label").getAttribute("href");
  const pdf = await page.request.get(href!);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()["content-type"]).toBe("application/pdf");
  expect((await pdf.body()).subarray(0, 4).toString()).toBe("%PDF");
});

test("the recipient rates and returns from the tracking page without an account", async ({ page, request }) => {
  const tn = await bookToBeijing(request, "standard", "e2e-recipient");
  await deliver(request, tn);
  await open(page, `/track/${tn}`);
  await page.getByLabel("Postcode or last 4 digits of phone").fill("100080");
  await page.getByTestId("proof-submit").click();
  await expect(page.getByTestId("trk-rate")).toBeVisible();
  await page.getByTestId("trk-return").click();
  await expect(page).toHaveURL(/\/returns\/new\?tn=.*&sig=/);
  await expect(page.locator("body[data-ready]")).toBeAttached({ timeout: 30_000 });
  await page.getByLabel("Reason").selectOption("not_as_described");
  await page.getByLabel("Drop off at a point").check();
  await fitsTheScreen(page);
  await page.getByTestId("return-submit").click();
  // Its own signed link: the recipient follows the return without signing in.
  await expect(page).toHaveURL(/\/returns\/\d+\?exp=\d+&sig=/);
  await expect(page.getByTestId("return-status")).toHaveText("Requested");
  await expect(page.getByTestId("return-detail")).toContainText("Drop off at a point");
  await expect(page.getByTestId("return-staff")).toHaveCount(0);
});

test("an agent resolves a complaint and the customer confirms it, answering the follow-up", async ({ page, browser, request }) => {
  const shipper = await bearer(request, "shipper@acme.example");
  const filed = await request.post("/api/v1/complaints", {
    headers: { authorization: `Bearer ${shipper}` },
    data: { category: "billing", description: "Charged twice for one label." },
  });
  expect(filed.status()).toBe(201);
  const id = (await filed.json()).id;

  const desk = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const agent = await desk.newPage();
  const agentErrors: string[] = [];
  agent.on("console", (m) => { if (m.type() === "error") agentErrors.push(m.text()); });
  agent.on("pageerror", (e) => agentErrors.push(e.message));
  await signIn(agent, "agent@parcelport.example");
  await open(agent, `/complaints/${id}`);
  await expect(agent.getByTestId("complaint-customer")).toContainText("Acme Manufacturing");
  await agent.getByLabel("Message").fill("Refunded the second charge.");
  await agent.getByTestId("complaint-resolve").click();
  await expect(agent.getByTestId("complaint-status")).toHaveText("Resolved");
  expect(agentErrors).toEqual([]);
  await desk.close();

  await signIn(page, "shipper@acme.example");
  await open(page, `/complaints/${id}`);
  await expect(page.getByTestId("complaint-thread")).toContainText("Refunded the second charge.");
  await fitsTheScreen(page);
  await page.getByTestId("follow-up-4").click();
  await page.getByTestId("complaint-confirm").click();
  await expect(page.getByTestId("complaint-status")).toHaveText("Closed");
  await expect(page.getByTestId("complaint-follow-up")).toHaveText("★★★★");
});
