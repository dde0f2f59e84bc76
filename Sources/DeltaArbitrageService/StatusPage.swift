/// `GET /`: one self-contained page (no external scripts, styles or fonts, so
/// it works on a machine without internet access) that reads `/status` and
/// then follows `/events` with `EventSource`: each event is listed as it
/// arrives (newest first, the last 100) and triggers a fresh `/status` read.
/// Data from the service is put into the page as text only, never as markup.
enum StatusPage {
    static let html = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>delta-arb</title>
<style>
  :root { --ok: #1b7f3b; --bad: #b3261e; --muted: #666; --line: #ddd; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  h2 { font-size: 1rem; margin: 0 0 .5rem; }
  .badge { display: inline-block; padding: .1rem .5rem; border-radius: .8rem; color: #fff; font-size: .8rem; vertical-align: middle; }
  .ok { background: var(--ok); } .bad { background: var(--bad); } .idle { background: var(--muted); }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; margin-bottom: 1rem; }
  section { background: #fff; border: 1px solid var(--line); border-radius: .4rem; padding: .8rem 1rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: 0; }
  dt { color: var(--muted); } dd { margin: 0; font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: .2rem .4rem; border-bottom: 1px solid var(--line); }
  #events { list-style: none; margin: 0; padding: 0; max-height: 28rem; overflow-y: auto; }
  #events li { padding: .25rem 0; border-bottom: 1px solid var(--line); }
  #events .type { display: inline-block; min-width: 9rem; font-weight: 600; }
  #events .time { color: var(--muted); margin-right: .5rem; font-variant-numeric: tabular-nums; }
  .muted { color: var(--muted); }
  tr.stale td { color: var(--bad); }
</style>
</head>
<body>
<h1>delta-arb <span id="symbol"></span>
  <span id="health" class="badge idle">…</span>
  <span id="stream" class="badge idle">connecting</span></h1>
<div class="grid">
  <section><h2>Thresholds</h2><dl id="parameters"></dl></section>
  <section><h2>Position</h2><dl id="position"></dl></section>
  <section><h2>Last optimisation</h2><dl id="optimization"></dl></section>
  <section><h2>Performance</h2><dl id="performance"></dl></section>
</div>
<section style="margin-bottom:1rem"><h2>Feeds</h2>
  <table><thead><tr><th>market</th><th>venue</th><th>state</th><th>last update</th><th>messages</th>
  <th>reconnects</th><th>rejected</th></tr></thead><tbody id="feeds"></tbody></table></section>
<section><h2>Events <span id="event-count" class="muted">(0)</span></h2><ul id="events"></ul></section>
<script>
"use strict";
const eventTypes = ["parameter_update", "optimization_status", "order", "trade", "alert"];
const maxEvents = 100;
let received = 0;
let refreshTimer = null;

function text(value) { return value === null || value === undefined ? "—" : String(value); }
function num(value, digits) { return typeof value === "number" ? value.toFixed(digits) : "—"; }
function pct(value) { return typeof value === "number" ? value.toFixed(4) + " %" : "—"; }
function when(seconds) { return typeof seconds === "number" ? new Date(seconds * 1000).toISOString() : "—"; }

function fill(id, rows) {
  const list = document.getElementById(id);
  list.replaceChildren();
  for (const [label, value] of rows) {
    const dt = document.createElement("dt"); dt.textContent = label;
    const dd = document.createElement("dd"); dd.textContent = text(value);
    list.append(dt, dd);
  }
}

function badge(id, ok, label) {
  const element = document.getElementById(id);
  element.className = "badge " + (ok ? "ok" : "bad");
  element.textContent = label;
}

function render(status) {
  document.getElementById("symbol").textContent = status.symbol;
  badge("health", status.healthy, status.healthy ? "healthy" : "unhealthy");
  const o = status.optimization_status;
  const p = status.parameters;
  fill("parameters", [["entry", pct(p.entry_threshold_pct)], ["exit", pct(p.exit_threshold_pct)],
    ["confidence", num(o.confidence_score, 3)], ["updates", (o.successful_updates ?? 0) + " ok, " + (o.failed_updates ?? 0) + " failed"],
    ["last error", o.last_update_error], ["next update", o.next_update_time], ["halted", o.halted]]);
  const pos = status.position;
  fill("position", pos ? [["entry", pos.entry_sequence], ["spot ask", pos.entry_spot_ask], ["futures bid", pos.entry_fut_bid],
    ["quantity", pos.quantity], ["legs open", (pos.spot_open ? "spot " : "") + (pos.futures_open ? "futures" : "")]] : [["state", "flat"]]);
  const r = status.last_optimization;
  fill("optimization", r ? [["entry", pct(r.entry_threshold_pct)], ["exit", pct(r.exit_threshold_pct)],
    ["confidence", num(r.confidence_score, 3)], ["window", r.analysis_period_hours + " h"],
    ["half-life", num(r.mean_reversion_speed, 2) + " h"], ["volatility", pct(r.spread_volatility)],
    ["at", when(r.optimization_timestamp)]] : [["state", "none yet"]]);
  const perf = status.performance, lat = status.decision_latency;
  fill("performance", [["decision p50", (lat.p50_ns / 1000).toFixed(1) + " µs"], ["decision p99", (lat.p99_ns / 1000).toFixed(1) + " µs"],
    ["decisions", lat.count], ["avg execution", num(perf.avg_trade_execution_ms, 3) + " ms"],
    ["avg update", num(perf.parameter_update_duration_ms, 1) + " ms"], ["memory", num(perf.memory_usage_mb, 1) + " MiB"],
    ["uptime", num(perf.uptime_percentage, 2) + " %"]]);
  const body = document.getElementById("feeds");
  body.replaceChildren();
  for (const f of status.feeds) {
    const row = document.createElement("tr");
    const age = typeof f.last_update_age_seconds === "number" ? f.last_update_age_seconds.toFixed(1) + " s ago" : "never";
    for (const value of [f.market, f.venue, f.fresh ? "fresh" : f.problem, age, f.messages, f.reconnects, f.rejected]) {
      const cell = document.createElement("td"); cell.textContent = text(value); row.append(cell);
    }
    row.className = f.fresh ? "" : "stale";
    body.append(row);
  }
}

async function refresh() {
  refreshTimer = null;
  try {
    const response = await fetch("/status", { cache: "no-store" });
    if (response.ok) { render(await response.json()); }
  } catch (error) {
    badge("health", false, "unreachable");
  }
}

function scheduleRefresh() { if (refreshTimer === null) { refreshTimer = setTimeout(refresh, 200); } }

function summary(type, e) {
  switch (type) {
    case "parameter_update":
      return "entry " + pct(e.old_entry_threshold) + " → " + pct(e.new_entry_threshold) + ", exit " + pct(e.old_exit_threshold)
        + " → " + pct(e.new_exit_threshold) + " (confidence " + num(e.confidence_score, 3) + ")";
    case "optimization_status":
      return e.status + ", " + e.data_points_analyzed + " rows" + (e.duration_ms !== null ? ", " + num(e.duration_ms, 0) + " ms" : "")
        + (e.error_message ? ": " + e.error_message : "");
    case "order":
      return e.purpose + " " + e.order.side + " " + e.order.market + " " + e.order.quantity
        + (e.fill ? " filled at " + e.fill.price : " failed: " + e.error);
    case "trade":
      return "net " + pct(e.trade.net_pnl_pct) + " (" + e.trade.exit_reason + "), " + num(e.trade.hours, 2) + " h";
    case "alert":
    case "dropped":
      return e.message;
    default:
      return JSON.stringify(e);
  }
}

function addEvent(type, body) {
  const item = document.createElement("li");
  item.className = "event";
  item.dataset.type = type;
  const time = document.createElement("span"); time.className = "time"; time.textContent = when(body.timestamp);
  const label = document.createElement("span"); label.className = "type"; label.textContent = type;
  const detail = document.createElement("span"); detail.className = "detail"; detail.textContent = summary(type, body);
  item.append(time, label, detail);
  const list = document.getElementById("events");
  list.prepend(item);
  while (list.children.length > maxEvents) { list.lastElementChild.remove(); }
  received += 1;
  document.getElementById("event-count").textContent = "(" + received + ")";
}

function connect() {
  const source = new EventSource("/events");
  source.onopen = () => { badge("stream", true, "live"); scheduleRefresh(); };
  source.onerror = () => { badge("stream", false, "reconnecting"); };
  for (const type of eventTypes) {
    source.addEventListener(type, (message) => {
      const payload = JSON.parse(message.data);
      addEvent(type, payload.event);
      scheduleRefresh();
    });
  }
  source.addEventListener("dropped", (message) => {
    addEvent("dropped", { timestamp: Date.now() / 1000, message: JSON.parse(message.data).dropped_events + " events dropped (slow reader)" });
  });
}

refresh();
connect();
setInterval(refresh, 5000);
</script>
</body>
</html>
"""#
}
