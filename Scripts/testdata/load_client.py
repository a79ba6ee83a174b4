#!/usr/bin/env python3
"""Traffic client for meshd's end-to-end tests (standard library only).

Runs inside a client pod's network namespace, sends at most --count requests to --url within at most
--max-seconds, and prints one JSON summary on stdout:

    {"sent": n, "ok": n, "services": {"reviews": n}, "pods": {"reviews-v1": n},
     "statuses": {"200": n}, "errors": {"ConnectionRefusedError: ...": n}, "elapsed": s,
     "samples": [<first response bodies>]}

A response counts towards "services" and "pods" only when it is a 200 whose body is the echo
server's JSON. Connections are kept alive and reopened after an error.

--interval paces the requests (seconds between the starts of two requests). --track-header NAME adds
"header_changes": [[request index, seconds, value], ...], one entry each time the value of the request
header NAME that the echo server received differs from the previous answer's (the first answer included).

--capture N adds "responses": the first N answers of any status, each {"status": s, "headers": [[name, value],
...] (names in lower case, in order), "body": text (at most 4000 characters), "seconds": how long it took}.
Redirects are never followed.
"""

import argparse
import http.client
import json
import time
import urllib.parse
from collections import Counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--host", help="Host header (default: the URL's host)")
    parser.add_argument("--header", action="append", default=[], help="extra header, 'name: value'")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--max-seconds", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=3.0, help="per request")
    parser.add_argument("--samples", type=int, default=1, help="response bodies to include")
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between request starts")
    parser.add_argument("--track-header", help="report each change of this echoed request header")
    parser.add_argument("--capture", type=int, default=0, help="answers to report complete, any status")
    args = parser.parse_args()

    url = urllib.parse.urlsplit(args.url)
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    headers = {"Host": args.host or url.netloc}
    for header in args.header:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()

    services, pods, statuses, errors = Counter(), Counter(), Counter(), Counter()
    samples = []
    header_changes = []
    responses = []
    tracked = args.track_header.lower() if args.track_header else None
    sent = ok = 0
    connection = None
    start = time.monotonic()
    while sent < args.count and time.monotonic() - start < args.max_seconds:
        if args.interval > 0 and sent > 0:
            time.sleep(max(0.0, start + sent * args.interval - time.monotonic()))
        sent += 1
        try:
            if connection is None:
                connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=args.timeout)
            began = time.monotonic()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            statuses[str(response.status)] += 1
            if len(responses) < args.capture:
                responses.append(
                    {
                        "status": response.status,
                        "headers": [[name.lower(), value] for name, value in response.getheaders()],
                        "body": body.decode("utf-8", "replace")[:4000],
                        "seconds": round(time.monotonic() - began, 3),
                    }
                )
            if response.getheader("connection", "").lower() == "close":
                connection.close()
                connection = None
            if response.status != 200:
                continue
            try:
                echo = json.loads(body)
            except ValueError:
                errors["200 without echo JSON"] += 1
                continue
            ok += 1
            services[str(echo.get("service"))] += 1
            pods[str(echo.get("pod"))] += 1
            if len(samples) < args.samples:
                samples.append(echo)
            if tracked is not None:
                value = (echo.get("headers") or {}).get(tracked)
                if not header_changes or header_changes[-1][2] != value:
                    header_changes.append([sent - 1, round(time.monotonic() - start, 3), value])
        except Exception as error:  # noqa: BLE001 - every failure is reported, none is fatal
            errors["%s: %s" % (type(error).__name__, error)] += 1
            if connection is not None:
                connection.close()
            connection = None
            time.sleep(0.01)

    print(
        json.dumps(
            {
                "sent": sent,
                "ok": ok,
                "services": services,
                "pods": pods,
                "statuses": statuses,
                "errors": errors,
                "elapsed": round(time.monotonic() - start, 3),
                "samples": samples,
                **({"header_changes": header_changes} if tracked is not None else {}),
                **({"responses": responses} if args.capture > 0 else {}),
            }
        )
    )


if __name__ == "__main__":
    main()
