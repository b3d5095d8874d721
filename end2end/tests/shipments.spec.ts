import { test, expect, open, uniqueEmail } from "./fixtures";
import type { Page } from "@playwright/test";

async function signIn(page: Page, email: string, password: string) {
  await open(page, "/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByTestId("sign-in-submit").click();
  await expect(page).toHaveURL(/\/dashboard$/);
}

const S10 = /^[A-Z]{2}\d{9}[A-Z]{2}$/;

test("a shipper books a shipment step by step and prints its label", async ({ page }) => {
  await signIn(page, "shipper@acme.example", "parcelport-demo");
  await open(page, "/ship");
  const booking = page.getByTestId("booking");

  // Step 1: a new recipient, first with a postcode that does not fit the country.
  await page.getByLabel("Recipient").selectOption("new");
  await page.getByLabel("Contact name").fill("陈静");
  await page.getByLabel("Phone").fill("13700137000");
  await page.getByLabel("Street and number").fill("103 Tiyu West Road");
  await page.getByLabel("City").fill("Guangzhou");
  await page.getByLabel("Postcode").fill("5106");
  await page.getByTestId("book-next").click();
  await expect(page.locator("#b-r-postcode-error")).toHaveText(
    "This postcode does not match the country's format.",
  );
  await page.getByLabel("Postcode").fill("510620");
  await page.getByTestId("book-next").click();
  await expect(booking).toHaveAttribute("data-step", "2");

  // Step 2: two parcels; a bad number is named next to its field.
  await page.locator("#b-p0-weight").fill("2,5");
  await page.locator("#b-p0-length").fill("30");
  await page.locator("#b-p0-width").fill("20");
  await page.locator("#b-p0-height").fill("10");
  await page.locator("#b-p0-contents").fill("Tea");
  await page.getByTestId("book-add-parcel").click();
  await page.locator("#b-p1-weight").fill("heavy");
  await page.locator("#b-p1-length").fill("40");
  await page.locator("#b-p1-width").fill("30");
  await page.locator("#b-p1-height").fill("20");
  await page.locator("#b-p1-contents").fill("Cups");
  await page.getByTestId("book-next").click();
  await expect(page.locator("#b-p1-weight-error")).toHaveText("Enter a number, e.g. 2.5.");
  await page.locator("#b-p1-weight").fill("4");
  await page.getByTestId("book-next").click();

  // Step 3: every service priced; going back keeps what was typed.
  await expect(page.getByTestId("service-option")).toHaveCount(4);
  await page.getByTestId("book-back").click();
  await expect(page.locator("#b-p0-weight")).toHaveValue("2,5");
  await expect(page.locator("#b-p1-contents")).toHaveValue("Cups");
  await page.getByTestId("book-next").click();
  await page.locator('[data-service="express"]').click();
  await page.getByTestId("book-next").click();

  // Step 4: review, with the breakdown and a reference.
  await expect(booking).toHaveAttribute("data-step", "4");
  await expect(booking).toContainText("陈静");
  await expect(booking).toContainText("Total");
  await page.getByLabel("Your reference (optional)").fill("E2E-ORDER-1");
  await page.getByTestId("book-next").click();

  const number = page.getByTestId("booked-tracking-number");
  await expect(number).toHaveText(S10);
  const tn = (await number.textContent())!.trim();

  // The label: a PDF for this shipment, fetched with the page's session.
  const href = await page.getByTestId("print-label").getAttribute("href");
  const label = await page.request.get(href!);
  expect(label.status()).toBe(200);
  expect(label.headers()["content-type"]).toBe("application/pdf");
  expect((await label.body()).subarray(0, 5).toString()).toBe("%PDF-");

  // It is in the list, found by its reference, and its page shows it.
  await open(page, "/shipments?q=E2E-ORDER-1");
  const row = page.getByTestId("shipment-row").filter({ hasText: tn });
  await expect(row).toBeVisible();
  await row.click();
  await expect(page.getByTestId("shipment-tracking-number")).toHaveText(tn);
  await expect(page.locator(".badge[data-status='created']")).toBeVisible();

  // Cancelled while not picked up: two taps, and the label is gone.
  await page.getByTestId("cancel-shipment").click();
  await page.getByTestId("cancel-confirm").click();
  await expect(page.locator(".badge[data-status='cancelled']")).toBeVisible();
  await expect(page.getByTestId("print-label")).toHaveCount(0);
});

test("a CSV import shows the bad row's error and books the good one", async ({ page, request }, info) => {
  const email = uniqueEmail(info.project.name);
  const created = await request.post("/api/v1/accounts", {
    data: { email, password: "e2e-password-123", name: "Lin Yi", company: "Lin Trading", industry: "retail" },
  });
  expect(created.status()).toBe(201);
  await signIn(page, email, "e2e-password-123");

  await open(page, "/shipments/import");
  const template = await page.request.get("/api/v1/shipments/import/template.csv");
  expect(template.status()).toBe(200);
  const [header, example] = (await template.text()).split("\r\n");
  const bad = example.replace("PO-1001", "PO-1002").replace(",100080,", ",10008X,");
  const csv = [header, example, bad, ""].join("\r\n");
  await page.getByTestId("import-file").setInputFiles({
    name: "shipments.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv, "utf-8"),
  });

  await expect(page.getByTestId("import-summary")).toContainText("1 rows ready to book, 1 with errors.");
  const error = page.getByTestId("import-error");
  await expect(error).toHaveCount(1);
  await expect(error).toHaveAttribute("data-line", "3");
  await expect(error).toHaveAttribute("data-column", "recipient_postcode");
  await expect(error).toContainText("This postcode does not match the country's format.");

  await page.getByTestId("import-book").click();
  await expect(page.getByTestId("import-done")).toContainText("1 shipments booked.");
  await expect(page.getByTestId("import-progress")).toHaveAttribute("value", "1");

  await open(page, "/shipments");
  await expect(page.getByTestId("shipment-row")).toHaveCount(1);
  await expect(page.getByTestId("shipment-row")).toContainText("PO-1001");
});
