import type { Page } from "@playwright/test";
import { test, expect, open, signIn } from "./fixtures";

/** Nothing on the page is wider than the screen (no sideways scrolling on a phone). */
async function fitsTheScreen(page: Page) {
  const [scroll, client] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth,
  ]);
  expect(scroll).toBeLessThanOrEqual(client);
}

test("a manager changes the period and a filter, drills into the late shipments and opens a customer's 360", async ({ page }, info) => {
  test.skip(info.project.name !== "desktop", "the manager's console is a desktop task");
  await signIn(page, "manager@parcelport.example");
  await open(page, "/staff/kpis");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Service and satisfaction KPIs");
  // The demo's year of history gives every card a value and a trend.
  const onTime = page.getByTestId("kpi-on_time");
  await expect(onTime.getByTestId("kpi-value")).toHaveText(/%$/);
  await expect(onTime.locator("svg path.trend-line")).toHaveAttribute("d", /^M/);

  // Last 12 months, manufacturers only: the URL carries the choice.
  await page.getByLabel("Period", { exact: true }).selectOption("365d");
  await page.getByLabel("Industry", { exact: true }).selectOption("manufacturing");
  await page.getByTestId("kpi-apply").click();
  await expect(page).toHaveURL(/period=365d/);
  await expect(page).toHaveURL(/industry=manufacturing/);
  await expect(page.getByTestId("kpi-period")).toContainText("compared with");
  await expect(page.getByTestId("kpi-on_time").getByTestId("kpi-delta")).not.toBeEmpty();
  // Industry is a dimension: each KPI beside each industry.
  await expect(page.getByTestId("kpi-by-industry")).toContainText("Manufacturing");

  // Behind the on-time rate: the late deliveries, each linked to its customer.
  await page.getByTestId("kpi-on_time").getByTestId("kpi-drill").click();
  await expect(page).toHaveURL(/\/staff\/kpis\/on_time\?.*industry=manufacturing/);
  await expect(page.getByTestId("drill-title")).toHaveText("Late deliveries");
  await expect(page.getByTestId("drill-row").first()).toBeVisible();
  await expect(page.getByTestId("drill-csv")).toHaveAttribute("href", /format=csv/);

  await page.getByTestId("drill-customer").first().click();
  await expect(page).toHaveURL(/\/staff\/customers\/\d+$/);
  await expect(page.getByTestId("customer-name")).not.toBeEmpty();
  // Why the customer has its tier: the rule in words and the scores it was decided on.
  await expect(page.getByTestId("tier-reason")).toContainText("Why:");
  await expect(page.getByTestId("scores")).toContainText("Recency");
  await expect(page.getByTestId("timeline").locator("li").first()).toBeVisible();
});

test("an agent works a retention item: records the outreach and the item closes", async ({ page }, info) => {
  test.skip(info.project.name !== "desktop", "one agent, one item");
  await signIn(page, "agent@parcelport.example");
  await open(page, "/staff/retention");
  const items = page.getByTestId("retention-item");
  await expect(items.first()).toBeVisible();
  const before = await items.count();
  const item = items.first();
  const customer = await item.getByRole("heading", { level: 2 }).getByRole("link").textContent();
  await expect(item).toContainText("At risk");
  await item.getByTestId("outreach-outcome").selectOption("retained");
  await item.getByTestId("outreach-note").fill("Called the shipping lead; agreed a weekly pickup.");
  await item.getByTestId("outreach-submit").click();
  await expect(items).toHaveCount(before - 1);
  if (before > 1) {
    await expect(page.getByTestId("retention-item").getByRole("heading", { name: customer! })).toHaveCount(0);
  }
});

test("the KPI dashboard reads at 360 px in Chinese", async ({ page }, info) => {
  test.skip(info.project.name !== "mobile-360", "the phone-sized reading");
  await signIn(page, "manager@parcelport.example");
  await open(page, "/staff/kpis");
  await page.getByTestId("lang-zh-CN").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("服务与满意度指标");
  await expect(page.getByTestId("kpi-on_time")).toContainText("准时送达率");
  await expect(page.getByTestId("tier-sizes")).toContainText("各等级客户数");
  await expect(page.getByTestId("kpi-by-industry")).toContainText("按行业");
  await expect(page.getByTestId("kpi-by-industry")).toContainText("制造业");
  await fitsTheScreen(page);
  await page.getByTestId("kpi-nps").getByTestId("kpi-drill").click();
  await expect(page.getByTestId("drill-title")).toHaveText("贬损者（NPS 0-6）");
  await fitsTheScreen(page);
});
