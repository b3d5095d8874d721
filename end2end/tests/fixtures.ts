import { test as base, expect, Page, APIRequestContext } from "@playwright/test";

// Every test fails if the browser logs an error or a script throws.
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("console", (msg) => {
        if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
      });
      page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
      await use(errors);
      expect(errors, "browser console errors").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Opens a page and waits until the wasm has hydrated it. */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator("body[data-hydrated]")).toBeAttached({ timeout: 30_000 });
}

let counter = 0;
/** An email no other test (or earlier run on this database) has used. */
export function uniqueEmail(project: string): string {
  counter += 1;
  return `e2e-${project}-${Date.now()}-${counter}@example.com`;
}

/** A bearer token for a demo user (every demo password is the same). */
export async function bearer(request: APIRequestContext, email: string): Promise<string> {
  const res = await request.post("/api/v1/tokens", { data: { email, password: "parcelport-demo" } });
  expect(res.status()).toBe(201);
  return (await res.json()).token;
}

/** Signs a demo user in through the sign-in page; lands on the dashboard. */
export async function signIn(page: Page, email: string) {
  await open(page, "/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("parcelport-demo");
  await page.getByTestId("sign-in-submit").click();
  await expect(page).toHaveURL(/\/dashboard$/);
}
