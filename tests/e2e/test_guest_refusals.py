"""e2e (issue 10): every way `mintctl vm start` and a nodeconf with guests
are refused, each with the thing and the way out, and nothing started or
left behind. One lab boot: node1 is a plain node (no VMM layer), node2 hosts
guests but its CPUs hide SVM (clearcpuid=svm), and node0 runs a guest on its
own KVM for the in-node checks (duplicate name, too much memory, a missing
image). Last: a node that crashed refuses guests."""

import json
import re

from labmachine import LabTestCase

BIG = """name: node3
cores: 1
memory: 512M
guests:
  - {name: a, memory: 256M}
  - {name: b, memory: 256M}
"""


class GuestRefusalsTest(LabTestCase):

    @classmethod
    def setUpLab(cls):
        cls._node0("mintctl boot node1 --cores 2 --mem 512M", 300)
        cls._node0("mintctl boot node2 --cores 2 --mem 512M --kvm --cmdline clearcpuid=svm", 300)

    def refused(self, command, expected, code=2):
        """Runs a mintctl command that must fail with `code` and exactly
        `expected` on stderr (a regex when it is a compiled pattern)."""
        out = self.run_ok("%s > /tmp/r.out 2> /tmp/r.err; echo \"rc=$?\"; cat /tmp/r.err"
                          % command, 300)
        rc, _, err = out.partition("\n")
        err = err.rstrip("\n")
        self.assertEqual(rc, "rc=%d" % code, out)
        if isinstance(expected, re.Pattern):
            self.assertRegex(err, expected)
        else:
            self.assertEqual(err, expected)

    def no_guests(self, node):
        self.assertEqual(self.run_ok("mintctl vm list %s" % node), "no guests")

    def test_1_a_node_without_the_vmm_layer(self):
        self.refused("mintctl vm start node1 g1",
                     "mintctl: node1: node1 has no VMM: /usr/bin/qemu-system-x86_64 is "
                     "missing; boot the node with guests in its nodeconf or with --kvm, so "
                     "mintctl adds the VMM layer")
        self.no_guests("node1")

    def test_2_a_node_whose_cpus_have_no_svm(self):
        self.assertEqual(self.run_ok("mintctl exec node2 -- sh -c 'grep -c -w svm "
                                     "/proc/cpuinfo; true'"), "0")
        self.refused("mintctl vm start node2 g1",
                     re.compile(r"^mintctl: node2: .*node2's CPUs have neither svm nor vmx "
                                r"\(/proc/cpuinfo\): this node cannot run KVM guests; run the "
                                r"guest on a node whose CPUs do$"))
        self.no_guests("node2")

    def test_3_guests_that_do_not_fit_are_refused_before_boot(self):
        self.run_ok("cat > /tmp/big.yaml <<'EOF'\n%sEOF" % BIG)
        expected = ("mintctl: /tmp/big.yaml:3:9: node3's guests do not fit: 256 MiB for the node itself + "
                    "256 MiB for a + 256 MiB for b + 64 MiB per guest for its VMM = 896 MiB, but "
                    "the node gets 512 MiB; give the node more memory (--mem 896M) or its guests "
                    "less")
        self.refused("mintctl plan -f /tmp/big.yaml", re.compile(re.escape(expected) + "$"))
        self.refused("mintctl boot -f /tmp/big.yaml", re.compile(re.escape(expected) + "$"))
        self.assertNotIn("node3", self.run_ok("mintctl status"))
        self.assertEqual(self.run_ok("ls -1 /run/mint/nodes"), "node1.json\nnode2.json")

    def test_4_refusals_in_a_node_with_kvm(self):
        # node0's own KVM: the same mint::vm checks every node runs.
        self.run_ok("mintctl vm start node0 g0 --mem 128M", 180)
        pid = json.loads(self.run_ok("mintctl --json vm list node0"))[0]["pid"]
        self.refused("mintctl vm start node0 g0 --mem 128M",
                     "mintctl: node0: g0 already runs in node0 (pid %s); pick another name, or stop "
                     "it first: mintctl vm stop node0 g0" % pid)
        self.refused("mintctl vm start node0 g1 --mem 4G",
                     re.compile(r"^mintctl: node0: g1 wants 4 GiB \+ 64 MiB for its VMM, node0 has "
                                r"\d+ MiB available; give it less \(--mem\) or boot the node with "
                                r"more memory$"))
        self.refused("mintctl vm start node0 g1 --kernel /nope --initrd /nope.img",
                     "mintctl: node0: /nope: g1's kernel /nope is missing in node0; copy it into the "
                     "node or give --kernel a path that exists there")
        self.refused("mintctl vm start node0 g1 --vcpus 9",
                     re.compile(r"^mintctl: node0: g1 wants 9 vCPUs, node0 has \d CPUs; "))
        self.refused("mintctl vm start node0 g1 --disk /no/such/dir/g1.img",
                     re.compile(r"^mintctl: .*/no/such/dir/g1.img.* does not exist"))
        names = re.findall(r"(?m)^node0\s+(\S+)", self.run_ok("mintctl vm list node0"))
        self.assertEqual(names, ["g0"])  # nothing else started, nothing left behind
        self.run_ok("mintctl vm kill node0 g0")
        self.assertRegex(self.run_ok("mintctl vm list node0"),
                         r"(?m)^node0\s+g0\s+stopped\s.*killed by mintctl vm kill$")

    def test_9_a_node_that_is_not_running(self):
        self.run_ok("mintctl exec node1 -- sh -c 'echo c > /proc/sysrq-trigger'; true")
        self.refused("mintctl vm start node1 g1",
                     re.compile(r"^mintctl: node1: the node is crashed \(Kernel panic - not "
                                r"syncing: sysrq triggered crash\); mintctl exec needs a "
                                r"running node; mintctl restart node1 boots it again$"))
        self.refused("mintctl vm start node9 g1",
                     "mintctl: node9: no node with this name; mintctl status lists the nodes")
