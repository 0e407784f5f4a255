#!/usr/bin/env python3
"""A vast.ai API simulator (the subset choline speaks; see docs/provider-apis.md).

Scenario keys (--scenario JSON or POST /_test/config):
  boot_delay        seconds from create to running (sshd up); "loading" from a third of it
  rate_limit_burst  the next N API requests answer 429 (plain text, no Retry-After)
  refuse            offer ids whose rent answers 404 no_such_ask (someone else took it)
  never_boot        offer ids whose instance stays "loading" forever
  offers            replaces the default offers
  ignore_destroys   the next N destroys answer success but leave the instance running
  behind_nat        offer ids whose machine has no direct ports and an unroutable public IP
                    (SSH goes through the proxy; other nodes cannot reach it)
Instance ids are reused after a destroy, as vast does.
"""

import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simcommon  # noqa: E402

GB_MONTH_HOURS = 30 * 24

# id, machine_id, gpu_name, num_gpus, dph_base, reliability2, geolocation, inet_down
DEFAULT_OFFERS = [
    (1001, 501, "RTX 3090", 2, 0.40, 0.99, "Ohio, US", 800),
    (1002, 502, "RTX 3090", 2, 0.44, 0.985, "Ohio, US", 500),
    (1003, 503, "RTX 3090", 2, 0.48, 0.995, "Quebec, CA", 900),
    (1004, 504, "RTX 3090", 2, 0.30, 0.70, "Nevada, US", 100),
    (1005, 505, "RTX 3090", 4, 0.80, 0.99, "Ohio, US", 700),
    (1006, 506, "RTX 3090", 4, 0.86, 0.97, "Texas, US", 300),
    (1007, 507, "RTX 3090", 4, 0.92, 0.99, "Ohio, US", 1000),
    (1010, 510, "RTX 3090", 1, 0.20, 0.99, "Ohio, US", 600),
    (1011, 511, "RTX 3090", 1, 0.21, 0.99, "Ohio, US", 600),
    (1012, 512, "RTX 3090", 1, 0.22, 0.99, "Ohio, US", 600),
    (1013, 513, "RTX 3090", 1, 0.23, 0.99, "Ohio, US", 600),
    (1014, 514, "RTX 3090", 1, 0.19, 0.99, "Oregon, US", 600),
    (1020, 520, "RTX 4090", 1, 0.35, 0.99, "Sweden, SE", 900),
    (1030, 530, "H100 SXM", 8, 16.0, 0.999, "Virginia, US", 10000),
]


def offer_json(o):
    oid, mid, gpu, n, base, rel, geo, down = o
    return {
        "id": oid, "ask_contract_id": oid, "machine_id": mid, "gpu_name": gpu, "num_gpus": n,
        "gpu_ram": 24576, "cpu_cores_effective": 8 * n, "cpu_ram": 64000, "disk_space": 200,
        "dph_base": base, "dph_total": base, "min_bid": round(base * 0.6, 4), "storage_cost": 0.15,
        "inet_up": down / 2, "inet_down": down, "inet_up_cost": 0.01, "inet_down_cost": 0.01,
        "reliability": rel, "reliability2": rel, "geolocation": geo, "direct_port_count": 20,
        "verification": "verified", "verified": True, "external": False, "rentable": True, "rented": False,
        "cuda_max_good": 12.4, "score": 100 * rel / base, "dlperf": 30.0 * n,
    }


OPS = {
    "eq": lambda a, b: a == b, "neq": lambda a, b: a != b, "gt": lambda a, b: a is not None and a > b,
    "gte": lambda a, b: a is not None and a >= b, "lt": lambda a, b: a is not None and a < b,
    "lte": lambda a, b: a is not None and a <= b, "in": lambda a, b: a in b, "notin": lambda a, b: a not in b,
}


class VastSim(simcommon.Server):
    def __init__(self, args):
        super().__init__(args)
        self.offers = [offer_json(o) for o in DEFAULT_OFFERS]
        if "offers" in self.config:
            self.offers = self.config["offers"]
        self.instances = {}  # id -> dict
        self.hosts = {}      # id -> SimHost
        self.free_ids = []
        self.next_id = 7000
        self.account_keys = []
        self.generation = 0

    # ---- test routes ----
    def alive(self):
        with self.lock:
            return sorted(self.instances)

    def kill(self, ident):
        with self.lock:
            inst = self.instances.get(int(ident)) if ident.isdigit() else None
            if not inst:
                return False
            inst["actual_status"] = "offline"
            inst["status_msg"] = "machine offline"
            inst["ports"] = {}
            host = self.hosts.get(inst["id"])
        if host:
            host.kill()
        return True

    def shutdown_hosts(self):
        for host in list(self.hosts.values()):
            host.kill()

    # ---- the API ----
    def error(self, status, code, msg):
        return status, {"success": False, "error": code, "msg": msg}

    def route(self, method, path, query, headers, body):
        if not self.authorized(headers, query):
            return self.error(401, "auth_error", "Invalid user key")
        parts = [p for p in path.split("/") if p]
        data = json.loads(body) if body else {}
        if parts[:2] == ["api", "v0"] and parts[2:3] == ["bundles"] and method == "POST":
            return 200, {"offers": self.search(data)}
        if parts[:3] == ["api", "v0", "asks"] and len(parts) == 4 and method == "PUT":
            return self.rent(int(parts[3]), data)
        if parts[:3] == ["api", "v0", "instances"] and len(parts) == 3:
            return self.error(410, "deprecated_endpoint", "use /api/v1/instances/")
        if parts[:3] == ["api", "v1", "instances"] and method == "GET":
            return self.list_instances(query)
        if parts[:3] == ["api", "v0", "instances"] and len(parts) >= 4:
            iid = int(parts[3]) if parts[3].isdigit() else -1
            if len(parts) == 5 and parts[4] == "ssh" and method == "POST":
                return self.attach(iid, data)
            if method == "GET":
                with self.lock:
                    inst = self.instances.get(iid)
                    return 200, {"instances": dict(inst) if inst else None}
            if method == "DELETE":
                return self.destroy(iid)
        if parts[:3] == ["api", "v0", "ssh"]:
            if method == "GET":
                return 200, [{"id": i, "public_key": k} for i, k in enumerate(self.account_keys)]
            if method == "POST":
                with self.lock:
                    if data.get("ssh_key") not in self.account_keys:
                        self.account_keys.append(data.get("ssh_key"))
                return 200, {"success": True}
        return self.error(404, "not_found", f"no route {method} {path}")

    def search(self, q):
        out = []
        with self.lock:
            rented = {i["ask_id"] for i in self.instances.values()}
        storage = q.get("allocated_storage", 10)
        for o in self.offers:
            o = dict(o, rented=o["id"] in rented)
            ok = True
            for field, cond in q.items():
                if field in ("order", "type", "limit", "allocated_storage") or not isinstance(cond, dict):
                    continue
                for op, value in cond.items():
                    if op in OPS and not OPS[op](o.get(field), value):
                        ok = False
            if ok:
                o["dph_total"] = round(o["dph_base"] + o["storage_cost"] * storage / GB_MONTH_HOURS, 6)
                out.append(o)
        for key, direction in reversed(q.get("order", [])):
            out.sort(key=lambda o: o.get(key) or 0, reverse=direction == "desc")
        return out[: q.get("limit", 64)]

    def rent(self, ask_id, data):
        with self.lock:
            offer = next((o for o in self.offers if o["id"] == ask_id), None)
            taken = any(i["ask_id"] == ask_id for i in self.instances.values())
            if offer is None or taken or ask_id in self.config.get("refuse", []):
                return self.error(404, "no_such_ask", f"Instance type by id {ask_id} is not available.")
            if self.free_ids:
                self.free_ids.sort()
                iid = self.free_ids.pop(0)  # vast reuses ids
            else:
                iid = self.next_id
                self.next_id += 1
            host = simcommon.SimHost(self.state_dir, f"vast-{iid}-{self.generation}")
            self.generation += 1
            for k in self.account_keys:
                host.add_key(k)
            inst = {
                "id": iid, "ask_id": ask_id, "machine_id": offer["machine_id"], "label": data.get("label"),
                "image_uuid": data.get("image"), "actual_status": None, "intended_status": "running",
                "cur_state": "running", "status_msg": None, "public_ipaddr": "127.0.0.1", "ssh_host": "127.0.0.1",
                "ssh_port": host.port, "ports": {}, "gpu_name": offer["gpu_name"], "num_gpus": offer["num_gpus"],
                "dph_total": offer["dph_base"], "disk_space": data.get("disk"), "geolocation": offer["geolocation"],
            }
            self.instances[iid] = inst
            self.hosts[iid] = host
            delay = float(self.config.get("boot_delay", 1.0))
            never = ask_id in self.config.get("never_boot", [])
        self.boot_later(delay / 3, lambda: self.set_state(iid, host, "loading", "pulling image"))
        if not never:
            self.boot_later(delay, lambda: self.boot(iid, host))
        return 200, {"success": True, "new_contract": iid}

    def set_state(self, iid, host, status, msg):
        with self.lock:
            inst = self.instances.get(iid)
            if inst and self.hosts.get(iid) is host and inst["actual_status"] in (None, "loading"):
                inst["actual_status"], inst["status_msg"] = status, msg

    def boot(self, iid, host):
        with self.lock:
            inst = self.instances.get(iid)
            if not inst or self.hosts.get(iid) is not host or inst["actual_status"] not in (None, "loading"):
                return
        host.start()
        with self.lock:
            inst = self.instances.get(iid)
            if not inst or self.hosts.get(iid) is not host:
                host.kill()
                return
            inst["actual_status"] = "running"
            inst["status_msg"] = "success, running"
            if inst["ask_id"] in self.config.get("behind_nat", []):
                inst["public_ipaddr"] = "192.0.2.1"  # TEST-NET-1: routes nowhere
                inst["ports"] = {}
            else:
                inst["ports"] = {"22/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(host.port)}],
                                 "29500/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(host.port + 1)}]}

    def attach(self, iid, data):
        with self.lock:
            host = self.hosts.get(iid)
        if not host:
            return self.error(404, "no_such_instance", "no such instance")
        host.add_key(data.get("ssh_key", ""))
        return 200, {"success": True}

    def destroy(self, iid):
        with self.lock:
            if self.config.get("ignore_destroys", 0) > 0 and iid in self.instances:
                self.config["ignore_destroys"] -= 1
                return 200, {"success": True}
            inst = self.instances.pop(iid, None)
            host = self.hosts.pop(iid, None)
            if inst:
                self.free_ids.append(iid)
        if host:
            host.kill()
        return 200, {"success": True}

    def list_instances(self, query):
        limit = min(int(query.get("limit", ["25"])[0]), 25)
        after = int(query.get("after_token", ["0"])[0] or 0)
        with self.lock:
            ids = sorted(i for i in self.instances if i > after)
            page = [dict(self.instances[i]) for i in ids[:limit]]
        token = str(page[-1]["id"]) if len(ids) > limit else None
        return 200, {"instances": page, "next_token": token}


if __name__ == "__main__":
    VastSim(simcommon.arguments(__doc__)).serve()
