// The workflow console: a small single-page app over the server's Step Functions API.
// Everything it shows comes from the same operations the AWS CLI uses, called through
// POST /console/api; text is always inserted as text (never as HTML).

const main = document.getElementById("main");
const live = document.getElementById("live");
let refreshTimer = null;

// ----- the API -----

class ApiError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

async function call(operation, body = {}, namespace = "AWSStepFunctions") {
  const response = await fetch("/console/api", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.0",
      "X-Amz-Target": `${namespace}.${operation}`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(`HTTP ${response.status}`, text);
  }
  if (!response.ok) {
    const code = String(data.__type || `HTTP ${response.status}`).split("#").pop();
    throw new ApiError(code, data.message || text);
  }
  return data;
}

// ----- DOM helpers -----

/** Builds an element; children are nodes or text (always inserted as text). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function date(seconds) {
  if (seconds === undefined || seconds === null) return "";
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace("Z", " UTC");
}

function badge(status) {
  return h("span", { class: `badge ${status}`, "data-testid": "status" }, status);
}

function pretty(text) {
  if (text === undefined || text === null) return "";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return String(text);
  }
}

function link(hash, text) {
  return h("a", { href: hash }, text);
}

function enc(arn) {
  return encodeURIComponent(arn);
}

function show(...nodes) {
  main.replaceChildren(...nodes);
}

function failure(error) {
  return h("p", { class: "error" }, error.message || String(error));
}

// ----- pages -----

async function machinesPage() {
  const { stateMachines } = await call("ListStateMachines", { maxResults: 1000 });
  const rows = stateMachines.map((m) =>
    h("tr", {},
      h("td", {}, link(`#/machine/${enc(m.stateMachineArn)}`, m.name)),
      h("td", {}, m.type),
      h("td", {}, date(m.creationDate))));
  show(
    h("h1", {}, "State machines"),
    h("p", { class: "muted" }, "Create them with the API, e.g. aws stepfunctions create-state-machine --endpoint-url ", location.origin),
    rows.length
      ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Type"), h("th", {}, "Created"))), h("tbody", {}, rows))
      : h("p", { class: "muted" }, "No state machines yet."),
  );
}

async function machinePage(arn, query) {
  const machine = await call("DescribeStateMachine", { stateMachineArn: arn });
  const definition = JSON.parse(machine.definition);
  const status = query.get("status") || "";
  const token = query.get("next") || undefined;
  const executionsBox = h("div");
  const filter = h("select", { "data-testid": "status-filter", onchange: () => {
    location.hash = `#/machine/${enc(arn)}${filter.value ? `?status=${filter.value}` : ""}`;
  } }, ["", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"].map((v) =>
    h("option", { value: v, selected: v === status }, v || "all statuses")));
  show(
    h("h1", {}, machine.name),
    h("p", { class: "muted" }, machine.stateMachineArn),
    h("dl", { class: "facts card" },
      h("dt", {}, "Type"), h("dd", {}, machine.type),
      h("dt", {}, "Role"), h("dd", {}, machine.roleArn),
      h("dt", {}, "Created"), h("dd", {}, date(machine.creationDate))),
    h("div", { class: "row" },
      h("div", {}, h("h2", {}, "Definition"), graphView(definition, new Map())),
      h("div", {}, h("h2", {}, "Start an execution"), startForm(arn))),
    h("h2", {}, "Executions"),
    machine.type === "EXPRESS"
      ? h("p", { class: "muted" }, "Express executions are not recorded; use StartSyncExecution to see their results.")
      : h("div", {}, h("div", { class: "toolbar" }, h("label", {}, "Status"), filter), executionsBox),
  );
  if (machine.type === "EXPRESS") return;
  const request = { stateMachineArn: arn, maxResults: 25 };
  if (status) request.statusFilter = status;
  if (token) request.nextToken = token;
  const { executions, nextToken } = await call("ListExecutions", request);
  const rows = executions.map((e) =>
    h("tr", {},
      h("td", {}, link(`#/execution/${enc(e.executionArn)}`, e.name)),
      h("td", {}, badge(e.status)),
      h("td", {}, date(e.startDate)),
      h("td", {}, date(e.stopDate))));
  const base = `#/machine/${enc(arn)}?${status ? `status=${status}&` : ""}`;
  executionsBox.replaceChildren(
    rows.length
      ? h("table", { "data-testid": "executions" }, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Status"), h("th", {}, "Started"), h("th", {}, "Stopped"))), h("tbody", {}, rows))
      : h("p", { class: "muted" }, "No executions."),
    h("div", { class: "toolbar" },
      token ? link(base.replace(/[?&]$/, ""), "« First page") : null,
      nextToken ? link(`${base}next=${encodeURIComponent(nextToken)}`, "Next page »") : null),
  );
}

function startForm(arn) {
  const name = h("input", { name: "name", placeholder: "a unique name (optional)" });
  const input = h("textarea", { name: "input" }, "{}");
  const message = h("p", { class: "error" });
  const form = h("form", { class: "card", "data-testid": "start-form", onsubmit: async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      JSON.parse(input.value);
    } catch (e) {
      message.textContent = `The input is not JSON: ${e.message}`;
      return;
    }
    try {
      const request = { stateMachineArn: arn, input: input.value };
      if (name.value.trim()) request.name = name.value.trim();
      const started = await call("StartExecution", request);
      location.hash = `#/execution/${enc(started.executionArn)}`;
    } catch (e) {
      message.textContent = e.message;
    }
  } },
  h("label", {}, "Name"), name, h("label", {}, "Input (JSON)"), input, h("button", { type: "submit" }, "Start"), message);
  return form;
}

async function allHistory(arn) {
  const events = [];
  let nextToken;
  do {
    const request = { executionArn: arn, maxResults: 1000, includeExecutionData: true };
    if (nextToken) request.nextToken = nextToken;
    const page = await call("GetExecutionHistory", request);
    events.push(...page.events);
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

function eventDetails(event) {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith("EventDetails")) return value;
  }
  return {};
}

/** The state an event belongs to: the nearest *StateEntered event up its chain. */
function stateOfEvents(events) {
  const byId = new Map(events.map((e) => [e.id, e]));
  const memo = new Map();
  const stateOf = (event) => {
    const chain = [];
    let current = event;
    let found = null;
    while (current) {
      if (memo.has(current.id)) { found = memo.get(current.id); break; }
      chain.push(current);
      if (current.type.endsWith("StateEntered")) { found = eventDetails(current).name; break; }
      if (current.type.endsWith("StateExited")) { found = null; break; }
      current = byId.get(current.previousEventId);
    }
    for (const e of chain) memo.set(e.id, found);
    return found;
  };
  return stateOf;
}

const FAILURE = /(Failed|TimedOut|Aborted)$/;

/** What happened to each state: succeeded, failed, caught or running. */
function stateStatuses(events, executionStatus) {
  const stateOf = stateOfEvents(events);
  const info = new Map();
  const get = (name) => {
    if (!info.has(name)) info.set(name, { entered: 0, exited: 0, failed: 0 });
    return info.get(name);
  };
  for (const event of events) {
    if (event.type.endsWith("StateEntered")) get(eventDetails(event).name).entered++;
    else if (event.type.endsWith("StateExited")) get(eventDetails(event).name).exited++;
    else if (FAILURE.test(event.type) && !event.type.startsWith("Execution")) {
      const name = stateOf(event);
      if (name) get(name).failed++;
    }
  }
  const statuses = new Map();
  for (const [name, s] of info) {
    let status;
    if (s.entered > s.exited) {
      status = executionStatus === "RUNNING" ? "running" : "failed";
    } else if (s.failed > 0) {
      status = "caught";
    } else {
      status = "succeeded";
    }
    statuses.set(name, status);
  }
  return statuses;
}

async function executionPage(arn) {
  const [execution, machine, events] = await Promise.all([
    call("DescribeExecution", { executionArn: arn }),
    call("DescribeStateMachineForExecution", { executionArn: arn }),
    allHistory(arn),
  ]);
  const running = execution.status === "RUNNING";
  const definition = JSON.parse(machine.definition);
  const statuses = stateStatuses(events, execution.status);
  const facts = h("dl", { class: "facts card" },
    h("dt", {}, "Status"), h("dd", {}, badge(execution.status)),
    h("dt", {}, "State machine"), h("dd", {}, link(`#/machine/${enc(execution.stateMachineArn)}`, machine.name)),
    h("dt", {}, "Started"), h("dd", {}, date(execution.startDate)),
    h("dt", {}, "Stopped"), h("dd", {}, date(execution.stopDate) || "—"),
    execution.error !== undefined ? [h("dt", {}, "Error"), h("dd", { class: "error" }, execution.error)] : null,
    execution.cause !== undefined ? [h("dt", {}, "Cause"), h("dd", {}, execution.cause)] : null,
    execution.redriveCount ? [h("dt", {}, "Redrives"), h("dd", {}, execution.redriveCount)] : null);
  const io = h("div", { class: "row" },
    h("div", {}, h("h2", {}, "Input"), h("pre", { "data-testid": "input" }, pretty(execution.input))),
    h("div", {}, h("h2", {}, "Output"), h("pre", { "data-testid": "output" }, execution.output !== undefined ? pretty(execution.output) : "—")));
  const actions = h("div");
  if (running) {
    const stop = h("button", { class: "danger", onclick: async () => {
      if (!confirm("Stop this execution? It ends ABORTED.")) return;
      try { await call("StopExecution", { executionArn: arn }); render(); } catch (e) { actions.append(failure(e)); }
    } }, "Stop execution");
    actions.append(h("div", { class: "toolbar" }, stop));
    try {
      const { tasks } = await call("ListWaitingTasks", { executionArn: arn }, "WorkflowConsole");
      if (tasks.length) actions.append(h("h2", {}, "Waiting for a callback"), ...tasks.map(callbackForm));
    } catch (e) {
      actions.append(failure(e));
    }
  }
  show(
    h("h1", {}, execution.name),
    h("p", { class: "muted" }, execution.executionArn),
    facts,
    actions,
    h("h2", {}, "Graph"),
    legend(),
    graphView(definition, statuses),
    io,
    h("h2", {}, `History (${events.length} events)`),
    historyTable(events),
  );
  setLive(running, () => executionPage(arn));
}

function callbackForm(task) {
  const output = h("textarea", { name: "output" }, "{}");
  const error = h("input", { name: "error", placeholder: "error name" });
  const cause = h("input", { name: "cause", placeholder: "cause" });
  const message = h("p", { class: "error" });
  const send = async (operation, body) => {
    message.textContent = "";
    try {
      await call(operation, { taskToken: task.taskToken, ...body });
      render();
    } catch (e) {
      message.textContent = e.message;
    }
  };
  return h("div", { class: "card", "data-testid": "callback" },
    h("p", {}, "State ", h("strong", {}, task.stateName), " waits on task token ", h("code", {}, task.taskToken)),
    h("div", { class: "row" },
      h("form", { onsubmit: (e) => {
        e.preventDefault();
        try { JSON.parse(output.value); } catch (err) { message.textContent = `The output is not JSON: ${err.message}`; return; }
        send("SendTaskSuccess", { output: output.value });
      } }, h("label", {}, "Output (JSON)"), output, h("button", { type: "submit" }, "Send success")),
      h("form", { onsubmit: (e) => {
        e.preventDefault();
        send("SendTaskFailure", { error: error.value, cause: cause.value });
      } }, h("label", {}, "Error"), error, h("label", {}, "Cause"), cause, h("button", { type: "submit", class: "danger" }, "Send failure"))),
    message);
}

function historyTable(events) {
  const stateOf = stateOfEvents(events);
  const start = events.length ? events[0].timestamp : 0;
  const rows = events.map((event) => {
    const details = eventDetails(event);
    const payloads = [];
    for (const key of ["input", "output", "parameters", "error", "cause"]) {
      if (details[key] !== undefined) {
        payloads.push(h("details", {}, h("summary", {}, key), h("pre", {}, pretty(details[key]))));
      }
    }
    const state = event.type.endsWith("StateEntered") || event.type.endsWith("StateExited")
      ? details.name : stateOf(event);
    return h("tr", { class: FAILURE.test(event.type) ? "failure" : null, "data-event": event.type },
      h("td", {}, event.id),
      h("td", { class: "type" }, event.type),
      h("td", {}, state || ""),
      h("td", {}, `+${Math.round((event.timestamp - start) * 1000)} ms`),
      h("td", {}, payloads));
  });
  return h("table", { "data-testid": "history" },
    h("thead", {}, h("tr", {}, h("th", {}, "Id"), h("th", {}, "Type"), h("th", {}, "State"), h("th", {}, "Time"), h("th", {}, "Details"))),
    h("tbody", {}, rows));
}

function legend() {
  return h("div", { class: "legend" }, ["succeeded", "caught", "failed", "running", "not-reached"].map((k) =>
    h("span", { class: k }, k.replace("-", " "))));
}

// ----- the graph: a layered layout of the definition, drawn as SVG -----

const NODE_W = 168;
const NODE_H = 34;
const GAP_X = 28;
const GAP_Y = 46;
const PAD = 14;
const HEADER = 24;

function targets(state) {
  const out = [];
  const add = (name, kind) => { if (typeof name === "string") out.push({ to: name, kind }); };
  add(state.Next, "next");
  add(state.Default, "next");
  for (const choice of state.Choices || []) add(choice.Next, "next");
  for (const c of state.Catch || []) add(c.Next, "catch");
  return out;
}

function branchesOf(state) {
  if (state.Type === "Parallel") return state.Branches || [];
  if (state.Type === "Map") {
    const processor = state.ItemProcessor || state.Iterator;
    return processor ? [processor] : [];
  }
  return [];
}

/** Lays out one graph (StartAt + States): nodes in layers from the start, compound states holding their branches. */
function layout(graph) {
  const states = graph.States || {};
  const names = Object.keys(states);
  // Layers by longest path over forward edges (a DFS marks the edges that loop back).
  const order = [];
  const seen = new Set();
  const onStack = new Set();
  const back = new Set();
  const visit = (name) => {
    if (!states[name] || seen.has(name)) return;
    seen.add(name); onStack.add(name);
    for (const t of targets(states[name])) {
      if (onStack.has(t.to)) back.add(`${name}->${t.to}`);
      else visit(t.to);
    }
    onStack.delete(name);
    order.push(name);
  };
  visit(graph.StartAt);
  for (const name of names) visit(name);
  order.reverse();
  const layer = new Map(order.map((n) => [n, 0]));
  for (const name of order) {
    for (const t of targets(states[name])) {
      if (!back.has(`${name}->${t.to}`) && layer.has(t.to)) {
        layer.set(t.to, Math.max(layer.get(t.to), layer.get(name) + 1));
      }
    }
  }
  // Node sizes: compound states hold their branches side by side.
  const nodes = new Map();
  for (const name of order) {
    const state = states[name];
    const branches = branchesOf(state).map(layout);
    let w = NODE_W;
    let h = NODE_H;
    if (branches.length) {
      w = Math.max(NODE_W, branches.reduce((sum, b) => sum + b.w, 0) + GAP_X * (branches.length - 1) + 2 * PAD);
      h = HEADER + 6 + Math.max(...branches.map((b) => b.h)) + PAD;
    }
    nodes.set(name, { name, type: state.Type, w, h, branches, x: 0, y: 0 });
  }
  const layers = [];
  for (const name of order) {
    const l = layer.get(name);
    (layers[l] ||= []).push(nodes.get(name));
  }
  let width = 0;
  for (const row of layers) width = Math.max(width, row.reduce((sum, n) => sum + n.w, 0) + GAP_X * (row.length - 1));
  let y = 0;
  for (const row of layers) {
    const rowW = row.reduce((sum, n) => sum + n.w, 0) + GAP_X * (row.length - 1);
    let x = (width - rowW) / 2;
    const rowH = Math.max(...row.map((n) => n.h));
    for (const node of row) { node.x = x; node.y = y; x += node.w + GAP_X; }
    y += rowH + GAP_Y;
  }
  const edges = [];
  for (const name of order) {
    for (const t of targets(states[name])) {
      if (nodes.has(t.to)) edges.push({ from: nodes.get(name), to: nodes.get(t.to), kind: t.kind, back: back.has(`${name}->${t.to}`) });
    }
  }
  return { w: Math.max(width, NODE_W), h: Math.max(y - GAP_Y, NODE_H), nodes: [...nodes.values()], edges, start: nodes.get(graph.StartAt) };
}

function drawGraph(plan, dx, dy, statuses, into) {
  for (const e of plan.edges) {
    const x1 = dx + e.from.x + e.from.w / 2;
    const y1 = dy + e.from.y + e.from.h;
    const x2 = dx + e.to.x + e.to.w / 2;
    const y2 = dy + e.to.y;
    let d;
    // Back edges, and edges that skip layers, go round the side instead of through states.
    const skips = y2 - y1 > GAP_Y + 1;
    if (e.back || y2 <= y1 || skips) {
      const side = dx + Math.max(e.from.x + e.from.w, e.to.x + e.to.w) + 16;
      d = `M${x1},${y1} C${x1},${y1 + 20} ${side},${y1 + 20} ${side},${(y1 + y2) / 2} S${x2},${y2 - 20} ${x2},${y2}`;
    } else {
      d = `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}`;
    }
    into.append(s("path", { d, class: `edge ${e.kind === "catch" ? "catch" : ""}`, "marker-end": "url(#arrow)" }));
  }
  for (const node of plan.nodes) {
    const status = statuses.get(node.name) || "not-reached";
    const g = s("g", { "data-state": node.name, "data-status": status, "data-type": node.type });
    const x = dx + node.x;
    const y = dy + node.y;
    g.append(s("title", {}, `${node.name} (${node.type}): ${status.replace("-", " ")}`));
    if (node.branches.length) {
      // The box first, so that the branches are drawn on top of it.
      g.append(s("rect", { x, y, width: node.w, height: node.h, rx: 8, class: "group" }));
      g.append(s("rect", { x, y, width: node.w, height: HEADER - 4, rx: 6, class: "state" }));
      g.append(s("text", { x: x + node.w / 2, y: y + (HEADER - 4) / 2 }, `${node.name} · ${node.type}`));
      into.append(g);
      const inner = node.branches.reduce((sum, b) => sum + b.w, 0) + GAP_X * (node.branches.length - 1);
      let bx = x + (node.w - inner) / 2;
      for (const branch of node.branches) {
        drawGraph(branch, bx, y + HEADER + 6, statuses, into);
        bx += branch.w + GAP_X;
      }
      continue;
    } else {
      const round = node.type === "Succeed" || node.type === "Fail" ? 17 : 6;
      g.append(s("rect", { x, y, width: node.w, height: node.h, rx: round, class: "state" }));
      const label = node.name.length > 24 ? `${node.name.slice(0, 23)}…` : node.name;
      g.append(s("text", { x: x + node.w / 2, y: y + node.h / 2 }, label));
    }
    into.append(g);
  }
}

function graphView(definition, statuses) {
  const plan = layout(definition);
  const margin = 20;
  const width = plan.w + 2 * margin + 40;
  const height = plan.h + 2 * margin + 30;
  const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "data-testid": "graph" });
  svg.append(s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    s("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8b93a7" }))));
  // The start marker.
  if (plan.start) {
    const cx = margin + plan.start.x + plan.start.w / 2;
    svg.append(s("circle", { cx, cy: margin + 4, r: 5, fill: "#1d2330" }));
    svg.append(s("path", { d: `M${cx},${margin + 9} L${cx},${margin + 30}`, class: "edge", "marker-end": "url(#arrow)" }));
  }
  const layer = s("g");
  drawGraph(plan, margin, margin + 30, statuses, layer);
  svg.append(layer);
  return h("div", { class: "graph" }, svg);
}

// ----- routing and live refresh -----

function setLive(on, again) {
  clearTimeout(refreshTimer);
  live.hidden = !on;
  if (!on) return;
  const hash = location.hash;
  refreshTimer = setTimeout(async () => {
    if (location.hash !== hash) return;
    try { await again(); } catch (e) { main.prepend(failure(e)); }
  }, 1000);
}

async function render() {
  setLive(false);
  const hash = location.hash || "#/";
  const [path, search = ""] = hash.slice(1).split("?");
  const query = new URLSearchParams(search);
  const [, page, arg] = path.split("/");
  try {
    if (page === "machine" && arg) await machinePage(decodeURIComponent(arg), query);
    else if (page === "execution" && arg) await executionPage(decodeURIComponent(arg));
    else await machinesPage();
  } catch (e) {
    show(h("h1", {}, "Something went wrong"), failure(e), link("#/", "Back to the state machines"));
  }
}

window.addEventListener("hashchange", render);
render();
