#!/usr/bin/python3
"""Differential test: the same command sequences against a real redis-server
(7.0.15, Debian's) and swarmlog, replies compared byte for byte.

Run under tests/lib/with-server --reference, which starts both on loopback
with temp dirs and exports SWARMLOG_PORT and REDIS_PORT:

    tests/lib/with-server --reference /usr/bin/python3 tests/compat/differential.py
    tests/lib/with-server --reference --arg --requirepass --arg secret \\
        /usr/bin/python3 tests/compat/differential.py --auth secret

Options: --case SUBSTRING (only matching cases), --list, --proto 2|3,
--verbose (print every transcript).

Every case runs on a fresh connection, once in RESP2 and once in RESP3
(after HELLO 3), unless it fixes its protocol. A step sends one command
(a list of arguments, RESP-encoded) or raw bytes, and reads a given number
of complete replies (framed exactly, RESP2 and RESP3 types). A step that
expects the server to close the connection records whether it did.

Masked fields — the only differences allowed (each is replaced by a <TAG>
before comparing):
  * connection ids (CLIENT ID, the id in HELLO and CLIENT INFO)      <ID>
  * HELLO's "server" and "version" values                            <SERVER> <VERSION>
  * TIME's seconds and microseconds                                  <SECS> <USECS>
  * CONFIG GET values that differ by construction: port, dir         <PORT> <DIR>
  * COMMAND COUNT                                                    <COUNT>
  * CLIENT INFO: addresses, fd, ages, buffer and memory sizes, events
    (kept: field names and order, name, db, flags, sub/psub/ssub, multi,
    cmd, user, redir, resp); lib-name/lib-ver (Redis 7.2 fields) dropped
  * COMMAND INFO: only name, arity, first key, last key and step are
    compared (flags, ACL categories, tips and key specs are not)
Not compared at all: INFO (field sets differ by design: no RDB/AOF/
replication-of-keys sections), COMMAND DOCS (covered by redis-cli's hints),
CLIENT SETINFO (Redis 7.2; 7.0.15 does not know it), CLIENT HELP texts.
"""
import argparse
import difflib
import os
import re
import socket
import sys
import time

TIMEOUT = 5.0


# ---------------------------------------------------------------- RESP

def encode(args):
    """A RESP multibulk request from a list of str/bytes arguments."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode("utf-8", "surrogateescape")
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Malformed(Exception):
    pass


def _line(buf, pos):
    end = buf.find(b"\r\n", pos)
    return (None, None) if end < 0 else (buf[pos:end], end + 2)


def frame(buf, pos=0, depth=0):
    """End offset of the complete reply starting at pos, or None if more
    bytes are needed. Raises Malformed on bytes that are no RESP reply."""
    if depth > 64:
        raise Malformed("nesting too deep")
    if pos >= len(buf):
        return None
    t = buf[pos:pos + 1]
    line, end = _line(buf, pos + 1)
    if line is None:
        return None
    if t in b"+-:_,#(":
        return end
    try:
        n = int(line)
    except ValueError:
        raise Malformed("bad length %r" % line)
    if t in b"$!=":
        if n < 0:
            return end
        if len(buf) < end + n + 2:
            return None
        if buf[end + n:end + n + 2] != b"\r\n":
            raise Malformed("bulk not terminated by CRLF")
        return end + n + 2
    if t in b"*~>%|":
        if n < 0:
            return end
        count = n * 2 if t in b"%|" else n
        if t == b"|":
            count += 1  # an attribute precedes the reply it annotates
        for _ in range(count):
            end = frame(buf, end, depth + 1)
            if end is None:
                return None
        return end
    raise Malformed("unknown type byte %r" % t)


def parse(buf, pos=0):
    """(value, end): bulk/simple strings as bytes, integers as int, errors
    as ('err', bytes), aggregates as (type, [items]). For masking only."""
    t = buf[pos:pos + 1]
    line, end = _line(buf, pos + 1)
    if t in b"+,#(_":
        return line, end
    if t == b"-":
        return ("err", line), end
    if t == b":":
        return int(line), end
    n = int(line)
    if t in b"$!=":
        return (None, end) if n < 0 else (buf[end:end + n], end + n + 2)
    if n < 0:
        return (t, None), end
    count = n * 2 if t in b"%|" else n
    items = []
    for _ in range(count):
        v, end = parse(buf, end)
        items.append(v)
    return (t, items), end


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.closed = False

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            return "<send failed: %s>" % e.__class__.__name__
        return None

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            return False
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.buf += chunk
        return True

    def reply(self):
        """One exact reply as bytes, or a <marker> string."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                end = frame(self.buf)
            except Malformed as e:
                return "<malformed: %s: %r>" % (e, self.buf[:200])
            if end is not None:
                out, self.buf = self.buf[:end], self.buf[end:]
                return out
            if self.closed:
                return "<closed>" + (" after %r" % self.buf if self.buf else "")
            if not self._fill(deadline):
                if self.closed:
                    continue
                return "<timeout>" + (" with %r" % self.buf if self.buf else "")

    def wait_closed(self):
        deadline = time.monotonic() + TIMEOUT
        while not self.closed:
            if not self._fill(deadline) and not self.closed:
                return "<still open>" + (" extra %r" % self.buf if self.buf else "")
        return "<closed>" + (" extra %r" % self.buf if self.buf else "")

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- masks

def sub(pattern, repl, data):
    return re.sub(pattern, repl, data, flags=re.S)


def mask_hello(b):
    b = sub(rb"(\$6\r\nserver\r\n)\$\d+\r\n[^\r]*\r\n", rb"\1<SERVER>", b)
    b = sub(rb"(\$7\r\nversion\r\n)\$\d+\r\n[^\r]*\r\n", rb"\1<VERSION>", b)
    b = sub(rb"(\$2\r\nid\r\n):\d+\r\n", rb"\1<ID>", b)
    return b


def mask_id(b):
    return sub(rb"^:\d+\r\n$", b"<ID>", b)


def mask_time(b):
    return sub(rb"^(\*2\r\n)\$\d+\r\n\d+\r\n\$\d+\r\n\d+\r\n$", rb"\1<SECS><USECS>", b)


def mask_count(b):
    return sub(rb"^:\d+\r\n$", b"<COUNT>", b)


def mask_config(b):
    # CONFIG GET port / dir: name kept, value masked (RESP2 array or RESP3 map).
    b = sub(rb"(\$4\r\n[Pp][Oo][Rr][Tt]\r\n)\$\d+\r\n\d+\r\n", rb"\1<PORT>", b)
    b = sub(rb"(\$3\r\ndir\r\n)\$\d+\r\n[^\r]*\r\n", rb"\1<DIR>", b)
    return b


CLIENT_KEEP = {b"name", b"db", b"flags", b"sub", b"psub", b"ssub", b"multi", b"cmd",
               b"user", b"redir", b"resp"}
CLIENT_DROP = {b"lib-name", b"lib-ver"}


def mask_client_line(line):
    if not line:
        return line
    fields = []
    for kv in line.split(b" "):
        k, _, v = kv.partition(b"=")
        if k in CLIENT_DROP:
            continue
        fields.append(k + b"=" + (v if k in CLIENT_KEEP else b"*"))
    return b" ".join(fields)


def mask_clientinfo(b):
    # A bulk (RESP2 $ / RESP3 = verbatim "txt:") of lines "k=v k=v ...\n".
    m = re.match(rb"^([$=])(\d+)\r\n(.*)\r\n$", b, re.S)
    if not m:
        return b
    body = m.group(3)
    prefix = b""
    if m.group(1) == b"=":
        prefix, body = body[:4], body[4:]
    lines = [mask_client_line(l) for l in body.split(b"\n")]
    return b"<CLIENTINFO " + m.group(1) + prefix + b"\n".join(lines) + b">"


def mask_cmdinfo(b):
    """COMMAND INFO: per entry only name, arity, first, last, step."""
    try:
        val, end = parse(b)
    except Exception:
        return b
    if end != len(b) or not isinstance(val, tuple) or val[1] is None:
        return b
    out = []
    for e in val[1]:
        if isinstance(e, tuple) and e[1] is not None and len(e[1]) >= 6:
            name, arity, _flags, first, last, step = e[1][:6]
            out.append(repr([name, arity, first, last, step]).encode())
        else:
            out.append(repr(e).encode())
    return b"<COMMANDINFO " + b" | ".join(out) + b">"


MASKS = {
    "hello": mask_hello, "id": mask_id, "time": mask_time, "count": mask_count,
    "config": mask_config, "clientinfo": mask_clientinfo, "cmdinfo": mask_cmdinfo,
}


# ---------------------------------------------------------------- cases

class Step:
    """send: list of args or raw bytes; replies: how many to read;
    close: expect the server to close after the replies; mask: name."""

    def __init__(self, send, replies=1, close=False, mask=None):
        self.send, self.replies, self.close, self.mask = send, replies, close, mask

    def label(self):
        if isinstance(self.send, bytes):
            s = "raw " + repr(self.send)
        else:
            s = " ".join(a if isinstance(a, str) else repr(a) for a in self.send)
        return s if len(s) <= 100 else s[:97] + "..."

    def data(self):
        return self.send if isinstance(self.send, bytes) else encode(self.send)


def S(*args, **kw):
    return Step(list(args), **kw)


def R(raw, replies=1, **kw):
    return Step(raw, replies=replies, **kw)


LONG = "x" * 200

CASES = [
    # name, steps, protos (None: both)
    ("ping", [S("PING"), S("ping"), S("PING", "hello"), S("PING", ""), S("PING", "a", "b"),
              S("PiNg", "x y")], None),
    ("echo", [S("ECHO", "hi"), S("ECHO", ""), S("ECHO"), S("ECHO", "a", "b"),
              S("ECHO", b"\x00\xff\r\n"), S("echo", "x" * 1000)], None),
    ("unknown command", [S("FOO"), S("FOO", "a", "b", "c"), S("foo", "a b"), S(""),
                         S("FOO", LONG, LONG), S("X" * 300), S("FOO", "a\r\nb"),
                         S("a\r\nb", "c"), S("FOO", "it's")], None),
    ("arity", [S("SELECT"), S("SELECT", "0", "1"), S("AUTH"), S("ECHO"), S("DBSIZE", "x"),
               S("TIME", "x"), S("RESET", "x"), S("CLIENT"), S("CLIENT", "ID", "x"),
               S("CLIENT", "GETNAME", "x"), S("CLIENT", "SETNAME"),
               S("CLIENT", "SETNAME", "a", "b"), S("CLIENT", "INFO", "x"), S("CLIENT", "KILL"),
               S("COMMAND", "COUNT", "x"), S("CONFIG"), S("CONFIG", "GET"),
               S("CONFIG", "SET", "timeout"), S("CONFIG", "RESETSTAT", "x"), S("PING", "a", "b"),
               S("HELLO", "3", "AUTH", "x"), S("HELLO", "3", "SETNAME")], None),
    ("select", [S("SELECT", "0"), S("SELECT", "16"), S("SELECT", "-1"), S("SELECT", "x"),
                S("SELECT", "1.5"), S("SELECT", ""), S("SELECT", "99999999999999999999"),
                S("SELECT", " 0"), S("SELECT", "00"), S("DBSIZE")], None),
    ("auth without password", [S("AUTH", "x"), S("AUTH", "default", "x"), S("AUTH", "a", "b", "c"),
                               S("AUTH", "nobody", "x"), S("PING")], None),
    ("hello", [S("HELLO", mask="hello"), S("HELLO", "2", mask="hello"),
               S("HELLO", "3", mask="hello"), S("HELLO", "2", mask="hello"),
               S("HELLO", "4"), S("HELLO", "1"), S("HELLO", "0"), S("HELLO", "-1"),
               S("HELLO", "x"), S("HELLO", "3.0"), S("HELLO", "3", "FOO"),
               S("HELLO", "2", "AUTH", "default"), S("HELLO", "3", "SETNAME", "a b"),
               S("HELLO", "3", "SETNAME", "hn", mask="hello"), S("CLIENT", "GETNAME"),
               S("HELLO", "2", "AUTH", "default", "anything", mask="hello"),
               S("HELLO", "2", "AUTH", "nobody", "x"),
               S("HELLO", "setname", "x"), S("CLIENT", "GETNAME")], 2),
    ("hello resp3", [S("HELLO", "3", mask="hello"), S("CLIENT", "GETNAME"), S("PING"),
                     S("HELLO", "3", "SETNAME", "n3", mask="hello"), S("CLIENT", "GETNAME"),
                     S("HELLO", mask="hello"), S("HELLO", "2", mask="hello"),
                     S("CLIENT", "GETNAME")], 2),
    ("client name", [S("CLIENT", "GETNAME"), S("CLIENT", "SETNAME", "alpha"),
                     S("CLIENT", "GETNAME"), S("CLIENT", "SETNAME", "a b"),
                     S("CLIENT", "SETNAME", "a\nb"), S("CLIENT", "SETNAME", "caf\xe9"),
                     S("CLIENT", "SETNAME", "~!@#$%^&*()"), S("CLIENT", "GETNAME"),
                     S("CLIENT", "SETNAME", ""), S("CLIENT", "GETNAME"),
                     S("client", "setname", "lower"), S("CLIENT", "getname")], None),
    ("client id and info", [S("CLIENT", "ID", mask="id"), S("CLIENT", "SETNAME", "inf"),
                            S("CLIENT", "INFO", mask="clientinfo")], None),
    ("client errors", [S("CLIENT", "FOO"), S("CLIENT", "foo", "bar"),
                       S("CLIENT", "KILL", "ID", "999999"), S("CLIENT", "KILL", "ID", "x"),
                       S("CLIENT", "KILL", "ID", "0"), S("CLIENT", "KILL", "1.2.3.4:5"),
                       S("CLIENT", "KILL", "foo", "bar"), S("CLIENT", "KILL", "ADDR", "1.2.3.4:5"),
                       S("CLIENT", "KILL", "ID", "999999", "SKIPME", "yes"),
                       S("CLIENT", "KILL", "ID", "999999", "SKIPME", "maybe"),
                       S("CLIENT", "LIST", "TYPE", "foo"), S("CLIENT", "LIST", "ID", "abc"),
                       S("CLIENT", "LIST", "ID", "999999")], None),
    ("client kill filters", [S("CLIENT", "KILL", "TYPE", "pubsub"), S("CLIENT", "KILL", "TYPE", "foo"),
                             S("CLIENT", "KILL", "USER", "nosuch"),
                             S("CLIENT", "KILL", "LADDR", "1.2.3.4:1"),
                             S("CLIENT", "KILL", "ID", "99999", "ID", "5"),
                             S("CLIENT", "KILL", "ID"), S("CLIENT", "KILL", "SKIPME"),
                             S("PING")], None),
    ("config get", [S("CONFIG", "GET", "port", mask="config"), S("CONFIG", "GET", "dir", mask="config"),
                    S("CONFIG", "GET", "bind"), S("CONFIG", "GET", "maxclients"),
                    S("CONFIG", "GET", "timeout"), S("CONFIG", "GET", "proto-max-bulk-len"),
                    S("CONFIG", "GET", "client-query-buffer-limit"),
                    S("CONFIG", "GET", "loglevel"), S("CONFIG", "GET", "logfile"),
                    S("CONFIG", "GET", "requirepass"), S("CONFIG", "GET", "PORT", mask="config"),
                    S("CONFIG", "GET", "nosuchoption"), S("CONFIG", "GET", "nosuch*")], None),
    ("config set", [S("CONFIG", "SET", "timeout", "100"), S("CONFIG", "GET", "timeout"),
                    S("CONFIG", "SET", "TIMEOUT", "0"), S("CONFIG", "GET", "timeout"),
                    S("CONFIG", "SET", "timeout", "abc"), S("CONFIG", "SET", "timeout", "-1"),
                    S("CONFIG", "SET", "maxclients", "0"), S("CONFIG", "SET", "maxclients", "abc"),
                    S("CONFIG", "SET", "loglevel", "loud"), S("CONFIG", "SET", "loglevel", "WARNING"),
                    S("CONFIG", "GET", "loglevel"), S("CONFIG", "SET", "loglevel", "notice"),
                    S("CONFIG", "SET", "proto-max-bulk-len", "1k"),
                    S("CONFIG", "SET", "proto-max-bulk-len", "2mb"),
                    S("CONFIG", "GET", "proto-max-bulk-len"),
                    S("CONFIG", "SET", "proto-max-bulk-len", "512mb"),
                    S("CONFIG", "SET", "client-query-buffer-limit", "lots"),
                    S("CONFIG", "SET", "nosuch", "1"), S("CONFIG", "SET", "timeout", "1", "timeout", "2"),
                    S("CONFIG", "SET", "timeout", "1", "maxclients"),
                    S("CONFIG", "SET", "timeout", "5", "maxclients", "100"),
                    S("CONFIG", "GET", "timeout"), S("CONFIG", "GET", "maxclients"),
                    S("CONFIG", "SET", "timeout", "0", "maxclients", "10000"),
                    S("CONFIG", "SET", "timeout", "7", "nosuch", "1"), S("CONFIG", "GET", "timeout"),
                    S("CONFIG", "RESETSTAT"), S("CONFIG", "FOO"), S("config", "get", "timeout")], None),
    ("config requirepass at run time", [S("CONFIG", "SET", "requirepass", "rt"),
                                        S("PING"), S("CONFIG", "GET", "requirepass"),
                                        S("CONFIG", "SET", "requirepass", ""), S("PING")], None),
    ("dbsize time", [S("DBSIZE"), S("TIME", mask="time"), S("dbsize")], None),
    ("command", [S("COMMAND", "COUNT", mask="count"),
                 S("COMMAND", "INFO", "ping", "echo", "hello", "auth", "select", "quit", "reset",
                   "client", "command", "info", "config", "dbsize", "time", "shutdown",
                   mask="cmdinfo"),
                 S("COMMAND", "INFO", "nosuch"), S("COMMAND", "INFO", "PING", mask="cmdinfo"),
                 S("COMMAND", "DOCS", "nosuch"), S("COMMAND", "FOO")], None),
    ("quit", [S("PING"), S("QUIT", close=True)], None),
    ("quit with args", [S("QUIT", "now", close=True)], None),
    ("reset", [S("CLIENT", "SETNAME", "before"), S("SELECT", "0"), S("HELLO", "3", mask="hello"),
               S("RESET"), S("CLIENT", "GETNAME"), S("PING"), S("reset")], 2),
    ("inline", [R(b"PING\r\n"), R(b"ping\n"), R(b"ECHO hello\r\n"), R(b'ECHO "a b"\r\n'),
                R(b"ECHO 'a b'\r\n"), R(b'ECHO "\\x41\\n\\t"\r\n'), R(b"ECHO 'it\\'s'\r\n"),
                R(b'ECHO ""\r\n'), R(b"   \r\n", replies=0), R(b"\r\n", replies=0),
                R(b"\n", replies=0), R(b"  PING   \r\n"), R(b"PING\tx\r\n"),
                R(b"foo bar\r\n"), R(b"ECHO a\r\nECHO b\r\nPING\r\n", replies=3),
                R(b"CLIENT SETNAME inl\r\n"), R(b"CLIENT GETNAME\n"),
                R(b"$4\r\n"), R(b"*1\r\n$4\r\nPING\r\nPING\r\n", replies=2)], None),
    ("inline unbalanced quotes", [R(b'ECHO "abc\r\n', close=True)], None),
    ("inline quote not followed by space", [R(b'ECHO "a"b\r\n', close=True)], None),
    ("inline too big", [R(b"a" * 70000, close=True)], None),
    ("empty multibulk", [R(b"*0\r\n", replies=0), R(b"*-1\r\n", replies=0), S("PING")], None),
    ("pipelined", [R(encode(["PING"]) + encode(["ECHO", "x"]) + encode(["DBSIZE"]), replies=3)],
     None),
    ("proto error: 4G bulk", [R(b"*1\r\n$4294967296\r\n", close=True)], None),
    ("proto error: negative bulk", [R(b"*1\r\n$-1\r\n", close=True)], None),
    ("proto error: bulk not a number", [R(b"*1\r\n$abc\r\n", close=True)], None),
    ("proto error: multibulk not a number", [R(b"*abc\r\n", close=True)], None),
    ("proto error: multibulk too long", [R(b"*3000000000\r\n", close=True)], None),
    ("proto error: expected $", [R(b"*2\r\nxx\r\n", close=True)], None),
    ("proto error: after good commands",
     [R(encode(["PING"]) + b"*1\r\n$x\r\n", replies=2, close=True)], None),
    # Last: a server that wrongly shuts down here fails only what follows.
    ("shutdown errors", [S("SHUTDOWN", "foo"), S("SHUTDOWN", "NOSAVE", "SAVE"),
                         S("SHUTDOWN", "ABORT"), S("PING")], None),
]

AUTH_CASES = [
    ("noauth", [S("PING"), S("ECHO", "x"), S("CLIENT", "ID"), S("CONFIG", "GET", "port"),
                S("SELECT", "0"), S("FOO"), S("HELLO", "2"), S("HELLO", "3"),
                S("HELLO", "3", "AUTH", "default", "wrong"), S("HELLO", "3", "AUTH", "x"),
                S("AUTH", "wrong"), S("AUTH", "default", "wrong"), S("AUTH", "nobody", "x"),
                S("AUTH", "a", "b", "c"), S("AUTH"), S("PING")], 2),
    ("auth then commands", "AUTH_OK", 2),
    ("auth with user", [S("AUTH", "default", "@PW@"), S("PING"), S("RESET"), S("PING")], 2),
    ("hello auth", [S("HELLO", "3", "AUTH", "default", "@PW@", mask="hello"), S("PING"),
                    S("CLIENT", "GETNAME")], 2),
    ("hello auth setname", [S("HELLO", "2", "AUTH", "default", "@PW@", "SETNAME", "hs", mask="hello"),
                            S("CLIENT", "GETNAME")], 2),
    ("quit without auth", [S("QUIT", close=True)], 2),
    ("reset without auth", [S("RESET"), S("PING")], 2),
    ("unauthenticated multibulk length", [R(b"*11\r\n", close=True)], 2),
    ("unauthenticated bulk length", [R(b"*1\r\n$20000\r\n", close=True)], 2),
    ("unauthenticated small command", [R(b"*10\r\n$4\r\nPING\r\n" + b"$1\r\na\r\n" * 9)], 2),
    ("inline without auth", [R(b"PING\r\n"), R(b"AUTH @PW@\r\n"), R(b"PING\r\n")], 2),
]


def expand_auth_cases(password):
    out = []
    for name, steps, protos in AUTH_CASES:
        if steps == "AUTH_OK":
            steps = [S("AUTH", "@PW@"), S("PING"), S("ECHO", "x"), S("CLIENT", "SETNAME", "au"),
                     S("CLIENT", "GETNAME"), S("AUTH", "@PW@"), S("AUTH", "wrong"), S("PING")]
        fixed = []
        for st in steps:
            if isinstance(st.send, bytes):
                send = st.send.replace(b"@PW@", password.encode())
            else:
                send = [a.replace("@PW@", password) if isinstance(a, str) else a for a in st.send]
            fixed.append(Step(send, st.replies, st.close, st.mask))
        out.append((name, fixed, protos))
    return out


# ---------------------------------------------------------------- running

def show(reply):
    if isinstance(reply, str):
        return reply
    return repr(reply)[2:-1]


def run_case(port, steps, proto, setup=None, setup_label="(setup)", label=Step.label, shown=None):
    """The transcript of one case on a fresh connection: a list of lines.

    setup, when given, is a Step sent first and labelled setup_label; its
    integer reply depends on what ran before, so it is not compared.
    label(step) and shown(reply) format the transcript lines."""
    shown = shown or show
    c = Conn(port)
    lines = []
    try:
        if proto == 3:
            c.send(encode(["HELLO", "3"]))
            lines.append(">>> (setup) HELLO 3")
            r = c.reply()
            lines.append("<<< " + shown(mask_hello(r) if isinstance(r, bytes) else r))
        for st in ([setup] if setup else []) + list(steps):
            lines.append(">>> " + (setup_label if st is setup else label(st)))
            if hasattr(st, "run"):  # a step that talks to the server itself
                lines.append("<<< " + st.run(c))
                continue
            err = c.send(st.data())
            if err:
                lines.append("<<< " + err)
                break
            for _ in range(st.replies):
                r = c.reply()
                if isinstance(r, bytes) and st.mask:
                    r = MASKS[st.mask](r)
                if st is setup and isinstance(r, bytes) and r.startswith(b":"):
                    r = "<an integer>"
                lines.append("<<< " + shown(r))
                if isinstance(r, str):
                    break
            if st.close:
                lines.append("<<< " + c.wait_closed())
            if c.closed and not st.close:
                lines.append("<<< <closed>")
                break
    finally:
        c.close()
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--auth", metavar="PASSWORD", help="run the cases for a server with requirepass")
    ap.add_argument("--case", help="only cases whose name contains this")
    ap.add_argument("--proto", type=int, choices=(2, 3))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    cases = expand_auth_cases(args.auth) if args.auth else CASES
    if args.case:
        cases = [c for c in cases if args.case in c[0]]
    if args.list:
        for name, steps, protos in cases:
            print("%-40s %d steps, RESP%s" % (name, len(steps), protos or "2+3"))
        return 0

    try:
        sw_port = int(os.environ["SWARMLOG_PORT"])
        ref_port = int(os.environ["REDIS_PORT"])
    except KeyError:
        print("SWARMLOG_PORT and REDIS_PORT must be set: run under "
              "tests/lib/with-server --reference", file=sys.stderr)
        return 2

    passed = failed = 0
    for name, steps, protos in cases:
        for proto in ([protos] if protos else [2, 3]):
            if args.proto and proto != args.proto:
                continue
            label = "%s [RESP%d]" % (name, proto)
            ref = run_case(ref_port, steps, proto)
            got = run_case(sw_port, steps, proto)
            if ref == got:
                passed += 1
                print("ok   " + label)
                if args.verbose:
                    print("\n".join("     " + l for l in ref))
            else:
                failed += 1
                print("FAIL " + label)
                diff = difflib.unified_diff(ref, got, "redis-server", "swarmlog", lineterm="", n=2)
                print("\n".join("     " + l for l in diff))
    print("differential: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
