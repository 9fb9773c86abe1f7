// Opens the workflow console in headless Chromium and checks an execution's page.
// usage: node console.mjs URL EXECUTION_ARN EXPECTED_JSON SCREENSHOT.png [WAITING_ARN]
//   WAITING_ARN: an execution waiting on a task token, answered through the page's form.
//   EXPECTED_JSON: {"status": "SUCCEEDED", "states": {"Name": "succeeded", ...},
//                   "events": ["ExecutionStarted", ...], "machine": "name"}
// Playwright starts Chromium with a fresh, empty profile of its own.
// Exits non-zero, saying what differs, when the page does not show what is expected.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

const [url, arn, expectedJson, screenshot, waitingArn] = process.argv.slice(2);
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
  await page.waitForFunction((n) => document.querySelector("main h1")?.textContent === n, arn.split(":").pop());
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

  const statusShown = () => page.locator("dl.facts [data-testid=status]").first();
  // Starting an execution from the machine's page opens it, and it is followed until it ends.
  if (expected.machine) {
    await page.goto(url, { waitUntil: "networkidle" });
    await page.getByRole("link", { name: expected.machine, exact: true }).click();
    const form = page.locator("[data-testid=start-form]");
    await form.locator("input[name=name]").fill("from-the-console");
    await form.locator("textarea[name=input]").fill("{not json");
    await form.getByRole("button", { name: "Start" }).click();
    const refused = await form.locator(".error").textContent();
    check(refused.includes("not JSON"), `bad input was not refused: '${refused}'`);
    await form.locator("textarea[name=input]").fill('{"order": 7}');
    await form.getByRole("button", { name: "Start" }).click();
    await page.waitForFunction(() => location.hash.includes("from-the-console"));
    await page.waitForFunction(
      () => document.querySelector("dl.facts [data-testid=status]")?.textContent === "SUCCEEDED",
      null, { timeout: 15000 });
    const input = await page.locator("[data-testid=input]").textContent();
    check(JSON.parse(input).order === 7, `the started execution's input is ${input}`);
  }
  // A waiting callback is answered from its form; the page follows the execution to its end.
  if (waitingArn) {
    await page.goto(`${url}#/execution/${encodeURIComponent(waitingArn)}`, { waitUntil: "networkidle" });
    const name = waitingArn.split(":").pop();
    await page.waitForFunction((n) => document.querySelector("main h1")?.textContent === n, name);
    check((await statusShown().textContent()) === "RUNNING", "the waiting execution is not RUNNING");
    const callback = page.locator("[data-testid=callback]").first();
    await callback.waitFor();
    await callback.locator("textarea[name=output]").fill('{"approved": true}');
    await callback.getByRole("button", { name: "Send success" }).click();
    await page.waitForFunction(
      () => document.querySelector("dl.facts [data-testid=status]")?.textContent === "SUCCEEDED",
      null, { timeout: 15000 });
    const output = await page.locator("[data-testid=output]").textContent();
    check(JSON.parse(output).approved === true, `the answered execution's output is ${output}`);
  }
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(`console check failed:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
console.log(`console check passed; screenshot at ${screenshot}`);
