#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every external command the project's scripts call comes from a Debian
package that deploy/setup.sh installs (or that Debian 12 always has).

A fresh CI machine has only what setup.sh installs; a developer's machine
keeps what was installed by hand, which hides a missing install step until
someone else runs the tests. This check finds the commands for real:

  - shell scripts (tests/, deploy/, bench/, .ci/; *.sh or a sh/bash shebang) are
    parsed by shfmt (--to-json, a full POSIX/bash parser): every simple
    command's first word, through wrappers (sudo, env, timeout, taskset,
    flock, ip netns exec, xargs, bash -c '...', ...), inside functions,
    pipelines, command substitutions and heredocs fed to bash or python;
  - Python (*.py there, heredocs and -c code fed to python3): subprocess /
    os.system / os.exec* calls whose command is a literal;
  - every meson.build: find_program('NAME').

Words that are not literal ($hsod, "${SUDO[@]}"), paths into the tree
(build/..., ./x) and functions the scripts define are not external
commands. Each command is looked up the way a fresh machine has it: a file
in /usr/sbin, /usr/bin, /sbin or /bin owned by a Debian package (dpkg -S;
alternatives and symlinks resolved). That package must be in setup.sh's
PACKAGES or be one Debian 12 always installs (Essential: yes or Priority:
required). A package that one of PACKAGES depends on counts (setup.sh installs
without Recommends, so only Depends and Pre-Depends). A command not
installed here at all fails too.

  deps_check.py [--root DIR]      check DIR (default: this repository)
  deps_check.py --self-test       the checker against a tree made to fail

Needs no root and no network. Exit 0, 1 (what to add, one line each), or 77
(skip: shfmt or dpkg missing, reason printed).
"""

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SYSTEM_DIRS = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")
SCAN_DIRS = ("tests", "deploy", "bench", ".ci")
SKIP_DIRS = {"build", "node_modules", "__pycache__", ".git"}

# bash builtins and keywords: never a package's.
BUILTINS = set("""
. : [ [[ alias bg bind break builtin caller cd command compgen complete compopt
continue declare dirs disown echo enable eval exec exit export false fc fg
getopts hash help history jobs kill let local logout mapfile popd printf pushd
pwd read readarray readonly return set shift shopt source suspend test times
trap true type typeset ulimit umask unalias unset wait
""".split())

# Wrappers: the command they run is a command too. The value is the set of
# their options that take an argument (the next word is skipped).
WRAPPERS = {
    "sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"},
    "env": {"-u", "-C", "-S"},
    "exec": {"-a"},
    "command": set(),
    "nohup": set(),
    "setsid": set(),
    "time": {"-f", "-o"},
    "nice": {"-n"},
    "ionice": {"-c", "-n", "-p"},
    "stdbuf": {"-i", "-o", "-e"},
    "chrt": set(),
    "taskset": set(),           # taskset [-c] MASK CMD: MASK skipped below
    "timeout": {"-s", "-k", "--signal", "--kill-after"},   # then DURATION
    "flock": {"-w", "-E", "--timeout", "--conflict-exit-code"},   # then FILE
    "xargs": {"-n", "-I", "-P", "-L", "-s", "-d", "-E", "-a"},
    "unshare": set(),
    "nsenter": {"-t", "-n", "-m", "-p", "-u", "-i", "-U", "-S", "-G"},
    "valgrind": set(),
    "strace": {"-e", "-o", "-p", "-s", "-u"},
    "watch": {"-n", "-d"},
}
# Wrappers whose first non-option word is not the command.
WRAPPER_SKIP_ONE = {"taskset", "timeout", "flock", "chrt"}
SHELLS = {"bash", "sh", "dash"}
PYTHONS = {"python3", "python"}


class Finding:
    def __init__(self, cmd, where):
        self.cmd = cmd
        self.where = where


ARGS = "\0$@"    # a word that is "$@": the function's arguments as a command


def is_all_args(word):
    """Is the shfmt Word "$@" (or $@, "${@}")?"""
    parts = word.get("Parts", [])
    if len(parts) == 1 and parts[0].get("Type") == "DblQuoted":
        parts = parts[0].get("Parts", [])
    return len(parts) == 1 and parts[0].get("Type") == "ParamExp" and \
        parts[0].get("Param", {}).get("Value") == "@" and \
        not parts[0].get("Index") and not parts[0].get("Exp")


def word_literal(word):
    """A shfmt Word's text when it is a literal (quoted or not), ARGS for
    "$@", else None."""
    if is_all_args(word):
        return ARGS
    out = []
    for part in word.get("Parts", []):
        t = part.get("Type")
        if t == "Lit":
            out.append(part["Value"])
        elif t == "SglQuoted":
            out.append(part["Value"])
        elif t == "DblQuoted":
            for p in part.get("Parts", []):
                if p.get("Type") != "Lit":
                    return None
                out.append(p["Value"])
        else:
            return None
    return "".join(out)


def runs_args(words, runners=frozenset()):
    """Does the argument list end up running "$@" as the command?"""
    return unwrap(words, runners, want_args=True)


def unwrap(words, runners=frozenset(), want_args=False):
    """The commands a literal argument list runs: [(cmd, rest_words)].
    @p runners: functions that run their arguments ("$@") as a command.
    With @p want_args: whether the last command reached is "$@" instead."""
    found = []
    while words:
        cmd = words[0]
        if cmd == ARGS and want_args:
            return True
        if cmd is None or cmd == ARGS:
            break
        if cmd in runners:
            words = words[1:]
            continue
        found.append((cmd, words[1:]))
        rest = words[1:]
        if cmd == "command":
            if rest and rest[0] in ("-v", "-V"):
                found.pop()     # a probe, not a call
                break
        if cmd == "ip":
            # ip netns exec NS CMD ...; ip -n NS is ip itself.
            args = [w for w in rest if w is not None]
            if len(rest) >= 3 and rest[0] == "netns" and rest[1] == "exec":
                words = rest[3:]
                continue
            del args
            break
        if cmd in SHELLS:
            break               # -c strings are handled by the caller
        if cmd not in WRAPPERS:
            break
        opts = WRAPPERS[cmd]
        i = 0
        while i < len(rest) and rest[i] is not None and rest[i].startswith("-"):
            if rest[i] in opts:
                i += 1
            i += 1
        while cmd == "env" and i < len(rest) and rest[i] is not None and "=" in rest[i]:
            i += 1
        if cmd in WRAPPER_SKIP_ONE:
            i += 1
        if cmd == "flock" and i - 1 < len(rest) and rest[i - 1] is not None and \
                rest[i - 1].isdigit():
            break               # flock FD: no command
        words = rest[i:]
    return False if want_args else found


class Scanner:
    def __init__(self, root):
        self.root = root
        self.findings = []
        self.functions = set()
        self.errors = []
        self.calls = []         # (words, where, function or None)

    def rel(self, path):
        return os.path.relpath(path, self.root)

    # ---- shell ----

    def shell_text(self, text, where):
        """Parse shell text; walk it for commands."""
        try:
            out = subprocess.run(["shfmt", "--to-json"], input=text, capture_output=True,
                                 text=True, check=True).stdout
        except subprocess.CalledProcessError as e:
            self.errors.append(f"{where}: shfmt cannot parse it: {e.stderr.strip()}")
            return
        self.walk(json.loads(out), where)

    def walk(self, node, where, func=None):
        if isinstance(node, list):
            for n in node:
                self.walk(n, where, func)
            return
        if not isinstance(node, dict):
            return
        t = node.get("Type")
        if t == "FuncDecl":
            func = node["Name"]["Value"]
            self.functions.add(func)
        if "Cmd" in node and isinstance(node["Cmd"], dict) and \
                node["Cmd"].get("Type") == "CallExpr":
            self.call(node["Cmd"], node.get("Redirs") or [], where, func)
        for k, v in node.items():
            if k in ("Pos", "End"):
                continue
            self.walk(v, where, func)

    def call(self, call, redirs, where, func=None):
        args = call.get("Args") or []
        if not args:
            return
        line = args[0]["Pos"]["Line"]
        here = f"{where}:{line}"
        words = [word_literal(w) for w in args]
        self.calls.append((words, here, func))
        for cmd, rest in unwrap(words):
            if cmd in SHELLS:
                if len(rest) >= 2 and rest[0] == "-c" and rest[1] is not None:
                    self.shell_text(rest[1], here + " (bash -c)")
                for r in redirs:
                    if r.get("Hdoc"):
                        text = word_literal(r["Hdoc"])
                        if text is not None:
                            self.shell_text(text, here + " (heredoc)")
            if cmd in PYTHONS:
                if len(rest) >= 2 and rest[0] == "-c" and rest[1] is not None:
                    self.python_text(rest[1], here + " (python -c)")
                for r in redirs:
                    if r.get("Hdoc"):
                        text = word_literal(r["Hdoc"])
                        if text is not None:
                            self.python_text(text, here + " (heredoc)")

    # ---- python ----

    SUBPROCESS = {"run", "Popen", "call", "check_call", "check_output",
                  "create_subprocess_exec"}
    OS_EXEC = {"execvp", "execv", "execlp", "execl", "execvpe", "spawnvp", "spawnlp"}

    def python_text(self, text, where):
        try:
            tree = ast.parse(text)
        except SyntaxError as e:
            self.errors.append(f"{where}: Python cannot parse it: {e}")
            return
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else \
                f.id if isinstance(f, ast.Name) else None
            base = f.value.id if isinstance(f, ast.Attribute) and \
                isinstance(f.value, ast.Name) else None
            here = f"{where}:{node.lineno}" if "heredoc" not in where and \
                "-c)" not in where else where
            first = node.args[0]
            if base in ("subprocess", "asyncio") and name in self.SUBPROCESS or \
                    base is None and name in self.SUBPROCESS - {"run", "call"}:
                shell = any(k.arg == "shell" and isinstance(k.value, ast.Constant)
                            and k.value.value for k in node.keywords)
                if isinstance(first, (ast.List, ast.Tuple)) and first.elts and \
                        isinstance(first.elts[0], ast.Constant) and \
                        isinstance(first.elts[0].value, str):
                    self.add_argv([e.value if isinstance(e, ast.Constant) and
                                   isinstance(e.value, str) else None
                                   for e in first.elts], here)
                elif name == "create_subprocess_exec" and isinstance(first, ast.Constant):
                    self.add_argv([first.value], here)
                elif shell and isinstance(first, ast.Constant) and \
                        isinstance(first.value, str):
                    self.shell_text(first.value, here + " (shell=True)")
            elif base == "os" and name == "system" and isinstance(first, ast.Constant):
                self.shell_text(first.value, here + " (os.system)")
            elif base == "os" and name in self.OS_EXEC and isinstance(first, ast.Constant):
                self.add_argv([first.value], here)

    def add_argv(self, words, here):
        self.calls.append((words, here, None))
        for cmd, rest in unwrap(words):
            if cmd in SHELLS and len(rest) >= 2 and rest[0] == "-c" and rest[1]:
                self.shell_text(rest[1], here + " (bash -c)")

    # ---- files ----

    def scan(self):
        for top in SCAN_DIRS:
            for dirpath, dirs, files in os.walk(os.path.join(self.root, top)):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
                for f in sorted(files):
                    self.scan_file(os.path.join(dirpath, f))
        for dirpath, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and
                             not d.startswith("build"))
            if "meson.build" in files:
                self.scan_meson(os.path.join(dirpath, "meson.build"))
        self.resolve()

    def scan_file(self, path):
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (UnicodeDecodeError, OSError):
            return
        first = text.split("\n", 1)[0]
        if path.endswith(".sh") or re.match(r"#!.*\b(ba)?sh\b", first):
            self.shell_text(text, self.rel(path))
        elif path.endswith(".py") or re.match(r"#!.*\bpython", first):
            self.python_text(text, self.rel(path))

    def resolve(self):
        """Functions that run "$@" (in_ns, E, ...) are wrappers: find them
        (to a fixed point: E() { in_ns "$@"; }), then every call's commands."""
        runners = set()
        while True:
            more = set()
            for words, _, func in self.calls:
                if func is None or func in runners:
                    continue
                if runs_args(words, runners):
                    more.add(func)
            if not more:
                break
            runners |= more
        self.runners = runners
        for words, here, _ in self.calls:
            for cmd, _ in unwrap(words, runners):
                self.findings.append(Finding(cmd, here))

    def scan_meson(self, path):
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                code = line.split("#", 1)[0]
                for m in re.finditer(r"find_program\(\s*'([^']+)'", code):
                    self.findings.append(Finding(m.group(1), f"{self.rel(path)}:{n}"))


def setup_packages(setup):
    """PACKAGES as bash evaluates setup.sh's array definition."""
    script = ('eval "$(sed -n \'/^PACKAGES=(/,/^)/p\' "$1")"; '
              'printf "%s\\n" "${PACKAGES[@]}"')
    out = subprocess.run(["bash", "-c", script, "_", setup], capture_output=True,
                         text=True, check=True).stdout.split()
    if not out:
        raise SystemExit(f"deps_check: {setup}: no PACKAGES=( ... ) array found")
    return set(out)


def system_paths(cmd):
    """Files named @p cmd in the system directories, with their real paths."""
    paths = []
    for d in SYSTEM_DIRS:
        p = os.path.join(d, cmd)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            paths.append(p)
            real = os.path.realpath(p)
            if real != p:
                paths.append(real)
    return paths


def owners(paths):
    """{path: package} from dpkg -S for every path it knows."""
    if not paths:
        return {}
    res = subprocess.run(["dpkg-query", "-S"] + sorted(set(paths)), capture_output=True,
                         text=True)
    own = {}
    for line in res.stdout.splitlines():
        if line.startswith("diversion ") or ": " not in line:
            continue
        pkgs, path = line.rsplit(": ", 1)
        own[path] = pkgs.split(",")[0].strip().split(":")[0]
    return own


def depends_closure(pkgs):
    """@p pkgs and what they Depend or Pre-Depend on, recursively (as
    installed here; setup.sh installs without Recommends). Every alternative
    of an "a | b" is taken; virtual names are not resolved."""
    seen = set()
    todo = set(pkgs)
    while todo:
        batch = sorted(todo - seen)
        todo = set()
        if not batch:
            break
        seen |= set(batch)
        res = subprocess.run(["dpkg-query", "-W", "-f",
                              "${Package}\t${db:Status-Abbrev}\t${Pre-Depends}, ${Depends}\n"]
                             + batch, capture_output=True, text=True)
        for line in res.stdout.splitlines():
            name, status, deps = (line.split("\t") + ["", "", ""])[:3]
            if not status.startswith("ii"):
                continue
            for group in deps.split(","):
                for alt in group.split("|"):
                    dep = alt.strip().split(" ")[0].split(":")[0]
                    if dep and dep not in seen:
                        todo.add(dep)
    return seen


def always_installed(pkgs):
    """The packages of @p pkgs Debian always has (Essential or required)."""
    if not pkgs:
        return set()
    res = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${Essential}\t${Priority}\n"]
                         + sorted(pkgs), capture_output=True, text=True)
    out = set()
    for line in res.stdout.splitlines():
        name, ess, prio = (line.split("\t") + ["", "", ""])[:3]
        if ess == "yes" or prio == "required":
            out.add(name)
    return out


def check(root, setup_rel="deploy/setup.sh", quiet=False, listing=False):
    """@return the list of problems (empty: all good)."""
    setup = os.path.join(root, setup_rel)
    listed = setup_packages(setup)
    packages = depends_closure(listed)
    sc = Scanner(root)
    sc.scan()
    problems = list(sc.errors)
    cmds = {}
    for f in sc.findings:
        c = f.cmd
        if c in BUILTINS or c in sc.functions or c == "" or "$" in c:
            continue
        if "/" in c and not c.startswith("/"):
            continue            # a path in the tree: build/..., ./x
        cmds.setdefault(c, []).append(f.where)
    paths = {}
    for c in cmds:
        paths[c] = [c] if c.startswith("/") and os.path.exists(c) else \
            [] if c.startswith("/") else system_paths(c)
    own = owners([p for ps in paths.values() for p in ps])
    pkg_of = {}
    for c, ps in paths.items():
        for p in ps:
            if p in own:
                pkg_of[c] = own[p]
                break
    always = always_installed(set(pkg_of.values()))
    ok = 0
    for c in sorted(cmds):
        where = cmds[c][0] + (f" (and {len(cmds[c]) - 1} more)" if len(cmds[c]) > 1 else "")
        pkg = pkg_of.get(c)
        if pkg is None:
            elsewhere = shutil.which(c)
            if paths[c] or elsewhere:
                got = paths[c][0] if paths[c] else elsewhere
                problems.append(f"{where}: '{c}' is {got}, which no Debian package "
                                f"owns: a fresh machine will not have it (install it "
                                f"from a package and add that to PACKAGES in {setup_rel})")
            else:
                problems.append(f"{where}: '{c}' is not installed on this machine at "
                                f"all: find its Debian package (apt-file search "
                                f"bin/{c}), install it and add it to PACKAGES in "
                                f"{setup_rel}")
        elif pkg not in packages and pkg not in always:
            problems.append(f"{where}: '{c}' comes from package {pkg}, which {setup_rel} "
                            f"does not install (nor anything in its PACKAGES depends "
                            f"on it): add {pkg} to PACKAGES")
        else:
            ok += 1
        if listing:
            print(f"{c}\t{pkg or '-'}\t{where}")
    if not quiet:
        print(f"deps_check: {len(cmds)} external commands in {root} "
              f"({len(sc.findings)} calls), {ok} from packages setup.sh installs or "
              f"Debian always has")
    return problems


def self_test():
    """The checker on a tree made to fail, and on one made to pass."""
    fails = 0
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "deploy"))
        os.makedirs(os.path.join(d, "tests", "sub"))
        with open(os.path.join(d, "deploy", "setup.sh"), "w") as f:
            f.write("#!/bin/bash\nPACKAGES=(\n\tiproute2 # net\n\tcurl python3\n)\n"
                    "apt-get install -y \"${PACKAGES[@]}\"\n")
        with open(os.path.join(d, "tests", "a.sh"), "w") as f:
            f.write("#!/bin/bash\n"
                    "helper() { echo hi; }\n"
                    "helper\n"
                    "ip netns exec ns curl -s http://x | grep -q y\n"
                    "out=$(env -i LC_ALL=C git --version)\n"
                    "x=$(hso-no-such-command-xyz --flag)\n"
                    "timeout 5 bash -c 'git status; ls'\n"
                    "command -v hso-probe-only >/dev/null\n"
                    "$HSOD --help; build/hsod; \"${SUDO[@]}\" true\n"
                    "python3 - <<'PY'\nimport subprocess\n"
                    "subprocess.run(['git', 'log'])\nPY\n"
                    "in_ns() { ip netns exec ns \"$@\"; }\nE() { in_ns \"$@\"; }\n"
                    "E timeout 3 hso-behind-two-runners -x\n")
        with open(os.path.join(d, "tests", "sub", "b.py"), "w") as f:
            f.write("import os, subprocess\n"
                    "subprocess.check_output(['hso-missing-from-py'])\n"
                    "os.system('ls | hso-missing-in-shell')\n")
        with open(os.path.join(d, "meson.build"), "w") as f:
            f.write("x = find_program('hso-missing-meson')  # find_program('no')\n")
        problems = check(d, quiet=True)
        want = [
            ("tests/a.sh:5", "'git' comes from package git", "add git to PACKAGES"),
            ("tests/a.sh:6", "'hso-no-such-command-xyz' is not installed"),
            ("tests/sub/b.py:2", "'hso-missing-from-py' is not installed"),
            ("tests/sub/b.py:3", "'hso-missing-in-shell' is not installed"),
            ("meson.build:1", "'hso-missing-meson' is not installed"),
            ("tests/a.sh:16", "'hso-behind-two-runners' is not installed"),
        ]
        for w in want:
            if not any(all(s in p for s in w) for p in problems):
                print(f"self-test: no problem reported with {w}; got:", *problems,
                      sep="\n  ")
                fails += 1
        for name in ("'ip'", "'curl'", "'grep'", "'helper'", "'ls'", "'no'",
                     "hso-probe-only", "'bash'", "'python3'", "'true'", "HSOD",
                     "build/hsod", "'env'", "'E'", "in_ns"):
            bad = [p for p in problems if name in p]
            # bash, env, ls, grep: Essential; python3: listed.
            if bad:
                print(f"self-test: {name} reported: {bad}")
                fails += 1
        # git 3 times: a.sh:5, :7 (bash -c), :11 (heredoc): one line, "2 more".
        gits = [p for p in problems if "'git'" in p]
        if len(gits) != 1 or "2 more" not in gits[0]:
            print(f"self-test: git: {gits}")
            fails += 1
        # Adding the packages makes it pass, apart from what is not installed.
        with open(os.path.join(d, "deploy", "setup.sh"), "w") as f:
            f.write("PACKAGES=(iproute2 curl git)\n")
        for p in ("tests/a.sh", "tests/sub/b.py", "meson.build"):
            os.unlink(os.path.join(d, p))
        with open(os.path.join(d, "tests", "a.sh"), "w") as f:
            f.write("#!/bin/sh\nip link; git log; curl -s x\n")
        problems = check(d, quiet=True)
        if problems:
            print("self-test: a tree that should pass:", *problems, sep="\n  ")
            fails += 1
    print(f"deps_check self-test: {'ok' if not fails else f'{fails} failed'}")
    return 1 if fails else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--list", action="store_true", help="print each command, its "
                    "package and where it is first called")
    args = ap.parse_args()
    for tool in ("shfmt", "dpkg-query"):
        if shutil.which(tool) is None:
            print(f"deps_check: SKIP: {tool} not found (deploy/setup.sh installs shfmt; "
                  f"dpkg is Debian's)")
            return 77
    if args.self_test:
        return self_test()
    problems = check(args.root, listing=args.list)
    for p in problems:
        print(p)
    if problems:
        print(f"deps_check: {len(problems)} command(s) a fresh machine would lack")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
