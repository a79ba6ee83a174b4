"""grpcio ADS clients for meshd's stream and connection tests (run with the project's .venv python).

Usage: xds_clients.py MODE TARGET [ARGS]
  cancel PROTOCOL COUNT   open COUNT streams one after another (each on its own connection), read the first
                          response, then cancel the call (RST_STREAM CANCEL) and drop the channel; PROTOCOL is
                          sotw or delta. Prints "cancelled COUNT".
  vanish PROTOCOL NAME    open one stream as pod NAME, print "ready" after the first response, then wait forever:
                          the test kills (SIGKILL) or freezes (SIGSTOP) the process.
  shared COUNT SECONDS    open COUNT streams on ONE shared channel (one HTTP/2 connection), and after SECONDS print
                          "served N failed F waiting W"; with "then-cancel K" cancel K served streams and report again.
  flood COUNT SECONDS     open COUNT idle TCP connections (no bytes sent) as fast as possible, keep them SECONDS,
                          print "flood opened O refused R" (R: connections the server closed or never accepted).
"""
import resource
import socket
import sys
import threading
import time

MODE, TARGET = sys.argv[1], sys.argv[2]

CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
SOTW = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
DELTA = "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources"


def node_id(name):
    return f"sidecar~127.0.0.1~{name}.default~default.svc.cluster.local"


def open_stream(channel, protocol, name):
    """Starts one ADS stream asking for CDS; returns (call, release) where release ends the request iterator."""
    from envoy.service.discovery.v3 import discovery_pb2

    done = threading.Event()
    if protocol == "delta":
        request = discovery_pb2.DeltaDiscoveryRequest(type_url=CDS)
        method = channel.stream_stream(
            DELTA, request_serializer=discovery_pb2.DeltaDiscoveryRequest.SerializeToString,
            response_deserializer=discovery_pb2.DeltaDiscoveryResponse.FromString)
    else:
        request = discovery_pb2.DiscoveryRequest(type_url=CDS)
        method = channel.stream_stream(
            SOTW, request_serializer=discovery_pb2.DiscoveryRequest.SerializeToString,
            response_deserializer=discovery_pb2.DiscoveryResponse.FromString)
    request.node.id = node_id(name)

    def requests():
        yield request
        done.wait()

    return method(requests()), done.set


def own_channel():
    import grpc

    return grpc.insecure_channel(TARGET, options=[("grpc.use_local_subchannel_pool", 1)])


def cancel(protocol, count):
    for index in range(count):
        channel = own_channel()
        call, release = open_stream(channel, protocol, f"cancel-{protocol}-{index}")
        next(call)
        call.cancel()
        release()
        channel.close()
    print(f"cancelled {count}", flush=True)


def vanish(protocol, name):
    channel = own_channel()
    call, _ = open_stream(channel, protocol, name)
    next(call)
    print("ready", flush=True)
    while True:
        time.sleep(3600)


def shared(count, seconds, then_cancel):
    import grpc

    channel = grpc.insecure_channel(TARGET)
    calls, releases = [], []
    state = {"served": set(), "failed": 0}
    lock = threading.Lock()

    def read(index, call):
        try:
            next(call)
            with lock:
                state["served"].add(index)
            for _ in call:
                pass
        except grpc.RpcError as error:
            with lock:
                if error.code() != grpc.StatusCode.CANCELLED:
                    state["failed"] += 1
                    print(f"stream {index} failed: {error.code()} {error.details()}", flush=True)
                state["served"].discard(index)

    for index in range(count):
        call, release = open_stream(channel, "sotw", f"shared-{index}")
        calls.append(call)
        releases.append(release)
        threading.Thread(target=read, args=(index, call), daemon=True).start()

    def report():
        with lock:
            served = len(state["served"])
            print(f"served {served} failed {state['failed']} waiting {count - served - state['failed']}", flush=True)

    time.sleep(seconds)
    report()
    if then_cancel:
        with lock:
            victims = sorted(state["served"])[:then_cancel]
        for index in victims:
            calls[index].cancel()
        with lock:
            count -= len(victims)
            for index in victims:
                state["served"].discard(index)
        time.sleep(seconds)
        report()
    for release in releases:
        release()
    channel.close()


def flood(count, seconds):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 256)), hard))
    host, port = TARGET.rsplit(":", 1)
    sockets, refused = [], 0
    for _ in range(count):
        try:
            sockets.append(socket.create_connection((host, int(port)), timeout=2))
        except OSError:
            refused += 1
    print(f"flood opened {len(sockets)}", flush=True)
    time.sleep(seconds)
    closed = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            # The server may have sent its HTTP/2 SETTINGS before closing: read past them to the end of the stream.
            while True:
                if sock.recv(65536) == b"":
                    closed += 1
                    break
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    print(f"flood opened {len(sockets)} refused {refused} closed-by-server {closed}", flush=True)


if MODE == "cancel":
    cancel(sys.argv[3], int(sys.argv[4]))
elif MODE == "vanish":
    vanish(sys.argv[3], sys.argv[4])
elif MODE == "shared":
    then_cancel = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "then-cancel" else 0
    shared(int(sys.argv[3]), float(sys.argv[4]), then_cancel)
elif MODE == "flood":
    flood(int(sys.argv[3]), float(sys.argv[4]))
else:
    sys.exit(f"unknown mode {MODE}")
