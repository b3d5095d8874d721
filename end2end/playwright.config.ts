import { defineConfig, devices } from "@playwright/test";
import { SERVER } from "./server";

// The real server binary (the release build of `cargo leptos build --release -P --split`, as it
// ships) on a fresh SQLite file with demo data.
const PORT = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${PORT}`;

const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};

export default defineConfig({
  testDir: "./tests",
  // A test may load a dozen pages and wait for live updates.
  timeout: 120_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    locale: "en-US",
    launchOptions: chromium,
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "desktop",
      use: { ...devices["Desktop Chrome"], launchOptions: chromium, locale: "en-US" },
    },
    {
      name: "mobile-360",
      use: {
        viewport: { width: 360, height: 740 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        launchOptions: chromium,
        locale: "en-US",
      },
    },
  ],
  webServer: {
    command: SERVER,
    url: `${baseURL}/readyz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: {
      PARCELPORT_ADDR: `127.0.0.1:${PORT}`,
      DATABASE_URL: "sqlite://.run/e2e.db",
      UPLOAD_DIR: ".run/uploads",
      // Every test signs the same demo users in and opens tracking pages, both projects in
      // one 15-minute window from one address; the limits themselves are tested by the
      // integration tests.
      SIGN_IN_RATE_LIMIT: "1000",
      TRACK_LOOKUP_LIMIT: "100000",
      LEPTOS_SITE_ROOT: "../target/site",
      DEMO_DATA: "true",
      // Tests decide what happens to their parcels; the demo simulator would move them too.
      SIMULATOR_SPEED: "0",
      // No internet here: the map draws its route and markers without tiles.
      MAP_TILE_URL: "none",
      RUST_LOG: "warn",
    },
  },
});
