#!/usr/bin/env python3
"""A RunPod GraphQL simulator (the operations choline sends; see docs/provider-apis.md).

Errors arrive inside HTTP 200 as {"errors":[{"message"}]}, as RunPod does; a bad key is 401.
Scenario keys: boot_delay, rate_limit_burst, refuse_creates (the next N deploys find no
capacity), never_boot (the next N pods never get a runtime), no_ports_for (seconds a RUNNING
pod's runtime has no port mapping yet: ports lag behind RUNNING).
"""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simcommon  # noqa: E402

GPU_TYPES = [
    # id, displayName, memoryInGb, securePrice, communityPrice (per GPU)
    ("NVIDIA GeForce RTX 3090", "RTX 3090", 24, 0.43, 0.22),
    ("NVIDIA GeForce RTX 4090", "RTX 4090", 24, 0.69, 0.34),
    ("NVIDIA A100-SXM4-80GB", "A100 SXM 80GB", 80, 1.89, 1.19),
    ("NVIDIA H100 80GB HBM3", "H100 SXM", 80, 2.99, 2.69),
]
NO_CAPACITY = "There are no longer any instances available with the requested specifications. Please refresh and try again."


def arg(query, name, quoted=True):
    m = re.search(name + r'\s*:\s*"((?:[^"\\]|\\.)*)"' if quoted else name + r"\s*:\s*([0-9.]+)", query)
    if not m:
        return None
    return json.loads('"' + m.group(1) + '"') if quoted else float(m.group(1))


class RunPodSim(simcommon.Server):
    def __init__(self, args):
        super().__init__(args)
        self.pods = {}
        self.hosts = {}
        self.counter = 0

    def alive(self):
        with self.lock:
            return sorted(self.pods)

    def kill(self, ident):
        with self.lock:
            pod = self.pods.get(ident)
            if not pod:
                return False
            pod["desiredStatus"] = "EXITED"
            pod["runtime"] = None
            host = self.hosts.get(ident)
        if host:
            host.kill()
        return True

    def shutdown_hosts(self):
        for host in list(self.hosts.values()):
            host.kill()

    def route(self, method, path, query, headers, body):
        if not self.authorized(headers, query):
            return 401, {"errors": [{"message": "Unauthorized request, please check your API key"}]}
        if method != "POST":
            return 404, "Not Found", "text/plain"
        q = json.loads(body or "{}").get("query", "")
        if "gpuTypes" in q:
            count = int(arg(q, "gpuCount", quoted=False) or 1)
            return 200, {"data": {"gpuTypes": [self.gpu_type(t, count) for t in GPU_TYPES]}}
        if "podFindAndDeployOnDemand" in q or "podRentInterruptable" in q:
            return self.deploy(q)
        if "podTerminate" in q:
            return self.terminate(arg(q, "podId"))
        if "myself" in q:
            with self.lock:
                pods = [{"id": p["id"], "name": p["name"], "desiredStatus": p["desiredStatus"], "costPerHr": p["costPerHr"]}
                        for p in self.pods.values()]
            return 200, {"data": {"myself": {"pods": pods}}}
        if re.search(r"\bpod\s*\(", q):
            with self.lock:
                pod = self.pods.get(arg(q, "podId"))
                return 200, {"data": {"pod": self.view(pod) if pod else None}}
        return 200, {"errors": [{"message": "Cannot query field on type Query"}]}

    def gpu_type(self, t, count):
        gid, name, mem, secure, community = t
        return {"id": gid, "displayName": name, "memoryInGb": mem, "securePrice": secure, "communityPrice": community,
                "lowestPrice": {"minimumBidPrice": round(community * 0.6, 3), "uninterruptablePrice": community}}

    def deploy(self, q):
        op = "podRentInterruptable" if "podRentInterruptable" in q else "podFindAndDeployOnDemand"
        with self.lock:
            if self.config.get("refuse_creates", 0) > 0:
                self.config["refuse_creates"] -= 1
                return 200, {"errors": [{"message": NO_CAPACITY, "path": [op]}], "data": {op: None}}
            gid = arg(q, "gpuTypeId")
            t = next((t for t in GPU_TYPES if t[0] == gid), None)
            if not t:
                return 200, {"errors": [{"message": f"GPU type {gid} not found"}], "data": {op: None}}
            self.counter += 1
            pid = f"sim{self.counter:04d}pod"
            host = simcommon.SimHost(self.state_dir, "runpod-" + pid)
            m = re.search(r'key\s*:\s*"PUBLIC_KEY"\s*,\s*value\s*:\s*"((?:[^"\\]|\\.)*)"', q)
            if m:
                host.add_key(json.loads('"' + m.group(1) + '"'))
            count = int(arg(q, "gpuCount", quoted=False) or 1)
            pod = {"id": pid, "name": arg(q, "name"), "desiredStatus": "RUNNING", "costPerHr": t[4] * count,
                   "gpuCount": count, "machineId": "m-" + pid, "runtime": None, "_booted_at": None}
            self.pods[pid] = pod
            self.hosts[pid] = host
            delay = float(self.config.get("boot_delay", 1.0))
            never = self.config.get("never_boot", 0) > 0
            if never:
                self.config["never_boot"] -= 1
        if not never:
            self.boot_later(delay, lambda: self.boot(pid, host))
        return 200, {"data": {op: {"id": pid, "machineId": pod["machineId"]}}}

    def boot(self, pid, host):
        host.start()
        with self.lock:
            pod = self.pods.get(pid)
            if not pod or self.hosts.get(pid) is not host or pod["desiredStatus"] != "RUNNING":
                host.kill()
                return
            pod["_booted_at"] = time.time()
            pod["_port"] = host.port

    def view(self, pod):
        v = {k: val for k, val in pod.items() if not k.startswith("_")}
        if pod.get("_booted_at") and pod["desiredStatus"] == "RUNNING":
            lag = float(self.config.get("no_ports_for", 0.3))
            ports = []
            if time.time() - pod["_booted_at"] >= lag:
                ports = [{"ip": "127.0.0.1", "isIpPublic": True, "privatePort": 22, "publicPort": pod["_port"], "type": "tcp"}]
            v["runtime"] = {"uptimeInSeconds": int(time.time() - pod["_booted_at"]), "ports": ports}
        return v

    def terminate(self, pid):
        with self.lock:
            pod = self.pods.pop(pid, None)
            host = self.hosts.pop(pid, None)
        if host:
            host.kill()
        if not pod:
            return 200, {"errors": [{"message": "pod not found"}], "data": {"podTerminate": None}}
        return 200, {"data": {"podTerminate": None}}


if __name__ == "__main__":
    RunPodSim(simcommon.arguments(__doc__)).serve()
