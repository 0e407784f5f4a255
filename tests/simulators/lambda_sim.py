#!/usr/bin/env python3
"""A Lambda Cloud API simulator (/api/v1 subset; see docs/provider-apis.md).

Success is {"data": ...}; errors are {"error": {"code", "message"}}. Each instance is an sshd on
port 22 of its own loopback address (127.x.y.z), as Lambda hands out one IP per instance.
Scenario keys: boot_delay, rate_limit_burst, refuse_creates (the next N launches answer
insufficient-capacity), never_boot (the next N instances stay "booting").
"""

import json
import os
import random
import socket
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simcommon  # noqa: E402

TYPES = {
    # name: description, cents per hour, gpus, regions with capacity
    "gpu_1x_a100": ("1x A100 (40 GB SXM4)", 129, 1, ["us-east-1", "us-west-1"]),
    "gpu_8x_a100_80gb_sxm4": ("8x A100 (80 GB SXM4)", 1432, 8, ["us-east-1"]),
    "gpu_8x_h100_sxm5": ("8x H100 (80 GB SXM5)", 2392, 8, []),
    "gpu_1x_a6000": ("1x RTX A6000 (48 GB)", 80, 1, ["us-west-1"]),
    # Lambda lists no RTX 3090 today; the simulator does, so every provider runs the same test job.
    "gpu_2x_rtx3090": ("2x RTX 3090 (24 GB)", 60, 2, ["us-south-1", "us-east-1"]),
    "gpu_4x_rtx3090": ("4x RTX 3090 (24 GB)", 118, 4, ["us-south-1"]),
    "gpu_1x_rtx3090": ("1x RTX 3090 (24 GB)", 31, 1, ["us-south-1"]),
}


def err(status, code, message):
    return status, {"error": {"code": code, "message": message}}


def port_22_free(ip):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ip, 22))
        return True
    except OSError:
        return False
    finally:
        s.close()


class LambdaSim(simcommon.Server):
    def __init__(self, args):
        super().__init__(args)
        self.instances = {}
        self.hosts = {}
        self.keys = {}
        self.rng = random.Random()

    def alive(self):
        with self.lock:
            return sorted(i for i, v in self.instances.items() if v["status"] != "terminated")

    def kill(self, ident):
        with self.lock:
            inst = self.instances.get(ident)
            if not inst:
                return False
            inst["status"] = "unhealthy"
            host = self.hosts.get(ident)
        if host:
            host.kill()
        return True

    def shutdown_hosts(self):
        for host in list(self.hosts.values()):
            host.kill()

    def new_ip(self):
        used = {h.address for h in self.hosts.values()}
        for _ in range(1000):
            ip = f"127.{self.rng.randint(1, 254)}.{self.rng.randint(0, 255)}.{self.rng.randint(2, 254)}"
            if ip not in used and port_22_free(ip):
                return ip
        raise RuntimeError("no free loopback address with port 22")

    def route(self, method, path, query, headers, body):
        if not self.authorized(headers, query):
            return err(401, "global/invalid-api-key", "API key was invalid, expired, or deleted.")
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            parts = parts[2:]
        data = json.loads(body) if body else {}
        if parts == ["instance-types"] and method == "GET":
            return 200, {"data": {name: self.type_json(name) for name in TYPES}}
        if parts == ["ssh-keys"]:
            if method == "GET":
                return 200, {"data": [{"id": k, "name": k, "public_key": v} for k, v in self.keys.items()]}
            with self.lock:
                if data.get("name") in self.keys:
                    return err(400, "global/invalid-parameters", "SSH key name already in use")
                self.keys[data["name"]] = data.get("public_key", "")
            return 200, {"data": {"id": data["name"], "name": data["name"], "public_key": data.get("public_key")}}
        if parts == ["instance-operations", "launch"] and method == "POST":
            return self.launch(data)
        if parts == ["instance-operations", "terminate"] and method == "POST":
            return self.terminate(data.get("instance_ids", []))
        if parts == ["instances"] and method == "GET":
            with self.lock:
                return 200, {"data": [self.view(v) for v in self.instances.values() if v["status"] != "terminated"]}
        if len(parts) == 2 and parts[0] == "instances" and method == "GET":
            with self.lock:
                inst = self.instances.get(parts[1])
                if not inst or inst["status"] == "terminated":
                    return err(404, "global/object-does-not-exist", "Specified instance does not exist.")
                return 200, {"data": self.view(inst)}
        return err(404, "global/object-does-not-exist", f"no route {method} {path}")

    def type_json(self, name):
        desc, cents, gpus, regions = TYPES[name]
        return {"instance_type": {"name": name, "description": desc, "gpu_description": desc.split(" (")[0][3:],
                                  "price_cents_per_hour": cents,
                                  "specs": {"vcpus": 30 * gpus, "memory_gib": 200 * gpus, "storage_gib": 512 * gpus, "gpus": gpus}},
                "regions_with_capacity_available": [{"name": r, "description": r} for r in regions]}

    def view(self, inst):
        return {k: v for k, v in inst.items() if not k.startswith("_")}

    def launch(self, data):
        with self.lock:
            name = data.get("instance_type_name")
            if name not in TYPES:
                return err(400, "global/invalid-parameters", f"unknown instance type {name}")
            if self.config.get("refuse_creates", 0) > 0 or data.get("region_name") not in TYPES[name][3]:
                self.config["refuse_creates"] = max(0, self.config.get("refuse_creates", 0) - 1)
                return err(400, "instance-operations/launch/insufficient-capacity",
                           "Not enough capacity to fulfill launch request.")
            names = data.get("ssh_key_names", [])
            if not names or any(n not in self.keys for n in names):
                return err(400, "global/invalid-parameters", "SSH key not found")
            iid = uuid.uuid4().hex
            host = simcommon.SimHost(self.state_dir, "lambda-" + iid[:12], address=self.new_ip(), port=22)
            for n in names:
                host.add_key(self.keys[n])
            inst = {"id": iid, "name": data.get("name"), "ip": None, "status": "booting", "ssh_key_names": names,
                    "region": {"name": data["region_name"]}, "instance_type": self.type_json(name)["instance_type"]}
            self.instances[iid] = inst
            self.hosts[iid] = host
            never = self.config.get("never_boot", 0) > 0
            if never:
                self.config["never_boot"] -= 1
            delay = float(self.config.get("boot_delay", 1.0))
        if not never:
            self.boot_later(delay, lambda: self.boot(iid, host))
        return 200, {"data": {"instance_ids": [iid]}}

    def boot(self, iid, host):
        host.start()
        with self.lock:
            inst = self.instances.get(iid)
            if not inst or inst["status"] != "booting":
                host.kill()
                return
            inst["status"], inst["ip"] = "active", host.address

    def terminate(self, ids):
        out = []
        for iid in ids:
            with self.lock:
                inst = self.instances.get(iid)
                if not inst or inst["status"] == "terminated":
                    return err(404, "global/object-does-not-exist", "Specified instance does not exist.")
                inst["status"] = "terminated"
                host = self.hosts.pop(iid, None)
                out.append(self.view(inst))
            if host:
                host.kill()
        return 200, {"data": {"terminated_instances": out}}


if __name__ == "__main__":
    LambdaSim(simcommon.arguments(__doc__)).serve()
