"""The simulator's additions to locust's web UI (a Flask app): the Resilience and Breaker
transitions tabs (locust's extended tabs, fed through /stats/requests), and the fault
controls, all proxied to the admin API. Imported by the locustfile only, in locust's
process; it does not import locust itself."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from flask import Blueprint, Flask, Response, request

from reports.resilience_tab import extended_stats, parse_metrics, phase_line, tab_definitions
from scenarios.web_faults import FAULTS_PAGE, PANEL_SCRIPT, form_to_specs
from sim.errors import ConfigError

TIMEOUT = 3.0  # the UI polls every 2 s; a stuck simulator must not pile requests up
EVENTS_PER_PAGE = 10_000  # the admin API's most
# The breaker ring holds 5,000 transitions, a few MiB: a bound, should that ever change.
MAX_EVENT_PAGES = 20


class Admin:
    """The admin API as the web UI sees it: JSON in, (status, JSON) out, never raising."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as answer:
                return answer.status, _decode(answer.read())
        except urllib.error.HTTPError as exc:  # 4xx/5xx: the admin API's own error body
            return exc.code, _decode(exc.read())
        except (OSError, ValueError) as exc:
            return 502, {"error": f"simulator admin API unreachable at {self.url}: {exc}",
                         "field": "admin"}

    def text(self, path: str) -> str:
        status, payload = self.call("GET", path)
        return payload.get("text", "") if status == 200 and isinstance(payload, dict) else ""

    def state(self) -> dict[str, Any]:
        """/state; when it fails, a state whose phase says why (the tab shows it)."""
        status, state = self.call("GET", "/state")
        if status != 200 or not isinstance(state, dict):
            problem = state.get("error", "?") if isinstance(state, dict) else "?"
            state = {"timeline": {"armed": True, "phase": f"unreachable: {problem}"}}
        return state

    def resilience(self) -> list[dict[str, Any]]:
        metrics = parse_metrics(self.text("/metrics"))
        return extended_stats(self.state(), metrics, self.tab_events())

    def tab_events(self) -> list[dict[str, Any]]:
        """Every breaker transition and phase start the simulator still holds, oldest
        first. One /events answer holds at most 1 MiB (docs/admin-api.md), and the tab shows
        the newest: follow `next_since` until an answer is complete."""
        listed: list[dict[str, Any]] = []
        since = 0
        for _ in range(MAX_EVENT_PAGES):
            status, page = self.call("GET", f"/events?since={since}&limit={EVENTS_PER_PAGE}"
                                            "&kind=breaker_transition,phase_started")
            if status != 200 or not isinstance(page, dict):
                break
            listed.extend(page.get("events", []))
            next_since = page.get("next_since")
            if not page.get("truncated") or not isinstance(next_since, int) or next_since <= since:
                break
            since = next_since
        return listed


def _decode(raw: bytes) -> Any:
    text = raw.decode(errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return {"text": text}  # /metrics is Prometheus text, not JSON


def _json(status: int, payload: Any) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def blueprint(admin: Admin) -> Blueprint:
    pages = Blueprint("sim", __name__, url_prefix="/sim")

    @pages.get("/ui.js")
    def panel_script() -> Response:
        return Response(PANEL_SCRIPT, mimetype="application/javascript")

    @pages.get("/faults")
    def faults_page() -> Response:
        return Response(FAULTS_PAGE, mimetype="text/html")

    @pages.get("/api/faults")
    def get_faults() -> Response:
        return _json(*admin.call("GET", "/faults"))

    @pages.put("/api/faults/<service>")
    def put_faults(service: str) -> Response:
        fields = request.get_json(silent=True)
        if not isinstance(fields, dict):
            return _json(400, {"error": "body: expected a JSON object of form fields",
                               "field": "body"})
        try:
            specs = form_to_specs(service, fields)
        except ConfigError as exc:
            return _json(400, {"error": exc.one_line(), "field": exc.field})
        return _json(*admin.call("PUT", f"/faults/{service}", specs))

    @pages.delete("/api/faults/<service>")
    def clear_faults(service: str) -> Response:
        return _json(*admin.call("DELETE", f"/faults/{service}"))

    @pages.get("/api/resilience")
    def resilience() -> Response:
        return _json(200, admin.resilience())

    @pages.get("/api/phase")
    def phase() -> Response:  # the line above the Resilience tab's table, polled each 1 s
        return _json(200, phase_line(admin.state()))

    return pages


def install(web_ui: Any, admin: Admin) -> None:
    """Add the tabs, routes and the Faults panel to locust's `environment.web_ui`."""
    web_ui.template_args.update(tab_definitions())
    app: Flask = web_ui.app
    app.register_blueprint(blueprint(admin))

    @app.after_request
    def extend(response: Response) -> Response:
        if request.path.endswith("/stats/requests") and response.is_json:
            payload = response.get_json()
            payload["extended_stats"] = admin.resilience()
            response.set_data(json.dumps(payload))
        elif request.path.rstrip("/") == "" and response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            response.set_data(page.replace(
                "</body>", '<script src="./sim/ui.js"></script></body>', 1))
        return response
