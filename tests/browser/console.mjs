// Opens the workflow console in headless Chromium and checks an execution's page.
// usage: node console.mjs URL EXECUTION_ARN EXPECTED_JSON SCREENSHOT.png
//   EXPECTED_JSON: {"status": "SUCCEEDED", "states": {"Name": "succeeded", ...},
//                   "events": ["ExecutionStarted", ...], "machine": "name"}
// Playwright starts Chromium with a fresh, empty profile of its own.
// Exits non-zero, saying what differs, when the page does not show what is expected.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

const [url, arn, expectedJson, screenshot] = process.argv.slice(2);
if (!url || !arn || !expectedJson || !screenshot) {
  console.error("usage: node console.mjs URL EXECUTION_ARN EXPECTED_JSON SCREENSHOT.png");
  process.exit(2);
}
const expected = JSON.parse(expectedJson);
const problems = [];
const check = (ok, what) => { if (!ok) problems.push(what); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  // Nothing but the server may be reached: the console works offline.
  const origin = new URL(url).origin;
  const elsewhere = [];
  page.on("request", (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) elsewhere.push(r.url()); });

  // The list of state machines links to the machine, which lists the execution.
  await page.goto(url, { waitUntil: "networkidle" });
  if (expected.machine) {
    await page.getByRole("link", { name: expected.machine, exact: true }).click();
    await page.waitForSelector("[data-testid=executions], [data-testid=start-form]");
    const listed = await page.locator("[data-testid=executions] tbody tr").count();
    check(listed >= 1, `the machine page lists ${listed} executions`);
  }

  // The execution's page.
  await page.goto(`${url}#/execution/${encodeURIComponent(arn)}`, { waitUntil: "networkidle" });
  await page.waitForSelector("[data-testid=graph] [data-state]");
  const status = (await page.locator("dl.facts [data-testid=status]").first().textContent()).trim();
  check(status === expected.status, `status shown: ${status}, expected ${expected.status}`);
  for (const [state, want] of Object.entries(expected.states || {})) {
    const node = page.locator(`[data-testid=graph] [data-state="${state}"]`).first();
    const got = (await node.count()) ? await node.getAttribute("data-status") : "(no node)";
    check(got === want, `graph node '${state}' is ${got}, expected ${want}`);
  }
  const types = await page.locator("[data-testid=history] tbody tr td.type").allTextContents();
  check(JSON.stringify(types) === JSON.stringify(expected.events),
    `history shows ${JSON.stringify(types)}, expected ${JSON.stringify(expected.events)}`);
  // A state's input and output are there to open.
  const payloads = await page.locator("[data-testid=history] details summary").allTextContents();
  check(payloads.includes("input") && payloads.includes("output"), `history payloads: ${payloads}`);
  check(errors.length === 0, `page errors: ${errors.join("; ")}`);
  check(elsewhere.length === 0, `requests outside the server: ${elsewhere.join(", ")}`);

  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(`console check failed:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
console.log(`console check passed; screenshot at ${screenshot}`);
