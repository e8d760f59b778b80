#!/usr/bin/python3
"""A server's serial port for ipmi_sim's Serial-over-LAN, without a VM:
ipmi_sim connects to it as a BMC does to a COM port. The test's stand-in
where a VM would only slow it down (typing byte-exact, a flood, two
lifeboatd and their lease). Modes:
  tick   a line "tick N" every 0.5 s; every byte received is appended to
         --received, and each line received is answered "you typed: ..."
  flood  as fast as the connection takes, for --seconds, then tick
Started by the test BMC's power-on (chassis.sh runs qemu.cmd), ended by
its power-off (SIGTERM)."""

import argparse
import signal
import socket
import sys
import time


def serve(conn, args):
    conn.setblocking(False)
    n, line, next_tick = 0, b"", time.monotonic()
    flood_until = time.monotonic() + args.seconds if args.mode == "flood" else 0
    while True:
        now = time.monotonic()
        try:
            got = conn.recv(4096)
            if not got:
                return
            with open(args.received, "ab") as f:
                f.write(got)
            for b in got:
                if b in (0x0d, 0x0a):
                    if line:
                        conn.sendall(b"you typed: " + line + b"\r\n")
                    line = b""
                else:
                    line += bytes([b])
        except BlockingIOError:
            pass
        try:
            if now < flood_until:
                n += 1
                conn.sendall(b"flood line %d ................................................\r\n" % n)
                continue
            if now >= next_tick:
                n += 1
                conn.sendall(b"tick %d\r\n" % n)
                next_tick = now + 0.5
        except BlockingIOError:
            pass
        time.sleep(0.02)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--received", required=True)
    p.add_argument("--mode", choices=("tick", "flood"), default="tick")
    p.add_argument("--seconds", type=float, default=10)
    args = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", args.port))
    s.listen(1)
    while True:
        conn, _ = s.accept()
        try:
            serve(conn, args)
        except OSError:
            pass
        conn.close()


if __name__ == "__main__":
    main()
