#!/usr/bin/env python3
"""A Zipkin-compatible span collector for the tests: it accepts what Envoy's Zipkin tracer sends
(POST /api/v2/spans, a JSON array of v2 spans) and keeps every span in memory.

GET /spans answers {"spans": [...]} with every span received so far, GET /healthz answers 200.

usage: zipkin_collector.py --port 9411
"""
import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from request_body import read_body

SPANS = []
LOCK = threading.Lock()
MAX_SPANS = 100000


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        return read_body(self)

    def do_GET(self):
        if self.path == "/healthz":
            self._answer(200, {"ok": True})
        elif self.path == "/spans":
            with LOCK:
                self._answer(200, {"spans": list(SPANS)})
        else:
            self._answer(404, {"error": "no such path"})

    def do_POST(self):
        body = self._body()
        if self.path != "/api/v2/spans":
            self._answer(404, {"error": "no such path"})
            return
        try:
            spans = json.loads(body or b"[]")
        except ValueError as error:
            self._answer(400, {"error": str(error)})
            return
        if not isinstance(spans, list):
            self._answer(400, {"error": "expected a JSON array of spans"})
            return
        with LOCK:
            SPANS.extend(spans[: max(0, MAX_SPANS - len(SPANS))])
        self.send_response(202)
        self.send_header("content-length", "0")
        self.end_headers()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    ThreadingHTTPServer(("0.0.0.0", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
