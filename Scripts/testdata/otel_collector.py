#!/usr/bin/env python3
"""A telemetry collector for the tests, speaking what Envoy's gRPC telemetry clients send:

- Envoy's access log service (envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs), HTTP and TCP entries;
- OTLP logs (opentelemetry.proto.collector.logs.v1.LogsService/Export), from Envoy's OpenTelemetry access logger;
- OTLP traces (opentelemetry.proto.collector.trace.v1.TraceService/Export), from Envoy's OpenTelemetry tracer;

all on one gRPC port (HTTP/2, plaintext), and OTLP/HTTP traces (POST /v1/traces, protobuf) on the HTTP port.
It keeps what it receives in memory: GET /records on the HTTP port answers them as JSON, GET /healthz answers 200.
The messages come from the xds-protos package (Envoy's and OpenTelemetry's generated Python protos).

usage: otel_collector.py --grpc-port 4317 --http-port 4318
"""
import argparse
import json
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from envoy.service.accesslog.v3 import als_pb2, als_pb2_grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from request_body import read_body

LOCK = threading.Lock()
RECORDS = {"als_http": [], "als_tcp": [], "otel_logs": [], "otel_spans": []}
MAX_RECORDS = 100000


def keep(kind, record):
    with LOCK:
        if len(RECORDS[kind]) < MAX_RECORDS:
            RECORDS[kind].append(record)


def any_value(value):
    """An OTLP AnyValue as plain JSON."""
    which = value.WhichOneof("value")
    if which == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    if which == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which) if which else None


def method_name(request):
    """The request's method as its enum name (GET), read from the message's own descriptor."""
    enum = type(request).DESCRIPTOR.fields_by_name["request_method"].enum_type
    value = enum.values_by_number.get(request.request_method)
    return value.name if value else str(request.request_method)


def attributes(pairs):
    return {kv.key: any_value(kv.value) for kv in pairs}


class AccessLogService(als_pb2_grpc.AccessLogServiceServicer):
    def StreamAccessLogs(self, request_iterator, context):
        log_name = ""
        for message in request_iterator:
            if message.HasField("identifier"):
                log_name = message.identifier.log_name
            for entry in message.http_logs.log_entry:
                request, response = entry.request, entry.response
                keep("als_http", {
                    "log_name": log_name,
                    "method": method_name(request),
                    "path": request.path,
                    "authority": request.authority,
                    "request_id": request.request_id,
                    "request_headers": dict(request.request_headers),
                    "status": response.response_code.value,
                    "response_headers": dict(response.response_headers),
                    "upstream_cluster": entry.common_properties.upstream_cluster,
                })
            for entry in message.tcp_logs.log_entry:
                keep("als_tcp", {
                    "log_name": log_name,
                    "upstream_cluster": entry.common_properties.upstream_cluster,
                    "received_bytes": entry.connection_properties.received_bytes,
                    "sent_bytes": entry.connection_properties.sent_bytes,
                })
        return als_pb2.StreamAccessLogsResponse()


def field(message, name, older_name):
    """`message.name`, or `message.older_name` in older OTLP protos. The protos in xds-protos predate the rename of
    InstrumentationLibrary* to Scope* (and of logs to log_records); both names have the same field number, so either
    reads the same bytes."""
    return getattr(message, name) if hasattr(message, name) else getattr(message, older_name)


def scoped(resource_entry, groups, older_groups, items, older_items):
    """Every item of every scope group of one resource entry."""
    for group in field(resource_entry, groups, older_groups):
        yield from field(group, items, older_items)


def export_logs(request, context):
    for resource_logs in request.resource_logs:
        resource = attributes(resource_logs.resource.attributes)
        for record in scoped(resource_logs, "scope_logs", "instrumentation_library_logs", "log_records", "logs"):
            keep("otel_logs", {
                "body": any_value(record.body),
                "attributes": attributes(record.attributes),
                "resource": resource,
                "trace_id": record.trace_id.hex(),
            })
    return logs_service_pb2.ExportLogsServiceResponse()


def keep_spans(request, transport):
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for span in scoped(resource_spans, "scope_spans", "instrumentation_library_spans", "spans", "spans"):
            keep("otel_spans", {
                "trace_id": span.trace_id.hex(),
                "span_id": span.span_id.hex(),
                "name": span.name,
                "kind": span.kind,
                "attributes": attributes(span.attributes),
                "resource": resource,
                "transport": transport,
            })


def export_traces(request, context):
    keep_spans(request, "grpc")
    return trace_service_pb2.ExportTraceServiceResponse()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/healthz":
            self._answer(200, b'{"ok": true}')
        elif self.path == "/records":
            with LOCK:
                body = json.dumps(RECORDS).encode()
            self._answer(200, body)
        else:
            self._answer(404, b'{"error": "no such path"}')

    def do_POST(self):
        try:
            body = read_body(self)
        except ValueError as error:
            self._answer(413, json.dumps({"error": str(error)}).encode())
            return
        if self.path != "/v1/traces":
            self._answer(404, b'{"error": "no such path"}')
            return
        request = trace_service_pb2.ExportTraceServiceRequest()
        try:
            request.ParseFromString(body)
        except Exception as error:  # a malformed export is answered 400, as an OTLP receiver does
            self._answer(400, json.dumps({"error": str(error)}).encode())
            return
        keep_spans(request, "http")
        self._answer(200, trace_service_pb2.ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--grpc-port", type=int, default=4317)
    parser.add_argument("--http-port", type=int, default=4318)
    args = parser.parse_args()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    als_pb2_grpc.add_AccessLogServiceServicer_to_server(AccessLogService(), server)
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler("opentelemetry.proto.collector.logs.v1.LogsService", {
            "Export": grpc.unary_unary_rpc_method_handler(
                export_logs,
                request_deserializer=logs_service_pb2.ExportLogsServiceRequest.FromString,
                response_serializer=logs_service_pb2.ExportLogsServiceResponse.SerializeToString),
        }),
        grpc.method_handlers_generic_handler("opentelemetry.proto.collector.trace.v1.TraceService", {
            "Export": grpc.unary_unary_rpc_method_handler(
                export_traces,
                request_deserializer=trace_service_pb2.ExportTraceServiceRequest.FromString,
                response_serializer=trace_service_pb2.ExportTraceServiceResponse.SerializeToString),
        }),
    ))
    server.add_insecure_port(f"0.0.0.0:{args.grpc_port}")
    server.start()
    ThreadingHTTPServer(("0.0.0.0", args.http_port), Handler).serve_forever()


if __name__ == "__main__":
    main()
