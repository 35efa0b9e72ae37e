"""Ports for local servers under test: never the same one twice in a process.  The
kernel hands a port just closed to a later bind(0) again (500 plain bind(0) calls
repeated a port in 20 of 20 trials on the development machine), and two services given
the same port collide: the second cannot listen, and a readiness probe of it reaches
the first (a pipeline test hung on this for 600 s)."""

from __future__ import annotations

import socket

from govmon.localstack.kafka import find_free_ports


def test_ports_are_never_handed_out_twice() -> None:
    ports = [port for _ in range(500) for port in find_free_ports(1)]
    ports += find_free_ports(50)
    assert len(set(ports)) == len(ports)


def test_a_port_handed_out_is_free_to_listen_on() -> None:
    (port,) = find_free_ports(1)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
