"""dist/bash-completion/mintctl in a plain bash (label unit), against the
built mintctl and a host tree: lab-q35's capture (tests/fixtures/hosts;
disks sda..sdd, NICs eth0/eth1) copied to a temp dir with a
/sys/kernel/mint holding node1 and node2, given as --root. Checks the
commands and vm commands, each command's options against its --help (and
which of them take a value), node names, --disk/--nic/--pci against what
`mintctl topology --json` lists (read here with Python's json), the JSON
reader on another layout of the same JSON, and --root=DIR. MINTCTL and
MINT_COMPLETION come from tests/unit/dist/CMakeLists.txt."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import mintctl_help

MINTCTL = os.path.abspath(os.environ.get("MINTCTL", "mintctl"))
COMPLETION = os.path.abspath(os.environ.get("MINT_COMPLETION",
                                            "../../../dist/bash-completion/mintctl"))
FIXTURES = os.path.abspath(os.environ.get("MINT_FIXTURES_DIR", "../../fixtures/hosts"))

# Completes LINE (the text before the cursor) as bash would call _mintctl
# (COMP_LINE, COMP_POINT, COMP_WORDS, COMP_CWORD), and prints COMPREPLY.
DRIVER = r'''
source "$1" || exit 99
complete -p mintctl >/dev/null || exit 98
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<<"$COMP_LINE"
[[ "$COMP_LINE" == *[[:space:]] ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_mintctl mintctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''


class CompletionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mint-completion-")
        cls.root = os.path.join(cls.tmp, "host")
        shutil.copytree(os.path.join(FIXTURES, "lab-q35"), cls.root, symlinks=True)
        mint = os.path.join(cls.root, "sys/kernel/mint")
        # The files topology reads (docs/abi.md), as tests/unit/cli writes them.
        files = {"abi_version": "3\n", "pool": "0x100000000 0x80000000\n",
                 "pool_total": "2147483648\n", "pool_free": "1610612736\n"}
        for node_id, name, cpu in ((1, "node1", 5), (2, "node2", 3)):
            n = "nodes/%d/" % node_id
            files.update({n + "name": name + "\n", n + "state": "running\n",
                          n + "cpus": "%d\n" % cpu, n + "apic_ids": "%d\n" % cpu,
                          n + "memory": "0x%x 0x10000000\n" % (0x100000000 + node_id * 0x10000000),
                          n + "devices": "", n + "heartbeat": "42\n", n + "reason": "\n",
                          n + "agent": "ready\n"})
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(mint, rel)), exist_ok=True)
            with open(os.path.join(mint, rel), "w") as f:
                f.write(text)
        cls.cli = mintctl_help.Cli(MINTCTL)
        r = subprocess.run([MINTCTL, "--root", cls.root, "--json", "topology"],
                           stdout=subprocess.PIPE, text=True, check=True)
        cls.topology = json.loads(r.stdout)
        # mintctl on PATH, as for an operator; the line's first word is run.
        cls.bin = os.path.join(cls.tmp, "bin")
        os.makedirs(cls.bin)
        os.symlink(MINTCTL, os.path.join(cls.bin, "mintctl"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def complete(self, line, path=None, breaks=None):
        env = dict(os.environ, PATH=(path or self.bin) + ":" + os.environ.get("PATH", ""),
                   HOME=self.tmp)
        script = DRIVER if breaks is None else "COMP_WORDBREAKS=%s\n%s" % (breaks, DRIVER)
        r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", COMPLETION,
                            line], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=env, cwd=self.tmp, timeout=60)
        self.assertEqual((r.returncode, r.stderr), (0, ""), "completing %r" % line)
        return sorted(w for w in r.stdout.split("\n") if w)

    def with_root(self, line):
        return self.complete("mintctl --root %s %s" % (self.root, line))

    def test_commands(self):
        top = sorted({c.split()[0] for c in self.cli.commands})
        self.assertEqual(self.complete("mintctl "), top)
        self.assertEqual(self.complete("mintctl st"), ["status", "stop"])
        self.assertEqual(self.complete("mintctl --json re"), ["recover", "relay", "restart"])

    def test_vm_commands(self):
        vm = sorted(c.split()[1] for c in self.cli.commands if c.startswith("vm "))
        self.assertEqual(self.complete("mintctl vm "), vm)
        self.assertEqual(self.complete("mintctl vm e"), ["exec"])

    def test_each_commands_options_are_its_help(self):
        globals_ = mintctl_help.names(self.cli.globals)
        for command, options in sorted(self.cli.commands.items()):
            with self.subTest(command=command):
                want = sorted(globals_ | mintctl_help.names(options))
                self.assertEqual(self.complete("mintctl %s -" % command), want)

    def test_options_with_values_are_known_as_such(self):
        # An option whose value the completion took for a positional word
        # (or the reverse) would shift the NODE it completes.
        for command, options in sorted(self.cli.commands.items()):
            for option in options:
                for name in sorted(option.names):
                    with self.subTest(command=command, option=name):
                        line = "mintctl --root %s %s %s " % (self.root, command, name)
                        if command in ("stop", "kill", "console", "ping", "exec", "restart"):
                            got = self.complete(line)
                            nodes = ["node1", "node2"]
                            if option.valued:
                                self.assertNotEqual(got, nodes, "%s takes a value" % name)
                            else:
                                self.assertEqual(got, nodes, "%s takes no value" % name)
        for option in self.cli.globals:
            for name in option.names:
                got = self.complete("mintctl --root %s %s " % (self.root, name))
                if option.valued:
                    self.assertNotIn("status", got, "%s takes a value" % name)
                else:
                    self.assertIn("status", got, "%s takes no value" % name)

    def test_node_names_under_root(self):
        for command in ("stop", "kill", "restart", "destroy", "console", "exec", "ping"):
            with self.subTest(command=command):
                self.assertEqual(self.with_root(command + " "), ["node1", "node2"])
        self.assertEqual(self.with_root("stop --force n"), ["node1", "node2"])
        self.assertEqual(self.with_root("stop node1 "), [])  # one NODE only
        self.assertEqual(self.complete("mintctl --root=%s kill node2" % self.root), ["node2"])
        self.assertEqual(self.with_root("vm stop "), ["node0", "node1", "node2"])
        self.assertEqual(self.with_root("vm list "), ["node0", "node1", "node2"])
        self.assertEqual(self.with_root("exec node1 "), ["--"])
        self.assertEqual(self.with_root("exec node1 -- ls "), [])  # the node's command

    def test_node_names_of_this_host(self):
        if os.path.exists("/sys/kernel/mint"):
            self.skipTest("this host has mint; its nodes are not known here")
        self.assertEqual(self.complete("mintctl stop "), [])

    def test_disks_nics_and_pci_functions_from_topology(self):
        disks = sorted(d["name"] for d in self.topology["disks"])
        nics = sorted(n["name"] for n in self.topology["nics"])
        bdfs = sorted(p["bdf"] for p in self.topology["pci"])
        self.assertEqual(disks, ["sda", "sdb", "sdc", "sdd"])  # the fixture's (README.md)
        self.assertIn("eth1", nics)
        self.assertEqual(self.with_root("boot node1 --disk "), disks)
        self.assertEqual(self.with_root("boot node1 --disk sdb --disk sd"), disks)
        self.assertEqual(self.with_root("plan --nic "), nics)
        self.assertEqual(self.with_root("boot --pci "), bdfs)
        # bash splits 0000:00:03.0 at ':'; the reply is what follows its last ':'.
        self.assertEqual(self.with_root("boot --pci 0000:00:0"),
                         sorted(b[len("0000:00:"):] for b in bdfs if b.startswith("0000:00:0")))
        self.assertEqual(self.complete("mintctl --root %s boot --pci 0000:00:0" % self.root,
                                       breaks="' '"),
                         sorted(b for b in bdfs if b.startswith("0000:00:0")))
        # vm start --disk is a file in the node: nothing of node0's.
        self.assertEqual(self.with_root("vm start node1 web --disk "), [])

    def test_the_json_reader_takes_any_layout(self):
        # A mintctl that prints the same topology on one line, keys in another order.
        fake = os.path.join(self.tmp, "compact")
        os.makedirs(fake, exist_ok=True)
        with open(os.path.join(fake, "topology.json"), "w") as f:
            doc = dict(reversed(list(self.topology.items())))
            json.dump(doc, f, separators=(",", ":"))
        with open(os.path.join(fake, "mintctl"), "w") as f:
            f.write("#!/bin/sh\ncat %s/topology.json\n" % fake)
        os.chmod(os.path.join(fake, "mintctl"), 0o755)
        self.assertEqual(self.complete("mintctl boot --disk ", path=fake),
                         sorted(d["name"] for d in self.topology["disks"]))
        self.assertEqual(self.complete("mintctl boot --nic ", path=fake),
                         sorted(n["name"] for n in self.topology["nics"]))

    def test_values(self):
        self.assertEqual(self.complete("mintctl boot node1 --on-crash "), ["restart", "stop"])
        os.makedirs(os.path.join(self.tmp, "confs"), exist_ok=True)
        open(os.path.join(self.tmp, "confs", "node1.yaml"), "w").close()
        self.assertEqual(self.complete("mintctl plan -f confs/n"), ["confs/node1.yaml"])
        self.assertEqual(self.complete("mintctl --root ho"), ["host"])
        self.assertEqual(self.complete("mintctl --root=ho"), ["host"])
        self.assertEqual(self.complete("mintctl --lock-wait "), [])


if __name__ == "__main__":
    unittest.main()
