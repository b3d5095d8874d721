import fs from "node:fs";
import { test, expect, bookToBeijing } from "./fixtures";

type Budget = { name: string; path: string; max_bytes: number; proof?: string; user?: string };
const budgets: Budget[] = JSON.parse(fs.readFileSync("budgets.json", "utf8")).pages;

// Bytes are stable where times are not: the benchmark (bench/pages.sh) measures times.
test("each page's first visit stays within its byte budget", async ({ browser, request }) => {
  test.skip(test.info().project.name !== "mobile-360", "measured once, on the phone");
  const tn = await bookToBeijing(request, "standard", "e2e-budget");
  const measured: string[] = [];
  for (const budget of budgets) {
    // A new context: a cold cache, no cookies but the recipient's grant when the page needs it.
    const context = await browser.newContext(test.info().project.use);
    const page = await context.newPage();
    const path = budget.path.replace("{tn}", tn);
    if (budget.user) {
      // Signed in as a plain form would (no page load counted).
      const signedIn = await context.request.post("/rpc/accounts/sign_in", {
        form: { email: budget.user, password: "parcelport-demo" },
        headers: { accept: "text/html" },
        maxRedirects: 0,
      });
      expect(signedIn.status()).toBe(302);
    }
    if (budget.proof) {
      const proved = await context.request.post(`${path}/proof`, { form: { proof: budget.proof }, maxRedirects: 0 });
      expect(proved.status()).toBe(303);
    }
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    const sizes = new Map<string, number>();
    const urls = new Map<string, string>();
    cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
    cdp.on("Network.loadingFinished", (e) => sizes.set(e.requestId, e.encodedDataLength));
    const errors: string[] = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(e.message));
    const answer = await page.goto(path);
    expect(answer!.status(), `${budget.name}: the page itself, not an error`).toBe(200);
    await expect(page.locator("body[data-ready]")).toBeAttached({ timeout: 30_000 });
    // The page measured is the one the budget names.
    const landed = new URL(page.url());
    expect(landed.pathname + landed.search).toBe(path);
    if (budget.path.startsWith("/track/{tn}")) {
      await expect(page.getByTestId("recipient-name")).toHaveCount(budget.proof ? 1 : 0);
    }
    // Anything loaded late (tiles are off in the tests; the stream never finishes loading).
    await page.waitForTimeout(1_000);
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    const files = [...sizes.entries()].map(([id, n]) => `${urls.get(id)} ${n}`).join("\n");
    measured.push(`${budget.name}: ${total} of ${budget.max_bytes} bytes`);
    expect(total, `${budget.name} (${path}):\n${files}`).toBeLessThanOrEqual(budget.max_bytes);
    // The staff pages' chunk is downloaded for staff pages only (requests counted whether or
    // not they finished).
    const staffChunk = [...urls.values()].some((u) => /\/pkg\/split_staff_pages_/.test(u));
    expect(staffChunk, `${budget.name} loads the staff chunk`).toBe(path.startsWith("/staff"));
    expect(errors, "browser console errors").toEqual([]);
    await context.close();
  }
  console.log(measured.join("\n"));
});
