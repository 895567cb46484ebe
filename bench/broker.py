"""Measure the broker the hub spawns: start time, throughput at QoS 0/1, round trip at QoS 1.

Run: .venv/bin/python bench/broker.py   (loopback only; prints figures, asserts nothing)
Why: the embedded default spawns Mosquitto rather than running amqtt in-process (STACK_NOTES:
amqtt leaks retained messages past its ACL and speaks MQTT 3.1.1 only); this shows what it costs.
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from hub.broker.mosquitto import Mosquitto
from hub.broker.passwords import hash_password

N = 20_000


def _client(broker: Mosquitto, name: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=mqtt.MQTTv5)
    client.username_pw_set("bench", "bench-password")
    client.max_inflight_messages_set(100)

    def nodelay(c: Any, u: Any, sock: Any) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    client.on_socket_open = nodelay
    connected = threading.Event()
    client.on_connect = lambda *a: connected.set()
    client.connect(broker.host, broker.port)
    client.loop_start()
    connected.wait(10)
    return client


def throughput(broker: Mosquitto, qos: int) -> float:
    sub, pub = _client(broker, f"sub{qos}"), _client(broker, f"pub{qos}")
    done, count = threading.Event(), [0]

    def on_message(*a: Any) -> None:
        count[0] += 1
        if count[0] == N:
            done.set()

    sub.on_message = on_message
    subscribed = threading.Event()
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.subscribe("bench/t", qos)
    subscribed.wait(10)
    start = time.perf_counter()
    for _ in range(N):
        pub.publish("bench/t", b"x" * 100, qos=qos)
    done.wait(120)
    elapsed = time.perf_counter() - start
    for c in (sub, pub):
        c.disconnect()
        c.loop_stop()
    return count[0] / elapsed


def round_trip(broker: Mosquitto, rounds: int = 2000) -> list[float]:
    client = _client(broker, "rtt")
    got = threading.Event()
    client.on_message = lambda *a: got.set()
    subscribed = threading.Event()
    client.on_subscribe = lambda *a: subscribed.set()
    client.subscribe("bench/rtt", 1)
    subscribed.wait(10)
    samples = []
    for _ in range(rounds):
        got.clear()
        start = time.perf_counter()
        client.publish("bench/rtt", b"ping", qos=1)
        got.wait(5)
        samples.append((time.perf_counter() - start) * 1000)
    client.disconnect()
    client.loop_stop()
    return sorted(samples)


def main() -> None:
    hashes = {"bench": hash_password("bench-password")}
    acl = "user bench\ntopic readwrite bench/#\n"
    starts = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(5):
            t0 = time.perf_counter()
            broker = Mosquitto.start(Path(tmp) / f"b{i}", hashes=hashes, acl=acl)
            starts.append((time.perf_counter() - t0) * 1000)
            if i < 4:
                broker.stop()
        try:
            print(f"start (files + spawn + listening): median {statistics.median(starts):.1f} ms")
            print(f"QoS 0 throughput: {throughput(broker, 0):,.0f} msg/s")
            print(f"QoS 1 throughput: {throughput(broker, 1):,.0f} msg/s")
            rtt = round_trip(broker)
            p50, p99 = rtt[len(rtt) // 2], rtt[int(len(rtt) * 0.99)]
            print(f"QoS 1 round trip (auth + ACL on): p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
