"""A real OpenAI /v1/audio/speech server on loopback that answers with speech espeak-ng made."""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def espeak_wav(text: str) -> bytes:
    """What espeak-ng says for ``text``, as the WAV bytes it writes (22.05 kHz: not the engines' own rate)."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(target), text], check=True, capture_output=True)
        return target.read_bytes()


@contextmanager
def speech_server(status: int = 200) -> Iterator[tuple[str, list[dict]]]:
    """Yields (its /v1 URL, the requests it got: JSON body plus the Authorization header)."""
    requests: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append({**body, "path": self.path, "authorization": self.headers.get("Authorization")})
            if self.path != "/v1/audio/speech" or status != 200:
                payload, kind, code = b'{"error": {"message": "no such voice"}}', "application/json", status if status != 200 else 404
            else:
                payload, kind, code = espeak_wav(body["input"]), "audio/wav", 200
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", requests
    finally:
        server.shutdown()
        server.server_close()
