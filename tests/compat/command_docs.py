#!/usr/bin/python3
"""Every command the server knows is documented, both ways:

- COMMAND DOCS has a summary, since, group and well-formed arguments for
  every command and subcommand in COMMAND LIST (what redis-cli and
  RedisInsight build their hints from);
- docs/commands.md names every one of them ("CLIENT KILL" for client|kill);
- COMMAND INFO agrees with COMMAND LIST and COMMAND COUNT.

Run: tests/lib/with-server /usr/bin/python3 tests/compat/command_docs.py
"""
import os
import unittest

import redis

PORT = int(os.environ["SWARMLOG_PORT"])
DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "commands.md")
ARG_TYPES = {"string", "integer", "double", "key", "pattern", "unix-time",
             "pure-token", "oneof", "block"}
ARG_FLAGS = {"optional", "multiple", "multiple_token"}


def as_dict(flat):
    """RESP2 maps arrive as flat [k, v, k, v, ...] lists."""
    if isinstance(flat, dict):
        return flat
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


class CommandDocs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = redis.Redis(host="127.0.0.1", port=PORT, decode_responses=True)
        # redis-py parses every COMMAND reply as COMMAND INFO; take them raw.
        cls.r.set_response_callback("COMMAND", lambda response, **kw: response)
        cls.names = cls.r.execute_command("COMMAND", "LIST")
        cls.docs = as_dict(cls.r.execute_command("COMMAND", "DOCS"))
        with open(DOCS, encoding="utf-8") as f:
            cls.reference = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.r.close()

    def all_docs(self):
        """(fullname, docs) for every command and subcommand."""
        for name, raw in self.docs.items():
            doc = as_dict(raw)
            yield name, doc
            for sub, subraw in as_dict(doc.get("subcommands", [])).items():
                yield sub, as_dict(subraw)

    def check_args(self, where, args):
        for raw in args:
            arg = as_dict(raw)
            self.assertIn("name", arg, where)
            self.assertIn(arg["type"], ARG_TYPES, f"{where}: {arg}")
            self.assertTrue(set(arg.get("flags", [])) <= ARG_FLAGS, f"{where}: {arg}")
            if arg["type"] == "pure-token":
                self.assertIn("token", arg, f"{where}: pure-token without token")
            if arg["type"] in ("oneof", "block"):
                self.assertTrue(arg.get("arguments"), f"{where}: {arg['name']} has no subargs")
                self.check_args(f"{where} {arg['name']}", arg["arguments"])

    def test_docs_cover_command_list(self):
        documented = {name for name, _ in self.all_docs()}
        self.assertEqual(set(self.names), documented)

    def test_every_doc_is_complete(self):
        for name, doc in self.all_docs():
            for field in ("summary", "since", "group", "complexity"):
                self.assertTrue(doc.get(field), f"{name} lacks {field}")
            self.check_args(name, doc.get("arguments", []))

    def test_reference_names_every_command(self):
        missing = []
        for name in self.names:
            words = name.upper().replace("|", " ")
            if f"`{words}" not in self.reference:
                missing.append(words)
        self.assertEqual(missing, [], "not in docs/commands.md")

    def test_info_matches_list_and_count(self):
        info = self.r.execute_command("COMMAND", "INFO", *self.names)
        self.assertEqual(len(info), len(self.names))
        self.assertTrue(all(entry is not None for entry in info))
        top = [n for n in self.names if "|" not in n]
        self.assertEqual(self.r.execute_command("COMMAND", "COUNT"), len(top))


if __name__ == "__main__":
    unittest.main(verbosity=2)
