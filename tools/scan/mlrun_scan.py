#!/usr/bin/python3
"""mlrun_scan - static risk analysis of Python source, stdlib only (ast).

Reads the source from STDIN (inside `mlrun scan` it runs in a strict sandbox with no access to the
file itself) and prints one JSON object on stdout:

    {"file": NAME, "findings": [{"line", "col", "rule", "severity", "message"}...],
     "counts": {severity: n}, "score": 0-100, "level": "SAFE|LOW|MEDIUM|HIGH|CRITICAL"}

or a human table with --text. Exit 0 whenever the analysis ran (findings or not, a syntax error is
a finding); 2 on a usage or internal error (message on stderr). Contract and rules: docs/scan.md.

Score (100 = nothing found):
    penalty = sum over distinct rules of WEIGHT[worst severity of that rule]   (repeats are free)
    score   = max(0, min(100 - penalty, CAP[worst severity overall]))
    level   = the band of the score: 100 SAFE, 80-99 LOW, 50-79 MEDIUM, 20-49 HIGH, 0-19 CRITICAL
so a single critical finding is always CRITICAL, a single high one always at least HIGH, etc.
"""
import argparse
import ast
import builtins
import fnmatch
import functools
import io
import json
import sys
import tokenize

SEVERITIES = ("info", "low", "medium", "high", "critical")
WEIGHT = {"info": 0, "low": 2, "medium": 8, "high": 20, "critical": 40}
CAP = {None: 100, "info": 100, "low": 99, "medium": 79, "high": 49, "critical": 19}
LEVELS = ((100, "SAFE"), (80, "LOW"), (50, "MEDIUM"), (20, "HIGH"), (0, "CRITICAL"))

# ---- rule table --------------------------------------------------------------------------------
# Imports: top-level module -> (severity, why). Rule id: "import-<module>". `import os.path`,
# `from os import path`, `__import__("os")` and `importlib.import_module("os")` all count as os.
_NET = ("high", "network access")
_DESER = ("high", "deserialisation that can run arbitrary code")
_LOADER = ("high", "loads or runs code dynamically")
IMPORTS = {
    "ctypes": ("critical", "foreign function interface: native calls, raw memory"),
    "cffi": ("critical", "foreign function interface: native calls, raw memory"),
    "subprocess": ("high", "spawns processes"), "pty": ("high", "spawns processes on a terminal"),
    "pexpect": ("high", "spawns processes"), "sh": ("high", "spawns processes"),
    "socket": ("high", "raw network access"), "socketserver": _NET, "ssl": _NET,
    "urllib": _NET, "urllib2": _NET, "urllib3": _NET, "requests": _NET, "http": _NET,
    "httpx": _NET, "aiohttp": _NET, "ftplib": _NET, "smtplib": _NET, "telnetlib": _NET,
    "xmlrpc": _NET, "paramiko": _NET, "websocket": _NET, "websockets": _NET,
    "pickle": _DESER, "_pickle": _DESER, "cPickle": _DESER, "dill": _DESER,
    "cloudpickle": _DESER, "shelve": _DESER, "marshal": ("high", "loads raw code objects"),
    "importlib": _LOADER, "imp": _LOADER, "zipimport": _LOADER, "runpy": _LOADER,
    "code": _LOADER, "codeop": _LOADER,
    "builtins": ("high", "direct access to the builtins namespace"),
    "__builtin__": ("high", "direct access to the builtins namespace"),
    "os": ("medium", "processes, files, environment (os.path alone is harmless)"),
    "posix": ("high", "raw OS interface"), "nt": ("high", "raw OS interface"),
    "shutil": ("medium", "copies, moves and deletes file trees"),
    "multiprocessing": ("medium", "spawns processes"),
    "signal": ("medium", "signal handling"), "resource": ("medium", "changes process limits"),
    "fcntl": ("medium", "raw file-descriptor control"), "mmap": ("medium", "memory-mapped files"),
    "gc": ("medium", "gc can reach every live object"),
    "inspect": ("medium", "reaches frames and globals of other code"),
    "sys": ("low", "interpreter internals (sys.modules, sys._getframe)"),
    "types": ("low", "can build code and function objects"),
    "asyncio": ("low", "can spawn processes and open connections"),
    # Threads are normal in ML code (data loaders, BLAS); bounded by the pids limit. Noted only.
    "threading": ("low", "threads"), "_thread": ("low", "threads"), "concurrent": ("low", "threads or processes"),
}

# Calls: fnmatch pattern over the resolved dotted name -> (rule, severity, message). First match wins.
# Names are resolved through imports, aliases (`from os import system as s`, `p = os.popen`),
# literal getattr (`getattr(os, "system")`), `__import__("os")` and builtins (`builtins.eval`).
_FSW = ("call-os-fs-write", "medium", "changes the file system")
_NETC = ("call-network", "high", "opens a network connection")
_UNPICKLE = ("call-pickle-load", "high", "unpickling runs code chosen by the data")
CALLS = [
    ("eval", ("call-eval", "high", "eval() runs arbitrary code")),
    ("exec", ("call-exec", "high", "exec() runs arbitrary code")),
    ("compile", ("call-compile", "medium", "compile() builds code objects")),
    ("__import__", ("call-__import__", "high", "__import__() imports by computed name")),
    ("importlib.__import__", ("call-__import__", "high", "__import__() imports by computed name")),
    ("importlib.import_module", ("call-import-module", "high", "imports a module by name")),
    ("runpy.run_*", ("call-runpy", "high", "runs another module or file")),
    *[(p, ("call-os-system", "critical", "runs a shell command")) for p in ("os.system", "os.popen")],
    *[(p, ("call-os-exec", "critical", "runs another program"))
      for p in ("os.exec*", "os.spawn*", "os.posix_spawn*", "pty.spawn")],
    ("subprocess.*", ("call-subprocess", "critical", "starts another program")),
    ("os.fork*", ("call-os-fork", "high", "forks the process")),
    ("os.kill*", ("call-os-kill", "high", "signals other processes")),
    *[(f"os.{f}", _FSW) for f in "remove unlink rmdir removedirs rename replace chmod chown symlink "
                                 "link truncate mknod mkfifo".split()],
    ("shutil.rmtree", ("call-shutil", "medium", "deletes a file tree")),
    ("shutil.move", ("call-shutil", "medium", "moves files")),
    ("shutil.copy*", ("call-shutil", "medium", "copies files")),
    *[(p, _UNPICKLE) for p in "pickle.load* pickle.Unpickler _pickle.load* cPickle.load* dill.load* "
                              "cloudpickle.load* shelve.open joblib.load".split()],
    ("torch.load", ("call-pickle-load", "medium", "torch.load unpickles unless weights_only=True")),
    ("numpy.load", ("call-pickle-load", "high", "allow_pickle=True unpickles code chosen by the data")),
    ("marshal.load*", ("call-marshal-load", "high", "loads raw code objects")),
    ("yaml.unsafe_load*", ("call-yaml-load", "high", "unsafe YAML can build arbitrary objects")),
    ("yaml.load*", ("call-yaml-load", "high", "yaml.load without a safe Loader builds arbitrary objects")),
    ("yaml.full_load*", ("call-yaml-load", "medium", "full YAML loader")),
    ("ctypes.*", ("call-ctypes", "critical", "native code or raw memory through ctypes")),
    ("cffi.*", ("call-ctypes", "critical", "native code through cffi")),
    *[(p, _NETC) for p in "socket.socket socket.create_connection socket.create_server socket.fromfd "
                          "urllib.request.url* urllib.urlopen urllib2.urlopen requests.* httpx.* urllib3.* "
                          "aiohttp.* http.client.* ftplib.* smtplib.* telnetlib.*".split()],
    ("sys._getframe", ("call-frame-access", "high", "reads other frames (globals, locals)")),
    ("inspect.currentframe", ("call-frame-access", "high", "reads other frames (globals, locals)")),
    ("inspect.stack", ("call-frame-access", "medium", "reads other frames")),
    ("inspect.getouterframes", ("call-frame-access", "medium", "reads other frames")),
    *[(p, ("call-gc-introspection", "high", "reaches arbitrary live objects")) for p in ("gc.get_ref*", "gc.get_objects")],
    ("types.CodeType", ("call-code-object", "high", "builds a code object by hand")),
    ("types.FunctionType", ("call-code-object", "high", "builds a function from a code object")),
    ("globals", ("call-globals", "low", "reads the module namespace")),
    ("vars", ("call-globals", "low", "reads an object's namespace")),
    ("breakpoint", ("call-breakpoint", "low", "drops into a debugger")),
]
SAFE_KWARGS = {  # name: (keyword, values that make the call safe, safe when the keyword is absent)
    "torch.load": ("weights_only", {True}, False),
    "numpy.load": ("allow_pickle", {False}, True),
    **{f: ("Loader", {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}, False)
       for f in ("yaml.load", "yaml.load_all")},
}
OPEN_FUNCS = {"open", "io.open", "codecs.open", "os.fdopen", "io.FileIO", "gzip.open", "bz2.open", "lzma.open"}

# Attributes (and frame/code fields) used in sandbox escapes: attr -> severity. Rule "attr-<name>".
ATTRS = {
    "__subclasses__": "critical", "__globals__": "critical", "func_globals": "critical",
    "__builtins__": "high", "__code__": "high", "__mro__": "high", "__import__": "high",
    "f_globals": "high", "f_locals": "high", "f_builtins": "high", "f_back": "high",
    "gi_frame": "high", "cr_frame": "high", "ag_frame": "high", "tb_frame": "high",
    "__bases__": "medium", "__base__": "medium", "__closure__": "medium", "__getattribute__": "medium",
    "__reduce__": "medium", "__reduce_ex__": "medium", "__loader__": "medium", "co_code": "medium",
    "f_code": "medium", "__class__": "low", "__dict__": "low", "__self__": "low",
}
ATTR_MSG = "reaches interpreter internals used in sandbox escapes"
_BUILTIN_MODS = {"builtins", "__builtins__", "__builtin__"}
DYNAMIC_NAME_REFS = {"eval", "exec", "compile", "__import__"}  # flagged even when passed, not called


def resolve(node, aliases, star=(), depth=0):
    """Dotted name an expression stands for ('os.system'), or None. Builtins lose their prefix.
    star: (modules imported with *, names defined locally or builtin that they cannot shadow)."""
    if depth > 50:
        return None
    if isinstance(node, ast.Name):
        if node.id in aliases:
            return aliases[node.id]
        mods, local = star if star else ((), ())
        for mod in () if node.id in local else mods:  # from os import *: system() is os.system
            if any(fnmatch.fnmatchcase(f"{mod}.{node.id}", p) for p, _ in CALLS if p.startswith(mod + ".")):
                return f"{mod}.{node.id}"
        return node.id
    if isinstance(node, ast.Attribute):
        base = resolve(node.value, aliases, star, depth + 1)
        return None if not base else node.attr if base in _BUILTIN_MODS else f"{base}.{node.attr}"
    if isinstance(node, ast.Subscript) and _const_str(node.slice) is not None:
        base = resolve(node.value, aliases, star, depth + 1)  # __builtins__["eval"]
        if base in _BUILTIN_MODS or base in ("__dict__", "sys.modules"):
            return _const_str(node.slice)
        return None
    if isinstance(node, ast.Call) and node.args:
        func, arg = resolve(node.func, aliases, star, depth + 1), _const_str(node.args[0])
        if func in ("__import__", "importlib.import_module") and arg:
            return arg
        if func == "getattr" and len(node.args) >= 2:  # getattr(os, "system")
            base, attr = resolve(node.args[0], aliases, star, depth + 1), _const_str(node.args[1])
            return None if not (base and attr) else attr if base in _BUILTIN_MODS else f"{base}.{attr}"
    return None


def _const_str(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


@functools.lru_cache(maxsize=4096)
def _match_call(name):
    for pat, rule in CALLS:
        if fnmatch.fnmatchcase(name, pat):
            return rule
    return None


def _kwarg_is_safe(call, name):
    key, safe, default = SAFE_KWARGS.get(name, (None, (), False))
    for kw in call.keywords:
        if kw.arg == key:
            v = kw.value
            val = v.value if isinstance(v, ast.Constant) else (v.attr if isinstance(v, ast.Attribute)
                                                               else getattr(v, "id", None))
            return val in safe
    return default


def _open_mode(call):
    """The mode of an open()-like call (mode is the 2nd argument): a str, "" if absent, None if computed."""
    node = call.args[1] if len(call.args) > 1 else None
    for kw in call.keywords:
        if kw.arg == "mode":
            node = kw.value
    return "" if node is None else _const_str(node)


_WRITE_MODE = set("wax+")
_OS_WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"}


class Scanner:
    def __init__(self):
        self.findings, self.seen = [], set()
        self.aliases, self.star = {}, ((), frozenset())

    def add(self, node, rule, severity, message):
        line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        if (line, col, rule) not in self.seen:
            self.seen.add((line, col, rule))
            self.findings.append({"line": line, "col": col, "rule": rule,
                                  "severity": severity, "message": message})

    def add_import(self, node, module):
        top = module.split(".")[0]
        if top in IMPORTS:
            sev, why = IMPORTS[top]
            self.add(node, f"import-{top}", sev, f"imports {module}: {why}")

    def resolve(self, node):
        return resolve(node, self.aliases, self.star)

    def scan(self, tree):
        nodes = list(ast.walk(tree))  # iterative: no recursion limit on deep trees
        aliases, star, local = self.aliases, [], set(dir(builtins))
        for n in nodes:  # pass 1: imports and locally bound names
            if isinstance(n, ast.Import):
                for a in n.names:
                    self.add_import(n, a.name)
                    top = a.name.split(".")[0]
                    aliases[a.asname or top] = a.name if a.asname else top
            elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
                for a in n.names:
                    self.add_import(n, n.module if a.name == "*" else f"{n.module}.{a.name}")
                    if a.name == "*":
                        star.append(n.module)
                    else:
                        aliases[a.asname or a.name] = f"{n.module}.{a.name}"
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                local.add(n.name)
            elif isinstance(n, ast.arg) or (isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)):
                local.add(getattr(n, "arg", None) or n.id)
        self.star = (tuple(star), frozenset(local))
        assigns = [n for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
                   and isinstance(n.targets[0], ast.Name)]
        for _ in range(3):  # pass 2: plain aliases (`s = os.system`, `e = eval`), chains included
            for n in assigns:
                target, tid = self.resolve(n.value), n.targets[0].id
                if target and target != tid:
                    aliases[tid] = target
        called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
        for n in nodes:  # pass 3: calls, attributes, names
            if isinstance(n, ast.Call):
                self.check_call(n)
            elif isinstance(n, ast.Attribute) and n.attr in ATTRS:
                self.add(n, f"attr-{n.attr}", ATTRS[n.attr], f".{n.attr} {ATTR_MSG}")
            elif isinstance(n, ast.Subscript) and _const_str(n.slice) in ATTRS:  # x["__globals__"]
                attr = _const_str(n.slice)
                self.add(n, f"attr-{attr}", ATTRS[attr], f"[{attr!r}] {ATTR_MSG}")
            elif isinstance(n, ast.Name) and n.id == "__builtins__":
                self.add(n, "attr-__builtins__", ATTRS["__builtins__"], f"__builtins__ {ATTR_MSG}")
            elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in called:
                name = self.resolve(n)
                if name in DYNAMIC_NAME_REFS:
                    rule, sev, msg = _match_call(name)
                    self.add(n, rule, sev, f"reference to {name}: {msg}")
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name in ("__reduce__", "__reduce_ex__"):
                self.add(n, f"attr-{n.name}", "medium", f"defines {n.name}: a pickle gadget")
        return self

    def check_call(self, call):
        name = self.resolve(call.func)
        method = call.func.attr if isinstance(call.func, ast.Attribute) else None
        if name in ("getattr", "setattr", "delattr"):
            self.check_attr_call(call, name)
        elif name in OPEN_FUNCS:
            mode = _open_mode(call)
            if mode is None:
                self.add(call, "call-open-dynamic", "low", f"{name}() with a computed mode")
            elif set(mode) & _WRITE_MODE:
                self.add(call, "call-open-write", "medium", f"{name}() for writing (mode {mode!r})")
        elif name == "os.open":
            flags = {getattr(x, "attr", getattr(x, "id", None)) for a in call.args[1:2] for x in ast.walk(a)}
            if flags & _OS_WRITE_FLAGS:
                self.add(call, "call-open-write", "medium", "os.open() for writing")
        elif name and _match_call(name) and not _kwarg_is_safe(call, name):
            rid, sev, msg = _match_call(name)
            self.add(call, rid, sev, f"{name}(): {msg}")
        elif method in ("write_text", "write_bytes"):  # pathlib.Path(...).write_text()
            self.add(call, "call-open-write", "medium", f".{method}() writes a file")
        elif method == "open" and call.args and _const_str(call.args[0]) is not None:
            mode = _const_str(call.args[0])  # Path(...).open("w")
            if mode and len(mode) <= 4 and set(mode) <= set("rwxabt+U") and set(mode) & _WRITE_MODE:
                self.add(call, "call-open-write", "medium", f".open() for writing (mode {mode!r})")
        if name in ("__import__", "importlib.import_module", "importlib.__import__") and call.args:
            mod = _const_str(call.args[0])
            if mod:
                self.add_import(call, mod)

    def check_attr_call(self, call, name):
        attr = _const_str(call.args[1]) if len(call.args) >= 2 else None
        if attr is not None and ((len(attr) > 4 and attr[:2] == attr[-2:] == "__") or attr in ATTRS):
            sev = ATTRS.get(attr, "low")
            if attr in ATTRS or name != "getattr":
                sev = max(sev, "high", key=SEVERITIES.index)
            self.add(call, f"call-{name}-dunder", sev, f"{name}() of {attr!r} {ATTR_MSG}")
        elif attr is None and len(call.args) >= 2:
            obj = self.resolve(call.args[0]) or ""
            risky = name != "getattr" or obj.split(".")[0] in IMPORTS or obj in ("__builtins__", "builtins")
            self.add(call, f"call-{name}-dynamic", "medium" if risky else "low",
                     f"{name}() with a computed attribute name" + (f" on {obj}" if risky and obj else ""))


def score(findings):
    worst = {}
    for f in findings:
        if SEVERITIES.index(f["severity"]) >= SEVERITIES.index(worst.get(f["rule"], "info")):
            worst[f["rule"]] = f["severity"]
    penalty = sum(WEIGHT[s] for s in worst.values())
    top = max(worst.values(), key=SEVERITIES.index) if worst else None
    value = max(0, min(100 - penalty, CAP[top]))
    return value, next(name for floor, name in LEVELS if value >= floor)


def decode(data):
    try:
        enc, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(enc), None
    except (SyntaxError, LookupError, UnicodeDecodeError) as e:
        return None, f"cannot decode the source: {e}"


def analyze(data, name="<stdin>"):
    """Analyse source bytes (or str); the report dict."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    s = Scanner()
    text, err = decode(data)
    try:
        if text is not None:
            s.scan(ast.parse(text, filename=name))
        else:
            s.add(None, "syntax-error", "high", err + "; nothing could be analysed")
    except SyntaxError as e:
        s.findings.append({"line": e.lineno or 1, "col": max((e.offset or 1) - 1, 0), "rule": "syntax-error",
                           "severity": "high", "message": f"{e.msg}; the file could not be analysed"})
    except ValueError as e:  # null bytes
        s.findings = [{"line": 1, "col": 0, "rule": "syntax-error", "severity": "high",
                       "message": f"{e}; the file could not be analysed"}]
    except (RecursionError, MemoryError) as e:  # absurd nesting, or too big for the memory limit
        s.findings = [{"line": 1, "col": 0, "rule": "analysis-limit", "severity": "high",
                       "message": f"too deeply nested or too large to analyse ({type(e).__name__})"}]
    findings = sorted(s.findings, key=lambda f: (f["line"], f["col"], f["rule"]))
    value, level = score(findings)
    counts = {sev: sum(f["severity"] == sev for f in findings) for sev in SEVERITIES}
    return {"file": name, "findings": findings, "counts": counts, "score": value, "level": level}


def text_table(report):
    rows = [f"{report['file']}: score {report['score']}/100 (100 = nothing found), level {report['level']}, "
            f"{len(report['findings'])} finding(s)"]
    if report["findings"]:
        rows.append(f"{'LINE':>5}:{'COL':<4} {'SEVERITY':<9} {'RULE':<24} MESSAGE")
        for f in report["findings"]:
            rows.append(f"{f['line']:>5}:{f['col']:<4} {f['severity']:<9} {f['rule']:<24} {f['message']}")
    return "\n".join(rows) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(prog="mlrun_scan.py", description="Static risk analysis of Python source read from stdin.")
    ap.add_argument("--name", default="<stdin>", help="file name to report (the source is read from stdin)")
    ap.set_defaults(text=False)
    fmt = ap.add_mutually_exclusive_group()
    fmt.add_argument("--json", dest="text", action="store_false", help="JSON output (the default)")
    fmt.add_argument("--text", dest="text", action="store_true", help="human-readable table")
    args = ap.parse_args(argv)  # usage errors exit 2
    try:
        report = analyze(sys.stdin.buffer.read(), args.name)
        sys.stdout.write(text_table(report) if args.text else json.dumps(report) + "\n")
        sys.stdout.flush()
    except Exception as e:  # noqa: BLE001 - anything here is our bug: say so, exit 2
        print(f"mlrun_scan: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
