"""Bad requests to the admin API, the BFF and the X-Sim-Fault header: each is a JSON 4xx
(never a 500) and at most one log line (never a traceback). Each case below was a 500,
a traceback or silently accepted before."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.durations import MAX_DURATION
from sim.faults import parse_fault_header
from sim.faults.latency import Latency
from sim.host import SimHost
from sim.plan import FaultPlan
from tests.conftest import free_config
from tests.fuzz.test_bad_input import request
from tests.threaded_sim import ThreadedSim

TOKEN = "s3cret"


@pytest.fixture
async def token_host(tmp_path: Path) -> AsyncIterator[SimHost]:
    config = free_config(data_dir=tmp_path / "data", plan=FaultPlan(), admin_token=TOKEN)
    async with SimHost(config) as host:
        yield host


async def raw_exchange(url: str, raw: bytes) -> bytes:
    """Send bytes no HTTP client would; the first line of the answer."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(raw)
        await writer.drain()
        return await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()


async def test_a_bogus_charset_is_a_400_not_a_500(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    async with client.put(f"{sim_host.urls['admin']}/faults/cart",
                          data=b'[{"type": "hang"}]',
                          headers={"Content-Type": "application/json; charset=bogus"}) as answer:
        # JSON is UTF-8 whatever the header claims: the body is read and applied.
        assert answer.status == 200, await answer.text()
    async with client.put(f"{sim_host.urls['admin']}/faults/cart", data=b'["\xff"]',
                          headers={"Content-Type": "application/json"}) as answer:
        assert answer.status == 400
        assert (await answer.json())["field"] == "body"


async def test_json_nested_thousands_deep_is_a_400(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    body = "[" * 100_000 + "]" * 100_000
    async with client.put(f"{sim_host.urls['admin']}/faults/cart", data=body,
                          headers={"Content-Type": "application/json"}) as answer:
        assert answer.status == 400
        assert "not valid JSON (in UTF-8)" in (await answer.json())["error"]


async def test_non_utf8_authorization_bytes_are_a_401(token_host: SimHost) -> None:
    raw = (b"GET /faults HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n"
           b"Connection: close\r\n\r\n")
    assert (await raw_exchange(token_host.urls["admin"], raw)).startswith(b"HTTP/1.1 401")
    good = f"GET /faults HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n" \
           f"Connection: close\r\n\r\n".encode()
    assert (await raw_exchange(token_host.urls["admin"], good)).startswith(b"HTTP/1.1 200")


async def test_a_malformed_request_is_one_log_line_without_a_traceback(
        sim_host: SimHost, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp.server")
    raw = b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
    assert (await raw_exchange(sim_host.urls["admin"], raw)).startswith(b"HTTP/1.0 400")
    await asyncio.sleep(0.05)
    records = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert records
    for record in records:
        assert record.exc_info is None
        assert "\n" not in record.getMessage()
        assert "400 Invalid character in Content-Length" in record.getMessage()


@pytest.mark.parametrize("value", ["fail_first=0", "fail_first=1000001",
                                   "fail_first=99999999999999999999", "fail_first=１",
                                   "fail_first=1_0", "fail_first=+1", "error=５03",
                                   "error=5_03", "error=600"])
def test_x_sim_fault_numbers_are_ascii_and_in_range(value: str) -> None:
    from sim.errors import ConfigError

    with pytest.raises(ConfigError, match=r"X-Sim-Fault: cannot read .*fail_first=<1\.\."):
        parse_fault_header(value)


def test_x_sim_fault_in_range_still_works() -> None:
    (fault,) = parse_fault_header("fail_first=1000000")
    assert fault.to_spec()["attempts"] == 1_000_000


# -- the BFF's user id and body --------------------------------------------------------

@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedSim]:
    with ThreadedSim(tmp_path_factory.mktemp("http-errors")) as threaded:
        yield threaded


FUZZ = settings(max_examples=80, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
ids = st.one_of(st.text(max_size=6), st.sampled_from(["１", "١٢", "1_0", "+1 ", " 1", "-0",
                                                     "٣", "𝟙", "0x1", "1e3", "1.0"]))


@FUZZ
@given(raw=ids)
def test_the_bff_takes_ascii_digits_only(sim: ThreadedSim, raw: str) -> None:
    from urllib.parse import quote

    status, body = request(f"{sim.urls['bff']}/products/all?user_id={quote(raw, safe='')}")
    if raw.isascii() and raw.isdigit() and int(raw) < 2**63:
        assert status != 400, (raw, body)  # 200, or a 504 on a machine busy elsewhere
    else:
        assert status == 400, (raw, body)
        assert json.loads(body)["field"] == "user_id"


def test_a_bff_body_over_64_kib_is_a_413(sim: ThreadedSim) -> None:
    status, body = request(f"{sim.urls['bff']}/products/all", body=b"x" * (64 * 1024 + 1))
    assert status == 413
    assert "exceeded" in json.loads(body)["error"]
    assert request(f"{sim.urls['bff']}/products/all", body=b"x" * 100)[0] == 200


# -- injected latency stays finite -----------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(dist=st.sampled_from(["fixed", "uniform", "normal", "lognormal", "pareto"]),
       a=st.floats(0.0, MAX_DURATION), b=st.floats(0.0, MAX_DURATION),
       alpha=st.floats(0.01, 100.0), sigma=st.floats(0.0, 10.0),
       jitter=st.floats(0.0, MAX_DURATION), seed=st.integers(0, 2**32))
def test_every_drawn_delay_is_finite_and_at_most_a_day(
        dist: str, a: float, b: float, alpha: float, sigma: float, jitter: float,
        seed: int) -> None:
    if dist == "uniform":
        a, b = min(a, b), max(a, b)
    second = {"pareto": alpha, "lognormal": sigma}.get(dist, b)
    fault = Latency(1.0, dist, max(a, 1e-6) if dist == "pareto" else a, second, jitter)
    rng = random.Random(seed)
    for _ in range(20):
        assert 0.0 <= fault.draw(rng) <= MAX_DURATION


def test_a_small_pareto_alpha_does_not_divide_by_zero() -> None:
    # paretovariate(0.01) divides by zero once U**100 underflows, about 1 draw in 1,700.
    fault = Latency(1.0, "pareto", 0.001, 0.01)
    rng = random.Random(1)
    draws = [fault.draw(rng) for _ in range(20_000)]
    assert max(draws) == MAX_DURATION


# -- the web UI's faults form ----------------------------------------------------------

@pytest.mark.parametrize(("fields", "field", "problem"), [
    ({"latency": "300"}, "latency", "'300' has no unit; did you mean 300ms or 300s?"),
    ({"latency": "5ms", "jitter": "20"}, "jitter", "'20' has no unit"),
    ({"status": "nan", "error_rate": "0.5"}, "status", "expected a number, got 'nan'"),
    ({"status": "inf", "error_rate": "0.5"}, "status", "expected a number, got 'inf'"),
    ({"hang": "nan"}, "hang", "expected a number, got 'nan'"),
])
def test_the_faults_form_refuses_bare_numbers_and_non_finite_values(
        fields: dict[str, str], field: str, problem: str) -> None:
    from scenarios.web_faults import form_to_specs
    from sim.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        form_to_specs("inventory", fields)
    assert caught.value.field == field
    assert problem in caught.value.problem


@settings(max_examples=200, deadline=None)
@given(fields=st.dictionaries(st.sampled_from(["latency", "jitter", "error_rate", "status",
                                               "hang", "reset", "down"]),
                              st.text(max_size=12) | st.sampled_from(
                                  ["300", "nan", "inf", "-inf", "1e308", "300ms", "0",
                                   "100ms..2s", "0.5", "503", "１"]), max_size=4))
def test_the_faults_form_gives_specs_or_a_field_error(fields: dict[str, str]) -> None:
    from scenarios.web_faults import FIELDS, form_to_specs
    from sim.errors import ConfigError
    from sim.faults import parse_faults

    field = None
    try:
        parse_faults(form_to_specs("cart", fields), "faults")  # what the admin API takes
    except ConfigError as exc:
        field = exc.field
    assert field is None or field.split(".")[0] in (*FIELDS, "faults"), field
