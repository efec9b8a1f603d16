"""A tiny aiosmtpd handler for the mail tests: stores each message as a file and refuses
recipients whose address starts with "reject" (550), like a relay refusing an unknown user."""
import os
import time


class Sink:
    @classmethod
    def from_cli(cls, parser, *args):
        # aiosmtpd passes the command line's class arguments here.
        return cls(*args)

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        path = os.path.join(self.directory, "%d.eml" % time.time_ns())
        with open(path, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"
