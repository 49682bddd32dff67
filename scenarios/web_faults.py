"""The web UI's fault controls: the form's fields -> the admin API's fault list, and the
small page (plain HTML and script, no build) that locust's UI shows in a side panel."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sim import SERVICES
from sim.admin_client import fault_specs
from sim.errors import ConfigError

FIELDS = ("latency", "jitter", "error_rate", "status", "hang", "reset", "down")


def _number(fields: Mapping[str, Any], name: str) -> float | None:
    raw = str(fields.get(name) or "").strip()
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):  # "nan" and "inf" parse, then break every range check
        raise ConfigError(name, f"expected a number, got {raw[:40]!r}")
    return number


def _text(fields: Mapping[str, Any], name: str) -> str | None:
    raw = str(fields.get(name) or "").strip()
    return raw or None


def form_to_specs(service: str, fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Validate the form as `sim fault` validates its options; ConfigError names the field
    (the same names the page uses, so it can mark the input)."""
    if service not in SERVICES:
        raise ConfigError("service", f"unknown service {service!r}; allowed: "
                                     f"{', '.join(SERVICES)}")
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise ConfigError(unknown[0], f"unknown field; allowed: {', '.join(FIELDS)}")
    status = _number(fields, "status")
    if status is not None and (status != int(status) or not 400 <= status <= 599):
        raise ConfigError("status", f"must be an HTTP error status 400..599, got {status:g}")
    down = fields.get("down") in (True, "on", "true", "1")
    try:
        specs = fault_specs(latency=_text(fields, "latency"), jitter=_text(fields, "jitter"),
                            error_rate=_number(fields, "error_rate"),
                            status=int(status) if status is not None else 503,
                            hang=_number(fields, "hang"), reset=_number(fields, "reset"),
                            down=down)
    except ConfigError as exc:
        # fault_specs speaks in CLI options (--error-rate); the page's fields are names.
        raise ConfigError(exc.field.removeprefix("--").replace("-", "_"), exc.problem
                          ) from None
    if not specs:
        raise ConfigError("faults", "give at least one fault (latency, error rate, hang, "
                                    "reset or down), or press Clear")
    return specs


_OPTIONS = "".join(f'<option value="{s}">{s}</option>' for s in SERVICES)

FAULTS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bff-sim faults</title>
<style>
 body { font: 14px system-ui, sans-serif; margin: 12px; color: #222; }
 h2 { font-size: 16px; margin: 0 0 8px; }
 label { display: grid; grid-template-columns: 9em 1fr; align-items: center; margin: 4px 0; }
 input[type=text] { padding: 3px; }
 button { margin: 8px 6px 0 0; padding: 5px 12px; }
 table { border-collapse: collapse; margin-top: 12px; width: 100%; }
 td, th { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left; font-size: 13px; }
 #result { margin-top: 8px; min-height: 1.4em; }
 #result.error { color: #b00020; font-weight: 600; }
 #result.ok { color: #1b5e20; }
 .invalid { outline: 2px solid #b00020; }
 small { color: #666; }
</style></head><body>
<h2>Faults, through the admin API</h2>
<form id="faults">
 <label>Service <select name="service" id="service">__OPTIONS__</select></label>
 <label>Latency <input type="text" name="latency" placeholder="300ms or 100ms..2s"></label>
 <label>Jitter <input type="text" name="jitter" placeholder="20ms"></label>
 <label>Error rate <input type="text" name="error_rate" placeholder="0.3"></label>
 <label>Error status <input type="text" name="status" placeholder="503"></label>
 <label>Hang <input type="text" name="hang" placeholder="probability, 1 = always"></label>
 <label>Reset <input type="text" name="reset" placeholder="probability"></label>
 <label>Down <input type="checkbox" name="down"></label>
 <button type="submit" id="apply">Apply</button>
 <button type="button" id="clear">Clear</button>
 <small>Apply replaces the service's faults; Clear hands it back to the scenario.</small>
</form>
<div id="result" role="status"></div>
<table><thead><tr><th>Service</th><th>Source</th><th>Faults</th></tr></thead>
<tbody id="current"></tbody></table>
<script>
const form = document.getElementById("faults");
const result = document.getElementById("result");
function show(ok, text) { result.className = ok ? "ok" : "error"; result.textContent = text; }
function describe(spec) {
  return Object.entries(spec).map(([k, v]) => k === "type" ? v : k + "=" + v).join(" ");
}
async function refresh() {
  try {
    const answer = await fetch("./api/faults");
    const data = await answer.json();
    const rows = Object.entries(data).map(([name, entry]) =>
      "<tr data-service='" + name + "'><td>" + name + "</td><td>" + entry.source +
      "</td><td>" + (entry.faults.map(describe).join("; ") || "-") + "</td></tr>");
    document.getElementById("current").innerHTML = rows.join("");
  } catch (error) { show(false, "simulator unreachable: " + error); }
}
async function send(method) {
  form.querySelectorAll(".invalid").forEach(el => el.classList.remove("invalid"));
  const fields = Object.fromEntries(new FormData(form).entries());
  const service = fields.service; delete fields.service;
  const answer = await fetch("./api/faults/" + service, {method: method,
    headers: {"Content-Type": "application/json"},
    body: method === "PUT" ? JSON.stringify(fields) : null});
  const data = await answer.json();
  if (!answer.ok) {
    show(false, data.error || ("HTTP " + answer.status));
    const name = (data.field || "").split(/[.\\[]/)[0];
    const input = form.querySelector("[name='" + name + "']");
    if (input) input.classList.add("invalid");
  } else {
    show(true, method === "PUT" ? service + ": faults set" : service + ": cleared");
  }
  refresh();
}
form.addEventListener("submit", event => { event.preventDefault(); send("PUT"); });
document.getElementById("clear").addEventListener("click", () => send("DELETE"));
refresh(); setInterval(refresh, 2000);
</script></body></html>
""".replace("__OPTIONS__", _OPTIONS)

# Injected into locust's index page: a "Faults" button that opens the page above in a side
# panel, so faults can change while the test runs without leaving the charts.
PANEL_SCRIPT = """(function () {
  const button = document.createElement("button");
  button.id = "sim-faults-button"; button.textContent = "Faults";
  button.style.cssText = "position:fixed;right:16px;bottom:44px;z-index:2000;padding:8px 16px;" +
    "border-radius:18px;border:0;background:#2e7d32;color:#fff;font-weight:600;cursor:pointer;" +
    "box-shadow:0 2px 6px rgba(0,0,0,.3)";
  const panel = document.createElement("iframe");
  panel.id = "sim-faults-panel"; panel.title = "Faults";
  panel.style.cssText = "position:fixed;right:16px;bottom:92px;width:460px;height:560px;" +
    "z-index:2000;border:1px solid #888;border-radius:6px;background:#fff;display:none;" +
    "box-shadow:0 4px 16px rgba(0,0,0,.35)";
  button.addEventListener("click", function () {
    if (!panel.src) panel.src = "./sim/faults";
    panel.style.display = panel.style.display === "none" ? "block" : "none";
  });
  document.body.appendChild(panel); document.body.appendChild(button);
  // Breaker states in the terminal's and report's colours, in both tabs ("closed -> open":
  // the state it went to). locust's React tables re-render every 2 s, so a short timer
  // re-applies them.
  const stateColours = {closed: "#1a7f37", open: "#cf222e", half_open: "#9a6700",
    forced_open: "#cf222e", disabled: "#6e7781", metrics_only: "#0969da"};
  function colourStates() {
    document.querySelectorAll("td").forEach(function (cell) {
      const colour = stateColours[cell.textContent.trim().split(" -> ").pop()];
      if (colour && cell.style.color !== colour) {
        cell.style.color = colour; cell.style.fontWeight = "600";
      }
    });
  }
  // The phase on a line of its own above the Resilience table, placed next to locust's
  // table (a sibling React leaves alone) only while that tab is shown.
  const phase = document.createElement("div");
  phase.id = "sim-phase"; phase.setAttribute("role", "status");
  phase.style.cssText = "margin:0 0 12px;padding:10px 16px;border-left:4px solid #2e7d32;" +
    "background:rgba(46,125,50,.08);font-weight:600;font-size:15px";
  phase.textContent = "Phase: ...";
  function resilienceTable() {
    const tab = document.querySelector("[role=tab][aria-selected=true]");
    if (!tab || tab.textContent.trim() !== "Resilience") return null;
    return document.querySelector(".MuiTableContainer-root");
  }
  function placePhase() {
    const table = resilienceTable();
    if (!table) { if (phase.parentNode) phase.remove(); return; }
    if (phase.nextSibling === table) return;
    const shown = phase.parentNode !== null;
    table.parentNode.insertBefore(phase, table);
    if (!shown) refreshPhase();  // at once, not up to 1 s later
  }
  async function refreshPhase() {
    if (!phase.parentNode) return;
    try {
      const answer = await fetch("./sim/api/phase");
      phase.textContent = (await answer.json()).text;
    } catch (error) { phase.textContent = "Phase: simulator unreachable (" + error + ")"; }
  }
  setInterval(function () { colourStates(); placePhase(); }, 300);
  setInterval(refreshPhase, 1000);
})();
"""
