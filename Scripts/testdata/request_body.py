"""Reads an HTTP request body as the test collectors receive it from Envoy's async HTTP client: with a
content-length, or chunked."""

MAX_CHUNKS = 100000
MAX_BYTES = 64 * 1024 * 1024


def read_body(handler):
    """The body of the request `handler` (a BaseHTTPRequestHandler) is answering, bounded in chunks and bytes."""
    if "chunked" in handler.headers.get("transfer-encoding", "").lower():
        chunks = []
        total = 0
        for _ in range(MAX_CHUNKS):
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()
                break
            total += size
            if total > MAX_BYTES:
                raise ValueError("request body too large")
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        return b"".join(chunks)
    length = int(handler.headers.get("content-length", "0") or "0")
    if length > MAX_BYTES:
        raise ValueError("request body too large")
    return handler.rfile.read(length) if length > 0 else b""
