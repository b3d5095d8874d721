import { test, expect, open, uniqueEmail } from "./fixtures";

const PASSWORD = "e2e-password-123";

test("a visitor switches the language to Chinese and it is remembered", async ({ page }) => {
  await open(page, "/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Where is my parcel?");
  await page.getByTestId("lang-zh-CN").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("我的包裹在哪里？");
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await expect(page.getByRole("button", { name: "查询" })).toBeVisible();

  await open(page, "/sign-in");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("登录");
  await page.getByTestId("lang-en").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in");
});

test("the track box checks numbers", async ({ page }) => {
  await open(page, "/");
  await page.getByLabel("Tracking number").fill("RR473124829FR, RR473124828FR");
  await page.getByRole("button", { name: "Track" }).click();
  await expect(page).toHaveURL(/\/track\?q=/);
  const results = page.getByTestId("track-result");
  await expect(results).toHaveCount(2);
  await expect(results.nth(0)).toContainText("No parcel with this number");
  await expect(results.nth(1)).toContainText("This is not a valid tracking number.");
});

test("sign-up shows the server's errors next to the fields", async ({ page }) => {
  await open(page, "/sign-up");
  await page.getByLabel("Your name").fill("Grace Hopper");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByTestId("sign-up-submit").click();
  await expect(page.locator("#f-email-error")).toHaveText("Enter an email address like name@example.com.");
  await expect(page.locator("#f-password-error")).toHaveText("Use at least 12 characters.");
  await expect(page.locator("#f-email")).toHaveAttribute("aria-invalid", "true");
  await expect(page).toHaveURL(/\/sign-up$/);
});

test("a customer signs up, signs out and signs in again", async ({ page }, info) => {
  const email = uniqueEmail(info.project.name);

  await open(page, "/sign-up");
  await page.getByLabel("Your name").fill("Grace Hopper");
  await page.getByLabel("Company (optional)").fill("Compilers Inc");
  await page.getByLabel("Industry").selectOption("ecommerce");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByTestId("sign-up-submit").click();

  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("dashboard-title")).toHaveText("Welcome, Grace Hopper");
  await expect(page.getByTestId("customer-name")).toHaveText("Compilers Inc");

  await page.getByTestId("account-menu").click();
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("nav-sign-in")).toBeVisible();

  await open(page, "/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("wrong-password-1");
  await page.getByTestId("sign-in-submit").click();
  await expect(page.getByTestId("form-error")).toHaveText("Email or password is wrong.");

  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByTestId("sign-in-submit").click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("dashboard-title")).toHaveText("Welcome, Grace Hopper");
});

test("a care agent signs in and sees the customers", async ({ page }) => {
  await open(page, "/sign-in");
  await page.getByLabel("Email").fill("agent@parcelport.example");
  await page.getByLabel("Password").fill("parcelport-demo");
  await page.getByTestId("sign-in-submit").click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("stat-customers")).not.toHaveText("0");
  await page.getByRole("link", { name: "Customers" }).click();
  await expect(page.getByTestId("customer-row").first()).toBeVisible();
});

test("the page fits a 360 px screen without sideways scrolling", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  for (const path of ["/", "/sign-up", "/sign-in", "/track?q=RR473124829FR"]) {
    await open(page, path);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
  }
});

test("signed-in pages fit a 360 px screen too", async ({ page }) => {
  // Nine page loads.
  test.setTimeout(150_000);
  await page.setViewportSize({ width: 360, height: 740 });
  await open(page, "/sign-in");
  await page.getByLabel("Email").fill("shipper@acme.example");
  await page.getByLabel("Password").fill("parcelport-demo");
  await page.getByTestId("sign-in-submit").click();
  await expect(page).toHaveURL(/\/dashboard$/);
  const fits = async (what: string) => {
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow, `${what} scrolls sideways`).toBeLessThanOrEqual(0);
  };
  for (const path of [
    "/dashboard",
    "/addresses",
    "/quote",
    "/account",
    "/ship",
    "/shipments",
    "/shipments/import",
  ]) {
    await open(page, path);
    await fits(path);
  }
  await open(page, "/shipments");
  await page.getByTestId("shipment-row").first().click();
  await expect(page.getByTestId("shipment-tracking-number")).toBeVisible();
  await fits("a shipment's page");
});

test("signing in works as a plain form without JavaScript, and says what is wrong", async ({ browser }) => {
  const context = await browser.newContext({ ...test.info().project.use, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/sign-in?next=/shipments");
  await page.getByLabel("Email").fill("shipper@acme.example");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByTestId("sign-in-submit").click();
  await expect(page.getByTestId("form-error")).toHaveText("Email or password is wrong.");
  await page.getByLabel("Email").fill("shipper@acme.example");
  await page.getByLabel("Password").fill("parcelport-demo");
  await page.getByTestId("sign-in-submit").click();
  await expect(page).toHaveURL(/\/shipments$/);
  await context.close();
});

test("the account page lists where the customer is signed in and signs another browser out", async ({ page, browser, request }, info) => {
  const email = uniqueEmail(info.project.name);
  const made = await request.post("/api/v1/accounts", {
    data: { email, password: PASSWORD, name: "Lin Yi", company: "", industry: "retail" },
  });
  expect(made.status()).toBe(201);
  const signInHere = async (p: typeof page) => {
    await open(p, "/sign-in");
    await p.getByLabel("Email").fill(email);
    await p.getByLabel("Password").fill(PASSWORD);
    await p.getByTestId("sign-in-submit").click();
    await expect(p).toHaveURL(/\/dashboard$/);
  };
  // A second browser: another context with a phone's user agent.
  const other = await browser.newContext({
    ...info.project.use,
    userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  });
  const phone = await other.newPage();
  await signInHere(phone);
  await signInHere(page);

  await open(page, "/account");
  const sessions = page.getByTestId("session");
  await expect(sessions).toHaveCount(2);
  await expect(page.getByTestId("session-current")).toHaveCount(1);
  const iphone = sessions.filter({ hasText: "Safari on iPhone" });
  await expect(iphone).toHaveCount(1);
  await expect(page.getByTestId("tokens-none")).toBeVisible();
  await iphone.getByTestId("session-end").click();
  await expect(sessions).toHaveCount(1);

  // The phone is signed out at its next request.
  await open(phone, "/shipments");
  await expect(phone.getByTestId("nav-sign-in")).toBeVisible();
  await other.close();
});
