import { test, expect, open, uniqueEmail } from "./fixtures";

test("a customer saves, corrects, edits and deletes an address", async ({ page, request }, info) => {
  const email = uniqueEmail(info.project.name);
  // A fresh account through the public API, then a browser sign-in.
  const created = await request.post("/api/v1/accounts", {
    data: { email, password: "e2e-password-123", name: "Lin Yi", company: "", industry: "retail" },
  });
  expect(created.status()).toBe(201);
  await open(page, "/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("e2e-password-123");
  await page.getByTestId("sign-in-submit").click();
  await expect(page).toHaveURL(/\/dashboard$/);

  await open(page, "/addresses");
  await expect(page.getByTestId("address-empty")).toBeVisible();
  await page.getByLabel("Contact name").fill("王芳");
  await page.getByLabel("Phone").fill("+86 138 0013 8000");
  await page.getByLabel("Country or region").selectOption("CN");
  await page.getByLabel("Street and number").fill("88 Century Avenue");
  await page.getByLabel("City").fill("Shanghai");
  await page.getByLabel("Postcode").fill("2001");
  await page.getByTestId("address-save").click();
  await expect(page.locator("#f-address-postcode-error")).toHaveText(
    "This postcode does not match the country's format.",
  );

  await page.getByLabel("Postcode").fill("200120");
  await page.getByTestId("address-save").click();
  const card = page.getByTestId("address-card");
  await expect(card).toHaveCount(1);
  await expect(card).toContainText("200120 Shanghai");
  await expect(page.getByLabel("Contact name")).toHaveValue("", { timeout: 5_000 });

  await card.getByRole("button", { name: "Edit" }).click();
  await expect(page.getByLabel("City")).toHaveValue("Shanghai");
  await page.getByLabel("City").fill("Beijing");
  await page.getByLabel("Postcode").fill("100080");
  await page.getByTestId("address-save").click();
  await expect(card).toContainText("100080 Beijing");

  await card.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId("address-empty")).toBeVisible();
});
