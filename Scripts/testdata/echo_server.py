#!/usr/bin/env python3
"""Echo backend for meshd's end-to-end tests (standard library only).

Runs inside a pod's network namespace and answers every request with JSON that says which
workload served it and what it received:

    {"service": ..., "pod": ..., "path": ..., "method": ..., "headers": {...}}

Usage: echo_server.py --service reviews --pod reviews-v1 [--port 9080] [--bind 0.0.0.0]
"""

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_handler(service: str, pod: str):
    class EchoHandler(BaseHTTPRequestHandler):
        # HTTP/1.1 so that Envoy can keep its upstream connections alive.
        protocol_version = "HTTP/1.1"
        # Headers and body are separate writes; without TCP_NODELAY the second waits for a delayed ACK (40 ms).
        disable_nagle_algorithm = True
        server_version = "meshd-echo/1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            body = json.dumps(
                {
                    "service": service,
                    "pod": pod,
                    "path": self.path,
                    "method": self.command,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

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
