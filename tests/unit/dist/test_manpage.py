"""docs/man/mintctl.8 against the built mintctl (label unit): every command
(and `vm` subcommand) has a SYNOPSIS entry and a .SS section; each entry
lists exactly the command's options; every name of every option has an
entry (.TP) in its command's section, or in the section of a command with
the very same option (same names and help text: boot's --cores is plan's),
and every option entry names an option the CLI has there (GLOBAL OPTIONS:
the top level's);
EXIT STATUS lists exactly the exit codes of --help; groff -ww and man's
own check (what lintian runs) print no warning. MINTCTL and MINT_MANPAGE
come from tests/unit/dist/CMakeLists.txt."""

import os
import re
import shlex
import shutil
import subprocess
import unittest

import mintctl_help

MINTCTL = os.environ.get("MINTCTL", "mintctl")
MANPAGE = os.environ.get("MINT_MANPAGE", "../../../docs/man/mintctl.8")
FLAG = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")


def plain(text):
    """roff text without font escapes: \\fB, \\-, \\& ..."""
    text = re.sub(r"\\f[BIRP]", "", text)
    return text.replace("\\-", "-").replace("\\&", "").replace("\\(em", " - ")


def macro_text(line):
    """What one source line reads as: `.BR \\-h ", " \\-\\-help` -> "-h, --help";
    `.OP \\-f FILE` -> "[-f FILE]"; text lines as they are."""
    if not line.startswith("."):
        return plain(line)
    name, _, rest = line[1:].partition(" ")
    args = [plain(a) for a in shlex.split(rest.replace("\\", "\\\\"))] if rest else []
    if name == "OP":
        return "[" + " ".join(args) + "]"
    if re.fullmatch(r"[BIR]{2}", name):  # alternating fonts: no space between
        return "".join(args)
    return " ".join(args)


class ManPage:
    """synopsis: {"plan": ["mintctl plan [NODE] [-f FILE] ..."]} (top level: "");
    subsections: [".SS" headings]; tags: {section: [(tag text, flags)]},
    section being the .SS heading (or the .SH one outside any)."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            lines = [l.rstrip("\n") for l in f if not l.startswith('.\\"')]
        self.synopsis = {}
        self.subsections = []
        self.tags = {}
        section = None
        entry = None
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith(".SH "):
                section = macro_text(line)
            elif line.startswith(".SS "):
                section = macro_text(line)
                self.subsections.append(section)
            elif line.startswith(".SY"):
                name = macro_text(line)
                entry = [name]
                command = name.split(" ", 1)[1] if " " in name else ""
            elif line.startswith(".YS"):
                self.synopsis.setdefault(command, []).append(" ".join(entry))
                entry = None
            elif entry is not None:
                entry.append(macro_text(line))
            elif line.startswith(".TP") and i + 1 < len(lines):
                i += 1
                tag = macro_text(lines[i])
                self.tags.setdefault(section, []).append((tag, set(FLAG.findall(tag))))
            i += 1


class ManPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cli = mintctl_help.Cli(MINTCTL)
        cls.man = ManPage(MANPAGE)

    def test_the_cli_was_read(self):
        # A help format this reader no longer understands must not pass as "nothing to check".
        for command in ("boot", "stop", "exec", "vm start", "vm exec"):
            self.assertIn(command, self.cli.commands)
        self.assertIn({"--cores"}, [o.names for o in self.cli.commands["boot"]])
        self.assertIn({"-f", "--follow"}, [o.names for o in self.cli.commands["console"]])
        self.assertIn({"--root"}, [o.names for o in self.cli.globals])
        self.assertTrue(all(o.text for o in self.cli.commands["ping"]), "help texts read")
        self.assertIn("0", self.cli.exit_codes)

    def test_every_command_has_a_synopsis_entry_and_a_section(self):
        missing = [c for c in self.cli.commands if c not in self.man.synopsis]
        self.assertEqual(missing, [], "commands of mintctl without a SYNOPSIS entry "
                         "(.SY \"mintctl COMMAND\") in %s" % MANPAGE)
        missing = [c for c in self.cli.commands if c not in self.man.subsections]
        self.assertEqual(missing, [], "commands of mintctl without a section (.SS COMMAND) "
                         "under COMMANDS in %s" % MANPAGE)

    def test_the_page_lists_no_command_the_cli_lacks(self):
        known = set(self.cli.commands) | {""}
        extra = [c for c in self.man.synopsis if c not in known]
        self.assertEqual(extra, [], "SYNOPSIS entries of %s for commands mintctl does "
                         "not have" % MANPAGE)
        twice = [c for c, e in self.man.synopsis.items() if c and len(e) > 1]
        self.assertEqual(twice, [], "commands with two SYNOPSIS entries")
        sections = set(self.cli.commands)
        extra = [s for s in self.man.subsections if s not in sections]
        self.assertEqual(extra, [], "sections (.SS) of %s for commands mintctl does "
                         "not have" % MANPAGE)

    def test_each_synopsis_entry_lists_exactly_its_commands_options(self):
        # Each option by one of its names at least (console's [-f] is -f,--follow).
        for command, options in sorted(self.cli.commands.items()):
            with self.subTest(command=command):
                listed = set(FLAG.findall(" ".join(self.man.synopsis.get(command, []))))
                missing = [sorted(o.names) for o in options if not o.names & listed]
                self.assertEqual(missing, [], "options of mintctl %s missing from its "
                                 "SYNOPSIS entry" % command)
                self.assertEqual(sorted(listed - mintctl_help.names(options)), [],
                                 "options in the SYNOPSIS entry of %s that mintctl %s "
                                 "does not have" % (command, command))
        listed = set(FLAG.findall(" ".join(self.man.synopsis.get("", []))))
        missing = [sorted(o.names) for o in self.cli.globals if not o.names & listed]
        self.assertEqual(missing, [], "global options missing from the SYNOPSIS entries "
                         "of mintctl itself")
        self.assertEqual(sorted(listed - mintctl_help.names(self.cli.globals)), [],
                         "options in the SYNOPSIS entries of mintctl itself that it lacks")

    def test_every_option_has_an_entry_where_a_command_takes_it(self):
        defined = {}  # option -> the sections with an entry for it
        for section, tags in self.man.tags.items():
            for _tag, flags in tags:
                for f in flags:
                    defined.setdefault(f, set()).add(section)
        # Every name of every option (-f and --follow both).
        for command, options in sorted(self.cli.commands.items()):
            for option in options:
                same = {c for c, o in self.cli.commands.items() if option in o}
                for name in sorted(option.names):
                    with self.subTest(command=command, option=name):
                        self.assertTrue(defined.get(name, set()) & same,
                                        "mintctl %s %s (%s) has no entry (.TP) in the section "
                                        "of %s (or of a command with the same option: %s)" % (
                                            command, name, option.text, command,
                                            ", ".join(sorted(same - {command})) or "none"))
        for option in sorted(mintctl_help.names(self.cli.globals) | mintctl_help.HELP):
            with self.subTest(option=option):
                self.assertIn("GLOBAL OPTIONS", defined.get(option, set()),
                              "global option %s has no entry under GLOBAL OPTIONS" % option)

    def test_every_option_entry_names_an_option_the_cli_has_there(self):
        for section, tags in sorted(self.man.tags.items()):
            if section == "GLOBAL OPTIONS":
                have = mintctl_help.names(self.cli.globals)
            elif section in self.cli.commands:
                have = mintctl_help.names(self.cli.commands[section])
            else:
                have = None  # EXIT STATUS, FILES: no options
            for tag, flags in tags:
                with self.subTest(section=section, tag=tag):
                    if have is None:
                        self.assertEqual(flags, set(), "an option entry outside a command")
                    else:
                        self.assertEqual(sorted(flags - have), [],
                                         "%s lists %s under %s, which mintctl does not "
                                         "have there" % (MANPAGE, tag, section))

    def test_exit_status_lists_exactly_the_exit_codes(self):
        tags = [t for t, _ in self.man.tags.get("EXIT STATUS", [])]
        self.assertEqual(tags, self.cli.exit_codes,
                         "EXIT STATUS entries vs the exit codes of mintctl --help")
        with open(MANPAGE, encoding="utf-8") as f:
            text = f.read()
        status = text.split(".SH EXIT STATUS", 1)[1].split(".SH ", 1)[0]
        for code in ("255", "127", "126"):  # exec's, from the same --help text
            self.assertIn(code, status)

    def test_groff_and_man_print_no_warning(self):
        r = subprocess.run(["groff", "-man", "-ww", "-z", MANPAGE], stderr=subprocess.PIPE,
                           text=True)
        self.assertEqual((r.returncode, r.stderr), (0, ""), "groff -man -ww -z")
        if shutil.which("man") is None:
            self.skipTest("man-db is not installed (tools/install-deps)")
        # lintian's manpage check (groff-message, manpage-has-errors-from-man).
        env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
        r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", MANPAGE],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self.assertEqual((r.returncode, r.stderr), (0, ""), "man --warnings -l")
        with open(MANPAGE, encoding="utf-8") as f:
            head = f.read().split(".SH NAME\n", 1)[1].split("\n", 1)[0]
        self.assertRegex(head, r"^mintctl \\- \S", "the NAME line (whatis) is 'mintctl \\- ...'")


if __name__ == "__main__":
    unittest.main()
