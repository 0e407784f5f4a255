"""What the provider simulators share (Python standard library only).

SimHost: a rented machine = a real OpenSSH sshd on a loopback address, running as the current
user but with its own HOME (a ForceCommand exports it and starts every session there), so each
simulated instance is its own machine as far as choline can tell. kill() stops its sshd, every
connection and every process that runs with its HOME.

Server: a threaded HTTP server with the routes every simulator has: the test-only routes
(/_test/alive, /_test/kill/<id>, /_test/config, /_test/requests) and 429 bursts.
"""

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port(address="127.0.0.1"):
    s = socket.socket()
    s.bind((address, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def _with_home(home):
    needle = b"HOME=" + home.encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    pids.append(int(entry))
        except OSError:
            continue
    return pids


class SimHost:
    def __init__(self, root, name, address="127.0.0.1", port=None):
        self.dir = os.path.join(root, name)
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home, exist_ok=True)
        self.address = address
        self.port = port or free_port(address)
        self.keys_file = os.path.join(self.dir, "authorized_keys")
        self.pid_file = os.path.join(self.dir, "sshd.pid")
        self.started = False
        self.lock = threading.Lock()
        with open(self.keys_file, "a"):
            pass

    def add_key(self, key):
        with self.lock:
            with open(self.keys_file) as f:
                have = f.read().splitlines()
            if key.strip() and key.strip() not in have:
                with open(self.keys_file, "a") as f:
                    f.write(key.strip() + "\n")

    def start(self):
        host_key = os.path.join(self.dir, "host_key")
        if not os.path.exists(host_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key], check=True)
        os.makedirs("/run/sshd", exist_ok=True)
        config = os.path.join(self.dir, "sshd_config")
        with open(config, "w") as f:
            f.write(
                f"Port {self.port}\nListenAddress {self.address}\nHostKey {host_key}\n"
                f"AuthorizedKeysFile {self.keys_file}\nPasswordAuthentication no\n"
                "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nStrictModes no\n"
                f"UsePAM no\nPidFile {self.pid_file}\nLogLevel ERROR\n"
                # Every session starts in the instance's own HOME: its own machine. SetEnv makes
                # it HOME already for the login shell (which would otherwise read the real
                # user's ~/.bashrc on every command).
                f"SetEnv HOME={self.home}\n"
                f'ForceCommand cd "{self.home}" && export HOME="{self.home}" && exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n'
            )
        subprocess.run(["/usr/sbin/sshd", "-f", config, "-E", os.path.join(self.dir, "sshd.log")], check=True)
        for _ in range(200):
            if os.path.exists(self.pid_file) and open(self.pid_file).read().strip():
                break
            time.sleep(0.02)
        self.started = True

    def kill(self):
        pids = set(_with_home(self.home))
        try:
            master = int(open(self.pid_file).read().strip())
            pids.add(master)
            pids.update(_descendants(master))
        except (OSError, ValueError):
            pass
        for pid in list(pids):
            pids.update(_descendants(pid))
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.started = False


class Server:
    """Subclasses implement route(method, path, query, headers, body) -> (status, body[, type])."""

    def __init__(self, args):
        self.args = args
        self.state_dir = args.state
        os.makedirs(self.state_dir, exist_ok=True)
        self.lock = threading.RLock()
        self.config = {"boot_delay": args.boot_delay, "rate_limit_burst": 0}
        if args.scenario:
            self.config.update(json.loads(args.scenario))
        self.requests = []
        self.key = args.key

    # ---- for subclasses ----
    def alive(self):
        raise NotImplementedError

    def kill(self, ident):
        raise NotImplementedError

    def shutdown_hosts(self):
        pass

    def authorized(self, headers, query):
        auth = headers.get("Authorization", "")
        if auth == "Bearer " + self.key:
            return True
        return query.get("api_key", [""])[0] == self.key

    def boot_later(self, delay, fn):
        t = threading.Timer(delay, fn)
        t.daemon = True
        t.start()

    # ---- HTTP plumbing ----
    def dispatch(self, method, raw_path, headers, body):
        parsed = urllib.parse.urlparse(raw_path)
        path, query = parsed.path, urllib.parse.parse_qs(parsed.query)
        if path.startswith("/_test/"):
            return self.test_route(method, path, body)
        with self.lock:
            self.requests.append({"method": method, "path": path})
            if self.config.get("rate_limit_burst", 0) > 0:
                self.config["rate_limit_burst"] -= 1
                return 429, "Too Many Requests", "text/plain"
        return self.route(method, path, query, headers, body)

    def test_route(self, method, path, body):
        if path == "/_test/alive":
            return 200, {"alive": len(self.alive()), "instances": self.alive()}
        if path.startswith("/_test/kill/"):
            return (200, {"killed": True}) if self.kill(path[len("/_test/kill/"):]) else (404, {"killed": False})
        if path == "/_test/config" and method == "POST":
            with self.lock:
                self.config.update(json.loads(body or "{}"))
            return 200, self.config
        if path == "/_test/requests":
            return 200, {"requests": self.requests}
        return 404, {"error": "no such test route"}

    def serve(self):
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def setup(self):
                super().setup()
                # Headers and body leave in separate writes: without this, Nagle and the
                # client's delayed ACK add 40 ms to most answers (real APIs do not).
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                try:
                    answer = server_self.dispatch(self.command, self.path, self.headers, body)
                except Exception as e:  # a simulator bug shows as a 500, like a real outage
                    answer = (500, {"error": "simulator", "msg": repr(e)})
                status, payload = answer[0], answer[1]
                ctype = answer[2] if len(answer) > 2 else "application/json"
                data = payload if isinstance(payload, str) else json.dumps(payload)
                data = data.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = handle_any

        httpd = ThreadingHTTPServer(("127.0.0.1", self.args.port), Handler)
        httpd.daemon_threads = True
        port = httpd.server_address[1]
        if self.args.port_file:
            tmp = self.args.port_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(str(port))
            os.rename(tmp, self.args.port_file)

        def stop(*_):
            threading.Thread(target=httpd.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            httpd.serve_forever()
        finally:
            self.shutdown_hosts()


def arguments(description):
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--state", required=True, help="directory for the simulated hosts")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--key", default="sim-key-0123456789", help="the API key the simulator accepts")
    p.add_argument("--boot-delay", type=float, default=1.0, help="seconds from create to a running sshd")
    p.add_argument("--scenario", help="JSON merged into the config (see each simulator)")
    return p.parse_args()
