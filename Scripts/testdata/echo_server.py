#!/usr/bin/env python3
"""Echo backend for meshd's end-to-end tests (standard library only).

Runs inside a pod's network namespace and answers every request with JSON that says which
workload served it and what it received:

    {"service": ..., "pod": ..., "path": ..., "method": ..., "headers": {...}}

Usage: echo_server.py --service reviews --pod reviews-v1 [--port 9080] [--bind 0.0.0.0]

The answer also holds "header_list": [[name, value], ...], every request header line in order (names in
lower case), so that repeated headers can be told apart.

Tests steer a request with optional request headers (all absent: a plain 200 echo):

    x-echo-key: K             count the request under K (every request is counted, under "" without it)
    x-echo-fail-first: N      the first N requests counted under K answer x-echo-fail-status (default 503)
    x-echo-fail-status: S
    x-echo-delay: SECONDS     wait before answering (a float)
    x-echo-delay-first: N     ...only for the first N requests counted under K
    x-echo-response-header: "name: value; name2: value2"   add these headers to the answer (may be repeated)

GET /__echo/counts answers {"counts": {K: n, ...}, "last": {K: {"path": p, "header_list": [...]}, ...}}: how
many requests arrived under each key, and the path and header lines of the last one (this request itself is
not counted).
"""

import argparse
import json
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS_PATH = "/__echo/counts"


def make_handler(service: str, pod: str):
    counts = Counter()
    last = {}
    counts_lock = threading.Lock()

    class EchoHandler(BaseHTTPRequestHandler):
        # HTTP/1.1 so that Envoy can keep its upstream connections alive.
        protocol_version = "HTTP/1.1"
        # Headers and body are separate writes; without TCP_NODELAY the second waits for a delayed ACK (40 ms).
        disable_nagle_algorithm = True
        server_version = "meshd-echo/1"

        def _send(self, status: int, payload: dict, extra_headers=()) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra_headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _int_header(self, name: str, default: int) -> int:
            try:
                return int(self.headers.get(name, default))
            except ValueError:
                return default

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if self.command == "GET" and self.path == COUNTS_PATH:
                with counts_lock:
                    snapshot = {"counts": dict(counts), "last": dict(last)}
                self._send(200, snapshot)
                return
            key = self.headers.get("x-echo-key", "")
            with counts_lock:
                index = counts[key]  # how many requests under this key came before this one
                counts[key] += 1
                last[key] = {"path": self.path, "header_list": [[k.lower(), v] for k, v in self.headers.items()]}
            delay = float(self.headers.get("x-echo-delay") or 0)
            if delay > 0 and index < self._int_header("x-echo-delay-first", index + 1):
                time.sleep(min(delay, 60.0))
            extra = []
            for line in self.headers.get_all("x-echo-response-header") or []:
                for item in line.split(";"):
                    name, _, value = item.partition(":")
                    if name.strip():
                        extra.append((name.strip(), value.strip()))
            status = 200
            if index < self._int_header("x-echo-fail-first", 0):
                status = self._int_header("x-echo-fail-status", 503)
            payload = {
                "service": service,
                "pod": pod,
                "path": self.path,
                "method": self.command,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "header_list": [[k.lower(), v] for k, v in self.headers.items()],
            }
            if status != 200:
                payload["failed"] = index
            try:
                self._send(status, payload, extra)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client (Envoy) gave up waiting, e.g. a route timeout

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _answer

        def log_message(self, fmt: str, *args) -> None:  # one line per request, on stderr
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    return EchoHandler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--service", required=True)
    parser.add_argument("--pod", required=True)
    parser.add_argument("--port", type=int, default=9080)
    parser.add_argument("--bind", default="0.0.0.0")
    args = parser.parse_args()

    server = ThreadingHTTPServer((args.bind, args.port), make_handler(args.service, args.pod))
    server.daemon_threads = True
    sys.stderr.write("echo server %s/%s listening on %s:%d\n" % (args.service, args.pod, args.bind, args.port))
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
