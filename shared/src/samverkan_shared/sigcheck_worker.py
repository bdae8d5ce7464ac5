"""The signature-check helper process: Ed25519 checks, nothing else.

``python -I -S sigcheck_worker.py <directory holding nacl>``: no site processing and no
``-m`` (runpy), so the interpreter imports what this file imports and no more; the directory
it is given is where PyNaCl is installed (``samverkan_shared.sigcheck`` passes it).

It reads requests on stdin and answers on stdout, one at a time, until stdin closes (the
service stopped, or died: either way the pipe's end is the helper's end).

A request is ``<count:u32><size:u32>`` and ``size`` bytes of ``count`` items, each
``<public key:32><signature:64><length:u32><message>``. The answer is ``count`` bytes, 1 for
a signature that matches, 0 for one that does not.

It imports libsodium and nothing of the service: it is a small process (its RSS counts
towards the service's), and it never sees a key registry or an envelope — which key may sign
what is decided by the service before it asks. libsodium is reached through PyNaCl's cffi
module itself (``nacl._sodium``), the one PyNaCl's own ``crypto_sign_open`` calls: the
public ``nacl.bindings`` imports every primitive PyNaCl wraps, 2.5 MiB more of the helper's
RSS. ``tests/unit/test_sigcheck.py`` runs it, so a PyNaCl that moved it fails there.

A frame whose items do not add up to its size ends the helper (its caller checks inline):
answering it would give verdicts to the wrong items.
"""

from __future__ import annotations

import _signal  # signal.py's enums cost the helper 0.9 MiB; the C module is all it needs
import struct
import sys

TYPE_CHECKING = False  # not from typing: importing it costs the helper a megabyte
if TYPE_CHECKING:
    from typing import BinaryIO

if __name__ == "__main__":  # started with -S: the site directory is not on the path
    sys.path.insert(0, sys.argv[1])

from nacl._sodium import ffi, lib  # noqa: E402  (PyNaCl is found by the line above)

# The frame's layout, here only: the helper cannot import the service's modules, so the
# service (samverkan_shared.sigcheck) imports these from it.
HEADER = struct.Struct("<II")
LENGTH = struct.Struct("<I")
KEY, SIGNATURE = 32, 64


class FrameError(ValueError):
    """A request whose items do not add up to its size."""


def check_all(count: int, body: bytes) -> bytes:
    """The answer to one request: a byte per item, 1 if its signature matches."""
    out = bytearray(count)
    view = memoryview(body)
    at = 0
    for i in range(count):
        signed_from = at + KEY
        message_from = signed_from + SIGNATURE + LENGTH.size
        if message_from > len(body):
            raise FrameError(f"item {i} of {count} runs past the frame's {len(body)} bytes")
        (length,) = LENGTH.unpack_from(view, signed_from + SIGNATURE)
        at = message_from + length
        if at > len(body):
            raise FrameError(f"item {i} of {count} runs past the frame's {len(body)} bytes")
        key = bytes(view[signed_from - KEY : signed_from])
        signed = bytes(view[signed_from : signed_from + SIGNATURE]) + bytes(view[message_from:at])
        out[i] = _opens(signed, key)
    if at != len(body):
        raise FrameError(f"{len(body) - at} bytes left over after {count} items")
    return bytes(out)


def _opens(signed: bytes, key: bytes) -> bool:
    """libsodium's ``crypto_sign_open``: the signature (the first 64 bytes) is the key's over
    the rest. The key is 32 bytes and the signature 64 by the frame's layout."""
    message = ffi.new("unsigned char[]", len(signed))
    length = ffi.new("unsigned long long *")
    return bool(lib.crypto_sign_open(message, length, signed, len(signed), key) == 0)


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
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
    if lib.sodium_init() < 0:
        sys.exit("libsodium could not be initialised")
    serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
