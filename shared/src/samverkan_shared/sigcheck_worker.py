"""The signature-check helper process: Ed25519 checks, nothing else (``python -m`` this).

It reads requests on stdin and answers on stdout, one at a time, until stdin closes (the
service stopped, or died: either way the pipe's end is the helper's end).

A request is ``<count:u32><size:u32>`` and ``size`` bytes of ``count`` items, each
``<public key:32><signature:64><length:u32><message>``. The answer is ``count`` bytes, 1 for
a signature that matches, 0 for one that does not.

It imports libsodium's binding and nothing of the service: it is a small process (its RSS
counts towards the service's), and it never sees a key registry or an envelope — which key
may sign what is decided by the service before it asks.
"""

from __future__ import annotations

import signal
import struct
import sys
from typing import BinaryIO

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

HEADER = struct.Struct("<II")
LENGTH = struct.Struct("<I")
KEY, SIGNATURE = 32, 64


def check_all(count: int, body: bytes) -> bytes:
    """The answer to one request: a byte per item, 1 if its signature matches."""
    out = bytearray(count)
    view = memoryview(body)
    at = 0
    for i in range(count):
        key = bytes(view[at : at + KEY])
        signed_from = at + KEY
        (length,) = LENGTH.unpack_from(view, signed_from + SIGNATURE)
        message_from = signed_from + SIGNATURE + LENGTH.size
        signed = bytes(view[signed_from : signed_from + SIGNATURE]) + bytes(
            view[message_from : message_from + length]
        )
        at = message_from + length
        try:
            crypto_sign_open(signed, key)
        except (BadSignatureError, ValueError):  # ValueError: a key or signature malformed
            continue
        out[i] = 1
    return bytes(out)


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer requests until the input ends."""
    while True:
        header = requests.read(HEADER.size)
        if len(header) < HEADER.size:
            return
        count, size = HEADER.unpack(header)
        body = requests.read(size)
        if len(body) < size:
            return
        answers.write(check_all(count, body))
        answers.flush()


def main() -> None:
    # Ctrl-C in a terminal reaches the whole process group; the service decides when its
    # helper ends (by closing the pipe), so an interrupt is not a traceback here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
