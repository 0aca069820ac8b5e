"""A local stand-in for the Databricks Jobs REST API (no workspace is reachable from here).

It speaks the paths databricks-sdk 0.162.0 calls (service/jobs.py): POST /api/2.2/jobs/runs/submit,
GET /api/2.2/jobs/runs/get, POST /api/2.2/jobs/create, POST /api/2.2/jobs/run-now,
POST /api/2.2/jobs/runs/cancel; and for uploads (service/workspace.py, service/files.py):
POST /api/2.0/workspace/mkdirs, POST /api/2.0/workspace/import (multipart form),
PUT /api/2.0/fs/directories/<path>, PUT /api/2.0/fs/files/<path>. Uploaded bytes land in ``server.files``.
Anything else (the SDK's /.well-known/databricks-config probe included) is a 404. It binds 127.0.0.1 only
and records every request for the tests to inspect.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SUBMIT_RUN_ID = 101
RUN_NOW_RUN_ID = 202
CREATED_JOB_ID = 7


def run_state(life: str, result: str | None = None, message: str = "") -> dict[str, Any]:
    """A runs/get ``state`` block."""
    state: dict[str, Any] = {"life_cycle_state": life, "state_message": message}
    if result is not None:
        state["result_state"] = result
    return state


@dataclass
class Scenario:
    """What the server answers: the run states returned in turn by runs/get (the last one repeats),
    and optional errors by path: ``{path: (http_status, error_code, message)}``."""

    states: list[dict[str, Any]] = field(default_factory=lambda: [run_state("TERMINATED", "SUCCESS")])
    errors: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    echo_authorization: bool = False  # put the Authorization header in error messages (a hostile server)
    echo_token_everywhere: bool = False  # ...and in run_page_url and state_message of every runs/get answer


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any] | None
    authorization: str | None
    raw: bytes = b""
    form: dict[str, bytes] = field(default_factory=dict)


class FakeJobsServer:
    """``with FakeJobsServer(scenario) as server:`` serves on ``server.url`` until the block ends."""

    def __init__(self, scenario: Scenario | None = None) -> None:
        self.scenario = scenario or Scenario()
        self.requests: list[Request] = []
        self.files: dict[str, bytes] = {}  # remote path -> uploaded bytes (workspace and volumes alike)
        self.folders: set[str] = set()
        self._gets = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def __enter__(self) -> FakeJobsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _answer(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.path in self.scenario.errors:
            status, code, message = self.scenario.errors[request.path]
            if self.scenario.echo_authorization:
                message = f"{message} (you sent {request.authorization})"
            return status, {"error_code": code, "message": message}
        if (request.method, request.path) == ("POST", "/api/2.2/jobs/runs/submit"):
            return 200, {"run_id": SUBMIT_RUN_ID}
        if (request.method, request.path) == ("POST", "/api/2.2/jobs/create"):
            return 200, {"job_id": CREATED_JOB_ID}
        if (request.method, request.path) == ("POST", "/api/2.2/jobs/run-now"):
            return 200, {"run_id": RUN_NOW_RUN_ID, "number_in_job": 1}
        if (request.method, request.path) == ("POST", "/api/2.2/jobs/runs/cancel"):
            return 200, {}
        if upload := self._upload(request):
            return upload
        if (request.method, request.path) == ("GET", "/api/2.2/jobs/runs/get"):
            with self._lock:
                state = self.scenario.states[min(self._gets, len(self.scenario.states) - 1)]
                self._gets += 1
            run_id = int(request.query["run_id"][0])
            url = f"{self.url}/?o=1#job/{CREATED_JOB_ID}/run/{run_id}"
            if self.scenario.echo_token_everywhere:
                secret = (request.authorization or "").removeprefix("Bearer ")
                url = f"{url}&token={secret}"
                state = {**state, "state_message": f"{state.get('state_message', '')} (token {secret})"}
            return 200, {"run_id": run_id, "state": state, "run_page_url": url}
        return 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no fake for {request.method} {request.path}"}

    def _upload(self, request: Request) -> tuple[int, dict[str, Any]] | None:
        """The workspace and Files API calls an upload makes; None for any other request."""
        if (request.method, request.path) == ("POST", "/api/2.0/workspace/mkdirs"):
            self.folders.add(request.body["path"])
            return 200, {}
        if (request.method, request.path) == ("POST", "/api/2.0/workspace/import"):
            path = request.form["path"].decode()
            if path in self.files and request.form.get("overwrite") != b"true":
                return 400, {"error_code": "RESOURCE_ALREADY_EXISTS", "message": f"{path} already exists"}
            self.files[path] = request.form["content"]
            return 200, {}
        if request.method == "PUT" and request.path.startswith("/api/2.0/fs/directories/"):
            self.folders.add(request.path.removeprefix("/api/2.0/fs/directories"))
            return 200, {}
        if request.method == "PUT" and request.path.startswith("/api/2.0/fs/files/"):
            self.files[request.path.removeprefix("/api/2.0/fs/files")] = request.raw
            return 204, {}
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                kind = self.headers.get("Content-Type") or ""
                request = Request(
                    self.command,
                    unquote(parts.path),
                    parse_qs(parts.query),
                    json.loads(raw) if raw and kind.startswith("application/json") else None,
                    self.headers.get("Authorization"),
                    raw=raw,
                    form=_form(kind, raw) if kind.startswith("multipart/form-data") else {},
                )
                with server._lock:
                    server.requests.append(request)
                status, payload = server._answer(request)
                data = json.dumps(payload).encode() if status != 204 else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve  # noqa: N815 - http.server's naming

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
                pass

        return Handler


def _form(content_type: str, raw: bytes) -> dict[str, bytes]:
    """The fields of a multipart/form-data body, name -> bytes."""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in message.iter_parts()
    }
