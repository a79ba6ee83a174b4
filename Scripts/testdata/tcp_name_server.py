#!/usr/bin/env python3
"""Opaque TCP backend for meshd's end-to-end tests (standard library only).

Listens on every port given and, on each accepted connection, sends one line naming itself and the port the
connection arrived on, then closes:

    <name> <port>\\n

The client never has to speak first, so the exchange is plain TCP that no proxy can read as HTTP.

Usage: tcp_name_server.py --name db-v1 --port 7000 [--port 7001 ...] [--bind 0.0.0.0]
"""

import argparse
import socket
import sys
import threading


def serve(listener: socket.socket, name: str, port: int) -> None:
    while True:
        connection, _ = listener.accept()
        try:
            connection.sendall(f"{name} {port}\n".encode())
        except OSError:
            pass
        finally:
            connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, action="append", required=True)
    parser.add_argument("--bind", default="0.0.0.0")
    args = parser.parse_args()
    threads = []
    for port in args.port:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((args.bind, port))
        listener.listen(128)
        thread = threading.Thread(target=serve, args=(listener, args.name, port), daemon=True)
        thread.start()
        threads.append(thread)
    print(f"tcp_name_server {args.name} listening on {args.port}", flush=True)
    for thread in threads:
        thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
