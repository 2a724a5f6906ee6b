"""dist/systemd's units as CMake configured them (label unit):
`systemd-analyze verify` (unit syntax, the ExecStart/ExecStop programs,
dependencies, Documentation=man:mintctl(8) against our man page) on a copy
whose mintctl is the built one, and it must print nothing about them; a
broken copy must be caught, so the check is known to be real; and what
docs/install.md promises of them: mint-node@NAME boots
/etc/mint/nodes/NAME.yaml once (oneshot, stays active), stops gracefully
and gives the node back, orders itself after mint-watch; mint-watch runs
`mintctl watch` and is restarted on failure. MINT_UNITS_DIR,
MINT_MINTCTL_PATH (the installed path the units name), MINTCTL and
MINT_MANPAGE come from tests/unit/dist/CMakeLists.txt."""

import os
import shutil
import subprocess
import tempfile
import unittest

UNITS_DIR = os.environ.get("MINT_UNITS_DIR", "")
INSTALLED = os.environ.get("MINT_MINTCTL_PATH", "/usr/local/sbin/mintctl")
MINTCTL = os.path.abspath(os.environ.get("MINTCTL", "mintctl"))
MANPAGE = os.path.abspath(os.environ.get("MINT_MANPAGE", "../../../docs/man/mintctl.8"))
UNITS = ("mint-node@.service", "mint-watch.service")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def settings(text):
    """{key: [values]} of a unit file (sections ignored: the keys differ)."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


@unittest.skipIf(shutil.which("systemd-analyze") is None,
                 "systemd-analyze is missing (Debian package systemd: tools/install-deps)")
class UnitsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mint-units-")
        man8 = os.path.join(self.tmp, "man", "man8")
        os.makedirs(man8)
        shutil.copy(MANPAGE, man8)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def stage(self, edit=None):
        """The units in a temp dir with the built mintctl for the installed
        one, `edit` (name -> text -> text) applied; returns the dir."""
        d = os.path.join(self.tmp, "units")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for unit in UNITS:
            text = read(os.path.join(UNITS_DIR, unit)).replace(INSTALLED, MINTCTL)
            if edit:
                text = edit(unit, text)
            with open(os.path.join(d, unit), "w", encoding="utf-8") as f:
                f.write(text)
        return d

    def verify(self, d, *names):
        """systemd-analyze verify: (exit status, its lines about our units)."""
        env = dict(os.environ, SYSTEMD_UNIT_PATH=d + ":", MANPATH=os.path.join(self.tmp, "man"),
                   SYSTEMD_LOG_COLOR="0")
        args = [os.path.join(d, n) if n.endswith("@.service") or "@" not in n else n
                for n in names]
        r = subprocess.run(["systemd-analyze", "verify", *args], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, env=env, timeout=120)
        ours = [l for l in r.stdout.splitlines()
                if d in l or "mint-node@" in l or "mint-watch" in l]
        # Lines about the host's own units are shown, not held against ours.
        if r.stdout.strip():
            print("systemd-analyze verify %s:\n%s" % (" ".join(names), r.stdout))
        return r.returncode, ours

    def test_units_are_configured_with_the_installed_mintctl(self):
        for unit in UNITS:
            with self.subTest(unit=unit):
                text = read(os.path.join(UNITS_DIR, unit))
                self.assertNotIn("@MINT_", text, "configure_file left a placeholder")
                for cmd in settings(text).get("ExecStart", []) + settings(text).get("ExecStop", []):
                    self.assertTrue(cmd.lstrip("-").startswith(INSTALLED + " "), cmd)

    def test_systemd_analyze_verify_passes(self):
        d = self.stage()
        self.assertEqual(self.verify(d, *UNITS), (0, []))
        # An instance, as `systemctl enable --now mint-node@node1` makes it.
        self.assertEqual(self.verify(d, "mint-node@node1.service"), (0, []))

    def test_a_broken_unit_is_caught(self):
        broken = {
            "a program that does not exist":
                lambda u, t: t.replace(MINTCTL + " boot", "/nonexistent/mintctl boot"),
            "a bad value": lambda u, t: t.replace("Type=oneshot", "Type=oneshott"),
            "an unknown key": lambda u, t: t.replace("RemainAfterExit=", "RemainAfterExits="),
            "a missing dependency":
                lambda u, t: t.replace("Wants=mint-watch.service", "Requires=mint-wach.service"),
        }
        for what, edit in broken.items():
            with self.subTest(what=what):
                d = self.stage(lambda u, t: edit(u, t) if u == "mint-node@.service" else t)
                status, ours = self.verify(d, "mint-node@.service")
                self.assertTrue(status != 0 or ours, "verify did not notice %s" % what)

    def test_node_unit_boots_the_nodeconf_once_and_gives_the_node_back(self):
        s = settings(read(os.path.join(UNITS_DIR, "mint-node@.service")))
        self.assertEqual(s["Type"], ["oneshot"])
        self.assertEqual(s["RemainAfterExit"], ["yes"])
        self.assertEqual(s["ExecStart"], [INSTALLED + " boot %i -f /etc/mint/nodes/%i.yaml"])
        self.assertEqual(s["ExecStop"], ["-" + INSTALLED + " stop %i", INSTALLED + " kill %i",
                                         INSTALLED + " destroy %i"])
        self.assertIn("mint-watch.service", " ".join(s["After"]))
        self.assertIn("mint-watch.service", " ".join(s["Wants"]))
        self.assertIn("local-fs.target", " ".join(s["After"]))
        self.assertNotIn("network-online.target", " ".join(s.get("After", []) + s.get("Wants", [])))
        self.assertEqual(s["ConditionPathExists"], ["/sys/kernel/mint"])
        self.assertEqual(s["WantedBy"], ["multi-user.target"])

    def test_watch_unit_runs_the_watcher_and_restarts_it(self):
        s = settings(read(os.path.join(UNITS_DIR, "mint-watch.service")))
        self.assertEqual(s["ExecStart"], [INSTALLED + " watch"])
        self.assertEqual(s["Restart"], ["on-failure"])
        self.assertNotIn("StandardOutput", s)  # the journal, systemd's default
        self.assertEqual(s["WantedBy"], ["multi-user.target"])


if __name__ == "__main__":
    unittest.main()
