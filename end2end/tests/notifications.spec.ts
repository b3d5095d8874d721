import { test, expect, open, signIn } from "./fixtures";

test("a shipper chooses channels per message and manages a webhook", async ({ page }, testInfo) => {
  // Each project (desktop, 360 px) changes settings of its own account on the shared database.
  await signIn(page, testInfo.project.name === "desktop" ? "orders@lotus-shop.example" : "li.lei@example.com");
  await page.getByTestId("settings-link").click();
  await expect(page).toHaveURL(/\/settings\/notifications$/);
  await expect(page.locator("body[data-ready]")).toBeAttached();

  const booking = page.getByTestId("prefs-booking_confirmed");
  const email = booking.getByRole("checkbox", { name: "Booking confirmed · Email" });
  await expect(email).toBeChecked();
  await email.uncheck();
  await page.getByTestId("prefs-save").click();
  await expect(page.getByTestId("prefs-saved")).toHaveText("Settings saved.");
  await open(page, "/settings/notifications");
  await expect(page.getByTestId("prefs-booking_confirmed").getByRole("checkbox", { name: "Booking confirmed · Email" })).not.toBeChecked();
  await expect(page.getByTestId("prefs-delay_alert").getByRole("checkbox", { name: "Delay alert · Email" })).toBeChecked();

  // The server refuses an endpoint inside a private network, next to the field.
  const hooks = page.getByTestId("webhooks");
  await hooks.getByLabel("Endpoint URL").fill("http://192.168.1.20/hook");
  await page.getByTestId("webhook-add").click();
  await expect(page.locator("#f-webhook-url-error")).toContainText("public internet");
  const url = `https://hooks.example.com/parcelport/${Date.now()}`;
  await hooks.getByLabel("Endpoint URL").fill(url);
  await page.getByTestId("webhook-add").click();
  await expect(page.getByTestId("webhook-secret")).toContainText("whsec_");
  const card = page.getByTestId("webhook").filter({ hasText: url });
  await expect(card).toBeVisible();
  await card.getByRole("button", { name: "Remove" }).click();
  await expect(card).toHaveCount(0);

  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(page.viewportSize()!.width);
});
