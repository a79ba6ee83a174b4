#!/usr/bin/env python3
"""Opaque TCP client for meshd's end-to-end tests (standard library only).

Opens at most --count connections to --address:--port, one after the other, within at most --max-seconds,
reads the one line a tcp_name_server.py backend sends, and prints a JSON summary:

    {"sent": n, "ok": n, "names": {"db-v1 7000": n, ...}, "errors": {"timeout": n, ...}, "elapsed": s}

A connection that closes without a line counts under errors["empty"].

Usage: tcp_client.py --address 10.96.0.30 --port 7000 --count 50 [--max-seconds 20] [--timeout 3]
"""

import argparse
import json
import socket
import sys
import time
from collections import Counter


def exchange(address: str, port: int, timeout: float) -> str:
    with socket.create_connection((address, port), timeout=timeout) as connection:
        connection.settimeout(timeout)
        data = b""
        while not data.endswith(b"\n"):
            chunk = connection.recv(256)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace").strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--max-seconds", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=3.0, help="per connection")
    args = parser.parse_args()
    names, errors = Counter(), Counter()
    sent = 0
    start = time.monotonic()
    while sent < args.count and time.monotonic() - start < args.max_seconds:
        sent += 1
        try:
            line = exchange(args.address, args.port, args.timeout)
        except socket.timeout:
            errors["timeout"] += 1
            continue
        except OSError as error:
            errors[type(error).__name__] += 1
            continue
        if line:
            names[line] += 1
        else:
            errors["empty"] += 1
    summary = {
        "sent": sent,
        "ok": sum(names.values()),
        "names": dict(names),
        "errors": dict(errors),
        "elapsed": round(time.monotonic() - start, 3),
    }
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
