import { test, expect, open } from "./fixtures";

// The demo shipper has no addresses of its own; it saves two, then asks for prices.
test("a shipper compares prices for every service before booking", async ({ page }) => {
  await open(page, "/sign-in");
  await page.getByLabel("Email").fill("orders@lotus-shop.example");
  await page.getByLabel("Password").fill("parcelport-demo");
  await page.getByTestId("sign-in-submit").click();
  await expect(page).toHaveURL(/\/dashboard$/);

  await open(page, "/quote");
  const needs = page.getByTestId("quote-needs-addresses");
  if (await needs.isVisible()) {
    for (const [name, city, postcode] of [
      ["王芳", "Shanghai", "200120"],
      ["李雷", "Beijing", "100080"],
    ]) {
      await open(page, "/addresses");
      await page.getByLabel("Contact name").fill(name);
      await page.getByLabel("Phone").fill("13800138000");
      await page.getByLabel("Street and number").fill("1 Example Road");
      await page.getByLabel("City").fill(city);
      await page.getByLabel("Postcode").fill(postcode);
      await page.getByTestId("address-save").click();
      await expect(page.getByTestId("address-card").filter({ hasText: city })).toBeVisible();
    }
    await open(page, "/quote");
  }

  await page.getByLabel("Weight (kg)").fill("abc");
  await page.getByLabel("Length (cm)").fill("30");
  await page.getByLabel("Width (cm)").fill("20");
  await page.getByLabel("Height (cm)").fill("10");
  await page.getByLabel("Contents").fill("Tea");
  await page.getByTestId("quote-submit").click();
  await expect(page.locator("#f-form-weight_kg-error")).toHaveText("Enter a number, e.g. 2.5.");

  await page.getByLabel("Weight (kg)").fill("1.5");
  await page.getByTestId("quote-submit").click();
  const options = page.getByTestId("quote-option");
  await expect(options).toHaveCount(4);
  await expect(options.first()).toContainText("¥");
  await expect(page.getByTestId("quote-distance")).toContainText("km");
});
