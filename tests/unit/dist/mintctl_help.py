"""What the built mintctl says it takes, read from its CLI11 --help: every
command (`vm` subcommands as "vm start"), each one's options (long and
short), the global options and the exit codes. The one reader of --help
for the man page and completion tests, so both follow the CLI."""

import collections
import re
import subprocess

# One option: the set of its names ({"-f", "--file"}), its help text, and
# whether it takes a value (CLI11 shows its type: TEXT, UINT=60, FLOAT).
Option = collections.namedtuple("Option", "names text valued")

# An option line of CLI11's help: "  -f,--file TEXT   nodeconf YAML ...".
OPTION_LINE = re.compile(r"^  (-[^\s]+)(?: (\S[^\n]*?))?(?:\s{2,}(.*))?$")
# A subcommand line: "  topology                    Show CPUs, ...".
COMMAND_LINE = re.compile(r"^  ([a-z][a-z0-9-]*)\s")
# An exit code line: "  2  refused: the plan refused ...".
EXIT_LINE = re.compile(r"^  (\d+)  \S")
HELP = {"-h", "--help"}


def help_text(mintctl, *words):
    r = subprocess.run([mintctl, *words, "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("%s %s --help: exit %d: %s" % (mintctl, " ".join(words),
                                                            r.returncode, r.stderr))
    return r.stdout


def sections(text):
    """{"Options": [lines], "Subcommands": [lines], ...} of one --help."""
    out, name = {}, None
    for line in text.splitlines():
        m = re.match(r"^([A-Z][A-Za-z ]*):$", line)
        if m:
            name = m.group(1)
            out[name] = []
        elif name and line.strip():
            out[name].append(line)
    return out


def options(lines):
    """The Options of an Options: section: "-f,--file TEXT  nodeconf ..." ->
    Option({"-f", "--file"}, "nodeconf ...")."""
    out = []
    for line in lines:
        m = OPTION_LINE.match(line)
        if m:
            out.append(Option(frozenset(n for n in m.group(1).split(",") if n.startswith("-")),
                              (m.group(3) or "").strip(), bool(m.group(2))))
    return out


def names(opts):
    """Every name of every option in `opts`."""
    return set().union(*(o.names for o in opts)) if opts else set()


class Cli:
    """commands: {"plan": [Option({"-f", "--file"}, "nodeconf ..."), ...],
    "vm start": [...]} (without -h/--help); globals: the top level's options;
    exit_codes: ["0", ..., "4"]."""

    def __init__(self, mintctl):
        top = sections(help_text(mintctl))
        self.globals = options(top.get("Options", []))
        self.exit_codes = [m.group(1) for m in map(EXIT_LINE.match, top.get("Exit codes", []))
                           if m]
        self.commands = {}
        self._walk(mintctl, [], top)

    def _walk(self, mintctl, words, parsed):
        for line in parsed.get("Subcommands", []):
            m = COMMAND_LINE.match(line)
            if not m:
                continue
            sub = words + [m.group(1)]
            text = sections(help_text(mintctl, *sub))
            if "Subcommands" in text:
                self._walk(mintctl, sub, text)
            else:
                self.commands[" ".join(sub)] = [o for o in options(text.get("Options", []))
                                                if o.names != HELP]

    def parents(self):
        """Commands that only group others ("vm")."""
        return sorted({c.split()[0] for c in self.commands if " " in c})
