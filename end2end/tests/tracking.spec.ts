import { execFileSync } from "node:child_process";
import { test, expect, open, bearer } from "./fixtures";

/** A carrier token made by the server's own subcommand, on the e2e server's database. */
function carrierToken(): string {
  const out = execFileSync("../target/debug/server", ["create-carrier-token", "--name", "e2e courier"], {
    env: { ...process.env, DATABASE_URL: "sqlite://.run/e2e.db", RUST_LOG: "error" },
    encoding: "utf8",
  });
  const token = out.split("\n").map((l) => l.trim()).find((l) => l.startsWith("pc_"));
  expect(token, out).toBeTruthy();
  return token!;
}

test("a carrier scan appears on an open tracking page without a reload", async ({ page, request }) => {
  const shipper = await bearer(request, "shipper@acme.example");
  const booked = await request.post("/api/v1/shipments", {
    headers: { authorization: `Bearer ${shipper}`, "idempotency-key": `e2e-live-${Date.now()}` },
    data: {
      sender: { name: "Alice Chen", phone: "+86 21 5555 0101", line1: "1 Factory Road",
                city: "Shanghai", postcode: "200120", country: "CN" },
      recipient: { name: "李雷", phone: "13800138000", line1: "海淀区中关村大街 27 号",
                   city: "Beijing", postcode: "100080", country: "CN" },
      service: "express",
      parcels: [{ weight_g: 800, length_cm: 20, width_cm: 15, height_cm: 10, contents: "Tea" }],
    },
  });
  expect(booked.status()).toBe(201);
  const tn = (await booked.json()).tracking_number;

  await open(page, `/track/${tn}`);
  await expect(page.getByTestId("track-status")).toHaveText("Booked");
  const res = await request.post("/api/v1/carrier/events", {
    headers: { authorization: `Bearer ${carrierToken()}` },
    data: { events: [{ event_id: `e2e-${tn}`, tracking_number: tn, status: "picked_up",
                       time: new Date().toISOString(), place: "Shanghai Pudong depot" }] },
  });
  expect((await res.json()).recorded).toBe(1);
  // No reload: the open page hears it over its stream.
  await expect(page.getByTestId("track-status")).toHaveText("Picked up");
  await expect(page.getByTestId("timeline")).toContainText("Shanghai Pudong depot");
});
