"""Start Debian's ``prometheus-blackbox-exporter`` on a free local port for a test."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from contextlib import contextmanager

import requests

EXPORTER = "/usr/bin/prometheus-blackbox-exporter"
INSTALLED = os.access(EXPORTER, os.X_OK)
CONFIG = {"modules": {
    "tcp_connect": {"prober": "tcp", "timeout": "2s"},
    "icmp": {"prober": "icmp", "timeout": "2s"},
}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_exporter(tmp_path):
    config = tmp_path / "blackbox.yml"
    config.write_text(json.dumps(CONFIG))  # JSON is YAML
    port = free_port()
    log_path = tmp_path / "blackbox.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [EXPORTER, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(url + "/metrics", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("blackbox exporter did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def tcp_listener():
    """A listening TCP socket on a free port; closing it makes the port refuse connections."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    try:
        yield server
    finally:
        server.close()
