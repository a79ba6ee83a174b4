"""A proxyless gRPC client for the end-to-end tests: calls /echo.Echo/Call through an xds:/// target, with the
bootstrap in GRPC_XDS_BOOTSTRAP (from `meshd bootstrap --grpc`). Run with the project's .venv python (grpcio 1.85.1).
Every loop is bounded in calls and seconds.

Usage: grpc_xds_client.py MODE TARGET [ARGS] [--mtls]
  count N                   make N calls; print {"counts": {server: n}, "errors": [...], "peers": [...]}
  reroute FROM TO READY N   call until N answers in a row come from FROM, then create the file READY (the test edits
                            the VirtualService), then call until N in a row come from TO; print
                            {"switched": bool, "calls": n, "seconds": s}
  fail [HOLD]               make one call with a 10 s deadline; print {"code": ..., "details": ..., "seconds": s};
                            then keep the channel (and its xDS stream) open for HOLD seconds (default 0)
  --mtls                    use xDS channel credentials (the cluster's TLS from meshd, certificates from the
                            bootstrap's certificate provider), falling back to plaintext where meshd sends none
"""
import json
import os
import sys
import time

import grpc
import grpc.experimental

MODE, TARGET = sys.argv[1], sys.argv[2]
ARGS = [a for a in sys.argv[3:] if a != "--mtls"]
MTLS = "--mtls" in sys.argv
METHOD = "/echo.Echo/Call"


def channel():
    if MTLS:
        credentials = grpc.xds_channel_credentials(fallback_credentials=grpc.experimental.insecure_channel_credentials())
        return grpc.secure_channel(TARGET, credentials)
    return grpc.insecure_channel(TARGET)


def call(stub, timeout=10):
    answer = json.loads(stub(b"hello", timeout=timeout).decode())
    return answer["server"], answer.get("peer")


def count(stub, n):
    counts, errors, peers = {}, [], set()
    for _ in range(n):
        try:
            server, peer = call(stub)
            counts[server] = counts.get(server, 0) + 1
            for p in peer or []:
                peers.add(p)
        except grpc.RpcError as error:
            errors.append(f"{error.code().name}: {error.details()}")
            if len(errors) >= 5:
                break
    print(json.dumps({"counts": counts, "errors": errors, "peers": sorted(peers)}))


def in_a_row(stub, name, n, deadline):
    run, calls = 0, 0
    while time.monotonic() < deadline:
        calls += 1
        try:
            server, _ = call(stub, timeout=5)
        except grpc.RpcError:
            server = None
        run = run + 1 if server == name else 0
        if run >= n:
            return True, calls
        time.sleep(0.01)
    return False, calls


def reroute(stub, source, target, ready, n):
    started = time.monotonic()
    ok, calls = in_a_row(stub, source, n, started + 30)
    if not ok:
        print(json.dumps({"switched": False, "calls": calls, "error": f"never {n} in a row from {source}"}))
        return
    with open(ready, "w") as f:
        f.write("ready\n")
    edited = time.monotonic()
    ok, more = in_a_row(stub, target, n, edited + 30)
    print(json.dumps({"switched": ok, "calls": calls + more, "seconds": round(time.monotonic() - edited, 3)}))


def fail(stub):
    started = time.monotonic()
    try:
        server, _ = call(stub)
        print(json.dumps({"code": "OK", "details": server, "seconds": round(time.monotonic() - started, 3)}))
    except grpc.RpcError as error:
        print(json.dumps({"code": error.code().name, "details": error.details(),
                          "seconds": round(time.monotonic() - started, 3)}), flush=True)


def main():
    with channel() as ch:
        stub = ch.unary_unary(METHOD)
        if MODE == "count":
            count(stub, int(ARGS[0]))
        elif MODE == "reroute":
            reroute(stub, ARGS[0], ARGS[1], ARGS[2], int(ARGS[3]))
        elif MODE == "fail":
            fail(stub)
            time.sleep(min(float(ARGS[0]) if ARGS else 0, 300))
        else:
            sys.exit(f"unknown mode {MODE}")


main()
