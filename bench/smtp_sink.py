"""A loopback SMTP sink that keeps up with the dispatch benchmark.

    python bench/smtp_sink.py --port P --out counts.json

aiosmtpd, which the tests use, spends about a millisecond of CPU per message: on two cores
it would be the slowest part of the benchmark and hide the rate of what is measured. This sink
speaks just what an SMTP client needs (HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) in one
asyncio protocol, offers PIPELINING as production MTAs do, answers every message with 250 once
its final dot has arrived, and counts messages by their X-Ecoute-Invitation header. It prints
"sink ready" once listening and writes the counts as JSON when it receives SIGTERM, like the
aiosmtpd sink of the tests.
"""

import argparse
import asyncio
import json
import re
import signal
from collections import Counter
from pathlib import Path

HEADER = re.compile(rb"^X-Ecoute-Invitation: *(.+?)\r?$", re.MULTILINE | re.IGNORECASE)
END_OF_DATA = b"\r\n.\r\n"
REPLIES = {
    b"HELO": b"250 sink\r\n",
    b"EHLO": b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
    b"MAIL": b"250 OK\r\n",
    b"RCPT": b"250 OK\r\n",
    b"RSET": b"250 OK\r\n",
    b"NOOP": b"250 OK\r\n",
    b"DATA": b"354 End data with <CR><LF>.<CR><LF>\r\n",
    b"QUIT": b"221 Bye\r\n",
}


class Counts:
    def __init__(self) -> None:
        self.total = 0
        self.by_header: Counter[str] = Counter()

    def record(self, message: bytes) -> None:
        self.total += 1
        head = message.split(b"\r\n\r\n", 1)[0]
        found = HEADER.search(head)
        if found:
            self.by_header[found.group(1).decode()] += 1


class SinkProtocol(asyncio.Protocol):
    def __init__(self, counts: Counts) -> None:
        self.counts = counts
        self.buffer = b""
        self.in_data = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.buffer:
            if self.in_data:
                # The message starts right after DATA's reply, so an empty one is ".\r\n" alone.
                end = (b"\r\n" + self.buffer).find(END_OF_DATA)
                if end < 0:
                    return
                self.counts.record(self.buffer[: max(end - 2, 0)])
                self.buffer = self.buffer[end + 3 :]
                self.in_data = False
                self.transport.write(b"250 OK queued\r\n")
                continue
            line, sep, rest = self.buffer.partition(b"\r\n")
            if not sep:
                return
            self.buffer = rest
            self.command(line[:4].upper())

    def command(self, verb: bytes) -> None:
        self.transport.write(REPLIES.get(verb, b"502 Command not implemented\r\n"))
        if verb == b"DATA":
            self.in_data = True
        elif verb == b"QUIT":
            self.transport.close()


async def serve(port: int, out: Path) -> None:
    loop = asyncio.get_running_loop()
    counts = Counts()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    server = await loop.create_server(lambda: SinkProtocol(counts), "127.0.0.1", port)
    print("sink ready", flush=True)
    await stop.wait()
    server.close()
    out.write_text(json.dumps({"total": counts.total, "counts": counts.by_header}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.out))


if __name__ == "__main__":
    main()
