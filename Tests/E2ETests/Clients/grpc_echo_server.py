"""A gRPC backend for the proxyless gRPC end-to-end tests (run with the project's .venv python, grpcio 1.85.1).

Usage: grpc_echo_server.py NAME PORT [--tls CERT_DIR]
  Serves /echo.Echo/Call on 127.0.0.1:PORT. Each call answers with a JSON object: {"server": NAME, "peer": ...},
  where peer is the client's URI SAN (its SPIFFE identity) under --tls, else null.
  --tls CERT_DIR   mutual TLS with the files `meshd workload-cert` writes (cert-chain.pem, key.pem, root-cert.pem):
                   the server presents its workload certificate and requires a client certificate from the mesh CA.
Prints "serving NAME PORT" once it listens; runs until killed.
"""
import json
import sys
import time
from concurrent import futures

import grpc

NAME, PORT = sys.argv[1], int(sys.argv[2])
CERT_DIR = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--tls" else None


def call(request, context):
    peer = None
    for key, values in context.auth_context().items():
        if key == "x509_subject_alternative_name":
            peer = [v.decode() for v in values if v.decode().startswith("spiffe://")]
    return json.dumps({"server": NAME, "peer": peer}).encode()


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    handler = grpc.method_handlers_generic_handler("echo.Echo", {"Call": grpc.unary_unary_rpc_method_handler(call)})
    server.add_generic_rpc_handlers((handler,))
    address = f"127.0.0.1:{PORT}"
    if CERT_DIR:
        def read(name):
            with open(f"{CERT_DIR}/{name}", "rb") as f:
                return f.read()
        credentials = grpc.ssl_server_credentials(
            [(read("key.pem"), read("cert-chain.pem"))], root_certificates=read("root-cert.pem"),
            require_client_auth=True)
        server.add_secure_port(address, credentials)
    else:
        server.add_insecure_port(address)
    server.start()
    print(f"serving {NAME} {PORT}", flush=True)
    while True:
        time.sleep(3600)


main()
