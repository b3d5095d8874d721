import { execFileSync } from "node:child_process";
import { test as base, expect, Page, APIRequestContext } from "@playwright/test";
import { SERVER } from "../server";

// Every test fails if the browser logs an error, a script throws or the page's
// Content-Security-Policy refuses anything.
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      await page.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) =>
          console.error(`CSP refused ${e.blockedURI || "inline"} (${e.effectiveDirective})`));
      });
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

/** Opens a page and waits until it is ready: hydrated by the wasm, enhanced by its script, or
 * served without any (`data-ready`). */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator("body[data-ready]")).toBeAttached({ timeout: 30_000 });
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

/** A carrier token made by the server's own subcommand, on the e2e server's database. */
export function carrierToken(): string {
  const out = execFileSync(SERVER, ["create-carrier-token", "--name", "e2e courier"], {
    env: { ...process.env, DATABASE_URL: "sqlite://.run/e2e.db", RUST_LOG: "error" },
    encoding: "utf8",
  });
  const token = out.split("\n").map((l) => l.trim()).find((l) => l.startsWith("pc_"));
  expect(token, out).toBeTruthy();
  return token!;
}

/** Books a parcel from Shanghai to Beijing as Acme; returns its tracking number. */
export async function bookToBeijing(request: APIRequestContext, service: string, key: string): Promise<string> {
  const shipper = await bearer(request, "shipper@acme.example");
  const booked = await request.post("/api/v1/shipments", {
    headers: { authorization: `Bearer ${shipper}`, "idempotency-key": `${key}-${Date.now()}` },
    data: {
      sender: { name: "Alice Chen", phone: "+86 21 5555 0101", line1: "1 Factory Road",
                city: "Shanghai", postcode: "200120", country: "CN" },
      recipient: { name: "李雷", phone: "13800138000", line1: "海淀区中关村大街 27 号",
                   city: "Beijing", postcode: "100080", country: "CN" },
      service,
      parcels: [{ weight_g: 800, length_cm: 20, width_cm: 15, height_cm: 10, contents: "Tea" }],
    },
  });
  expect(booked.status()).toBe(201);
  return (await booked.json()).tracking_number;
}

/** Scans a parcel through to delivered, now. */
export async function deliver(request: APIRequestContext, tn: string) {
  const now = Date.now();
  const events = ["picked_up", "in_transit", "out_for_delivery", "delivered"].map((status, i) => ({
    event_id: `deliver-${status}-${tn}`, tracking_number: tn, status,
    time: new Date(now - (4 - i) * 60_000).toISOString(), place: "Beijing", lat: 39.98, lng: 116.31,
  }));
  const res = await request.post("/api/v1/carrier/events", {
    headers: { authorization: `Bearer ${carrierToken()}` },
    data: { events },
  });
  expect((await res.json()).recorded).toBe(4);
}
