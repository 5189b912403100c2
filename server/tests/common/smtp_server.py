"""A real SMTP server for the tests (aiosmtpd), keeping each message it
accepts in a Maildir, with the envelope recipients in an X-RcptTo header.

    python3 smtp_server.py PORT MAILDIR [--delay SECONDS] [--reject-domain DOMAIN]
                                        [--hang-domain DOMAIN] [--no-pipelining]

--delay holds each message that long before accepting it (a slow server);
--reject-domain refuses recipients at DOMAIN for good (550); --hang-domain
never answers a recipient at DOMAIN (a server that stops talking). Like
most mail servers it offers PIPELINING (RFC 2920) unless --no-pipelining
says otherwise (aiosmtpd reads pipelined commands either way). Prints
"listening" once it accepts connections, then serves until killed.
"""

import argparse
import asyncio
import os

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class TestMailbox(Mailbox):
    def __init__(self, maildir, delay, reject_domain, hang_domain, pipelining):
        super().__init__(maildir)
        self.delay = delay
        self.reject_domain = reject_domain
        self.hang_domain = hang_domain
        self.pipelining = pipelining

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # this hook's duty, aiosmtpd's docs say
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hang_domain and address.lower().endswith("@" + self.hang_domain):
            await asyncio.Event().wait()
        if self.reject_domain and address.lower().endswith("@" + self.reject_domain):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("maildir")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--reject-domain", default=None)
    parser.add_argument("--hang-domain", default=None)
    parser.add_argument("--no-pipelining", action="store_true")
    args = parser.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(args.maildir)), exist_ok=True)
    handler = TestMailbox(args.maildir, args.delay, args.reject_domain, args.hang_domain,
                          not args.no_pipelining)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port)
    controller.start()
    print("listening", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
