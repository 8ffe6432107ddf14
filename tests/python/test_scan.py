"""Unit tests of tools/scan/mlrun_scan.py: every rule, aliasing, nesting, score and level bands,
and the command-line contract (stdin in, JSON out, exit 0 / 2) documented in docs/scan.md."""
import json
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO, SLOW
import mlrun_scan

SCANNER = REPO / "tools" / "scan" / "mlrun_scan.py"


def scan(src):
    return mlrun_scan.analyze(textwrap.dedent(src), "t.py")


def rules(src):
    return {f["rule"] for f in scan(src)["findings"]}


def finding(src, rule):
    hits = [f for f in scan(src)["findings"] if f["rule"] == rule]
    assert hits, f"{rule} not found in {scan(src)['findings']}"
    return hits[0]


# ---- imports -------------------------------------------------------------------------------------
@pytest.mark.parametrize("src,rule,severity", [
    ("import os", "import-os", "medium"),
    ("import subprocess", "import-subprocess", "high"),
    ("import socket", "import-socket", "high"),
    ("import ctypes", "import-ctypes", "critical"),
    ("import pickle", "import-pickle", "high"),
    ("import marshal", "import-marshal", "high"),
    ("import importlib", "import-importlib", "high"),
    ("import shutil", "import-shutil", "medium"),
    ("import sys", "import-sys", "low"),
    ("import multiprocessing", "import-multiprocessing", "medium"),
    ("import threading", "import-threading", "low"),
    ("import urllib.request", "import-urllib", "high"),
    ("import requests", "import-requests", "high"),
    ("import http.client", "import-http", "high"),
    ("import builtins", "import-builtins", "high"),
    ("import dill", "import-dill", "high"),
    ("import pty", "import-pty", "high"),
    ("from subprocess import run", "import-subprocess", "high"),
    ("from os import path as p", "import-os", "medium"),
    ("from urllib.request import urlopen", "import-urllib", "high"),
    ("from ctypes import *", "import-ctypes", "critical"),
    ("import subprocess as sp", "import-subprocess", "high"),
    ("import numpy, os.path", "import-os", "medium"),
])
def test_import_rules(src, rule, severity):
    f = finding(src, rule)
    assert f["severity"] == severity and f["line"] == 1 and f["col"] == 0


@pytest.mark.parametrize("src", [
    "import numpy as np", "import json, math, re", "from collections import OrderedDict",
    "from . import sibling", "from __future__ import annotations", "import torch.nn as nn",
])
def test_harmless_imports(src):
    assert scan(src)["findings"] == [] and scan(src)["level"] == "SAFE"


def test_dynamic_imports_count_as_imports():
    assert {"call-__import__", "import-os"} <= rules("m = __import__('os')")
    assert {"call-import-module", "import-socket"} <= rules("import importlib\nimportlib.import_module('socket')")


# ---- calls ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("src,rule,severity", [
    ("eval('1+1')", "call-eval", "high"),
    ("exec('x = 1')", "call-exec", "high"),
    ("compile('1', 'f', 'eval')", "call-compile", "medium"),
    ("__import__('json')", "call-__import__", "high"),
    ("import os\nos.system('id')", "call-os-system", "critical"),
    ("import os\nos.popen('id')", "call-os-system", "critical"),
    ("import os\nos.execv('/bin/sh', [])", "call-os-exec", "critical"),
    ("import os\nos.fork()", "call-os-fork", "high"),
    ("import os\nos.kill(1, 9)", "call-os-kill", "high"),
    ("import os\nos.remove('x')", "call-os-fs-write", "medium"),
    ("import shutil\nshutil.rmtree('/')", "call-shutil", "medium"),
    ("import subprocess\nsubprocess.run(['ls'])", "call-subprocess", "critical"),
    ("import subprocess\nsubprocess.Popen('ls', shell=True)", "call-subprocess", "critical"),
    ("import subprocess\nsubprocess.check_output(['ls'])", "call-subprocess", "critical"),
    ("import pickle\npickle.loads(b'')", "call-pickle-load", "high"),
    ("import pickle\npickle.load(f)", "call-pickle-load", "high"),
    ("import marshal\nmarshal.loads(b'')", "call-marshal-load", "high"),
    ("import ctypes\nctypes.CDLL('libc.so.6')", "call-ctypes", "critical"),
    ("import ctypes\nctypes.cdll.LoadLibrary('libc.so.6')", "call-ctypes", "critical"),
    ("import socket\nsocket.socket()", "call-network", "high"),
    ("import socket\nsocket.create_connection(('h', 1))", "call-network", "high"),
    ("import urllib.request\nurllib.request.urlopen('http://x')", "call-network", "high"),
    ("import requests\nrequests.get('http://x')", "call-network", "high"),
    ("import sys\nsys._getframe(1)", "call-frame-access", "high"),
    ("import gc\ngc.get_referrers(x)", "call-gc-introspection", "high"),
    ("import types\ntypes.FunctionType(c, {})", "call-code-object", "high"),
    ("import torch\ntorch.load('m.pt')", "call-pickle-load", "medium"),
    ("import numpy as np\nnp.load('a.npy', allow_pickle=True)", "call-pickle-load", "high"),
    ("import yaml\nyaml.load(s)", "call-yaml-load", "high"),
    ("globals()", "call-globals", "low"),
    ("breakpoint()", "call-breakpoint", "low"),
])
def test_call_rules(src, rule, severity):
    f = finding(src, rule)
    assert f["severity"] == severity and f["line"] == src.count("\n") + 1


@pytest.mark.parametrize("src", [
    "import torch\ntorch.load('m.pt', weights_only=True)",
    "import numpy as np\nnp.load('a.npy')",
    "import yaml\nyaml.load(s, Loader=yaml.SafeLoader)",
    "import socket\nsocket.gethostname()",
    "model.eval()", "import re\nre.compile('x')", "import torch\ntorch.compile(m)",
    "import os\nos.path.join('a', 'b')", "self.exec_batch()",
])
def test_calls_not_reported(src):
    assert not [f for f in scan(src)["findings"] if f["rule"].startswith("call-")]


@pytest.mark.parametrize("src,expected", [
    ("open('f')", None), ("open('f', 'r')", None), ("open('f', 'rb')", None),
    ("open('f', 'w')", "call-open-write"), ("open('f', 'a')", "call-open-write"),
    ("open('f', 'x')", "call-open-write"), ("open('f', 'r+')", "call-open-write"),
    ("open('f', mode='wb')", "call-open-write"), ("open('f', m)", "call-open-dynamic"),
    ("import io\nio.open('f', 'w')", "call-open-write"),
    ("import builtins\nbuiltins.open('f', 'a')", "call-open-write"),
    ("import gzip\ngzip.open('f.gz', 'wt')", "call-open-write"),
    ("import pathlib\npathlib.Path('f').write_text('x')", "call-open-write"),
    ("from pathlib import Path\nPath('f').open('w')", "call-open-write"),
    ("import os\nos.open('f', os.O_WRONLY | os.O_CREAT)", "call-open-write"),
    ("import os\nos.open('f', os.O_RDONLY)", None),
])
def test_open_mode_analysis(src, expected):
    got = {r for r in rules(src) if r.startswith("call-open")}
    assert got == ({expected} if expected else set())


@pytest.mark.parametrize("src,rule,severity", [
    ("getattr(x, '__globals__')", "call-getattr-dunder", "critical"),
    ("getattr(x, '__subclasses__')()", "call-getattr-dunder", "critical"),
    ("getattr(x, '__class__')", "call-getattr-dunder", "high"),
    ("getattr(x, '__name__')", "call-getattr-dunder", "low"),
    ("setattr(x, '__class__', y)", "call-setattr-dunder", "high"),
    ("delattr(x, '__dict__')", "call-delattr-dunder", "high"),
    ("getattr(obj, name)", "call-getattr-dynamic", "low"),
    ("import os\ngetattr(os, 'sys' + 'tem')", "call-getattr-dynamic", "medium"),
    ("getattr(__builtins__, n)", "call-getattr-dynamic", "medium"),
    ("setattr(obj, name, 1)", "call-setattr-dynamic", "medium"),
    ("delattr(obj, name)", "call-delattr-dynamic", "medium"),
])
def test_getattr_family(src, rule, severity):
    assert finding(src, rule)["severity"] == severity


def test_getattr_with_plain_literal_is_fine():
    assert rules("getattr(self, 'weight', None)\nsetattr(self, 'bias', b)") == set()


# ---- attributes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("attr,severity", [
    ("__globals__", "critical"), ("__subclasses__", "critical"), ("__builtins__", "high"),
    ("__code__", "high"), ("__mro__", "high"), ("__bases__", "medium"), ("__class__", "low"),
    ("__dict__", "low"), ("f_globals", "high"), ("f_back", "high"), ("gi_frame", "high"),
    ("tb_frame", "high"), ("__closure__", "medium"),
])
def test_attribute_rules(attr, severity):
    f = finding(f"y = x.{attr}", f"attr-{attr}")
    assert f["severity"] == severity and (f["line"], f["col"]) == (1, 4)


def test_bare_builtins_name_and_subscripts():
    assert "attr-__builtins__" in rules("b = __builtins__")
    assert "attr-__globals__" in rules("f['__globals__']")


def test_reduce_definition_is_a_gadget():
    assert finding("class A:\n    def __reduce__(self):\n        return (os.system, ('id',))\n",
                   "attr-__reduce__")["line"] == 2


# ---- aliasing and resolution -----------------------------------------------------------------------
@pytest.mark.parametrize("src,rule", [
    ("from os import system\nsystem('id')", "call-os-system"),
    ("from os import system as s\ns('id')", "call-os-system"),
    ("import os as o\no.system('id')", "call-os-system"),
    ("import subprocess as sp\nsp.run('ls')", "call-subprocess"),
    ("from subprocess import Popen as P\nP('ls')", "call-subprocess"),
    ("import os\nrun = os.system\nrun('id')", "call-os-system"),
    ("import os\na = os\nb = a.system\nb('id')", "call-os-system"),
    ("e = eval\ne('1')", "call-eval"),
    ("import os\ngetattr(os, 'system')('id')", "call-os-system"),
    ("m = __import__('os')\nm.system('id')", "call-os-system"),
    ("import importlib\nimportlib.import_module('subprocess').run('ls')", "call-subprocess"),
    ("import builtins\nbuiltins.eval('1')", "call-eval"),
    ("__builtins__.exec('1')", "call-exec"),
    ("__builtins__['eval']('1')", "call-eval"),
    ("import builtins\nbuiltins.__dict__['exec']('1')", "call-exec"),
    ("import sys\nsys.modules['os'].system('id')", "call-os-system"),
    ("getattr(__builtins__, 'eval')('1')", "call-eval"),
    ("from os import *\nsystem('id')", "call-os-system"),
    ("from pickle import loads as l\nl(b'')", "call-pickle-load"),
    ("import os.path\nos.system('id')", "call-os-system"),
])
def test_aliasing(src, rule):
    assert rule in rules(src)


def test_star_import_does_not_capture_builtins_or_local_names():
    src = "from subprocess import *\ndef helper():\n    pass\nprint(len([]))\nhelper()\ncall(['ls'])\n"
    got = [f for f in scan(src)["findings"] if f["rule"] == "call-subprocess"]
    assert [f["line"] for f in got] == [6]


def test_reference_without_call():
    assert finding("list(map(eval, xs))", "call-eval")["message"].startswith("reference to eval")


# ---- nesting ---------------------------------------------------------------------------------------
def test_classic_escape_chain():
    src = "[c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == 'Popen'][0]('id')"
    assert {"attr-__class__", "attr-__bases__", "attr-__subclasses__"} <= rules(src)
    assert scan(src)["level"] == "CRITICAL"


def test_nested_calls_and_lambdas():
    src = """
    def outer():
        def inner():
            return (lambda s: eval(s))(compile('1', 'x', 'eval'))
        return [exec(c) for c in codes if c]
    """
    r = scan(src)
    lines = {(f["rule"], f["line"]) for f in r["findings"]}
    assert {("call-eval", 4), ("call-compile", 4), ("call-exec", 5)} <= lines


def test_nested_getattr():
    src = "getattr(getattr(f, '__globals__'), '__builtins__')"
    got = [f for f in scan(src)["findings"] if f["rule"] == "call-getattr-dunder"]
    assert len(got) == 2 and {f["col"] for f in got} == {0, 8}


def test_findings_are_sorted_and_located():
    src = "import os\n\nx = 1\nos.system('a'); eval('b')\n"
    locs = [(f["line"], f["col"]) for f in scan(src)["findings"]]
    assert locs == sorted(locs) and (4, 0) in locs and (4, 16) in locs


# ---- syntax errors and odd input -------------------------------------------------------------------
@pytest.mark.parametrize("src", [
    "def f(:\n    pass\n", "x = (\n", "print 'python2'\n", "a = 1\x00\n", "x = " + "(" * 300 + ")" * 300,
])
def test_syntax_errors_are_findings(src):
    r = scan(src)
    assert [f["rule"] for f in r["findings"]] == ["syntax-error"]
    assert r["findings"][0]["severity"] == "high" and r["level"] == "HIGH"


def test_too_deep_is_a_finding_not_a_crash():
    r = scan("x = 1" + "+1" * 200000)
    assert [f["rule"] for f in r["findings"]] == ["analysis-limit"] and r["level"] == "HIGH"


def test_syntax_error_location():
    f = scan("x = 1\ny = (\n")["findings"][0]
    assert f["rule"] == "syntax-error" and f["line"] == 2


def test_undecodable_source():
    r = mlrun_scan.analyze(b"# -*- coding: nope -*-\nx = 1\n")
    assert r["findings"][0]["rule"] == "syntax-error"


def test_latin1_source_with_coding_cookie():
    r = mlrun_scan.analyze("# -*- coding: latin-1 -*-\ns = 'caf\xe9'\nimport os\n".encode("latin-1"))
    assert [f["rule"] for f in r["findings"]] == ["import-os"]


def test_empty_source_is_safe():
    assert scan("") == {"file": "t.py", "findings": [], "score": 100, "level": "SAFE",
                        "counts": {s: 0 for s in mlrun_scan.SEVERITIES}}


# ---- score and level ---------------------------------------------------------------------------------
def f_(rule, severity):
    return {"line": 1, "col": 0, "rule": rule, "severity": severity, "message": ""}


@pytest.mark.parametrize("findings,score,level", [
    ([], 100, "SAFE"),
    ([f_("a", "info")], 100, "SAFE"),
    ([f_("a", "low")], 98, "LOW"),
    ([f_(f"r{i}", "low") for i in range(10)], 80, "LOW"),         # lower edge of LOW
    ([f_(f"r{i}", "low") for i in range(11)], 78, "MEDIUM"),      # many lows add up
    ([f_("a", "medium")], 79, "MEDIUM"),                           # capped: top of MEDIUM
    ([f_("a", "medium")] * 5, 79, "MEDIUM"),                       # repeats of a rule are free
    ([f_(f"m{i}", "medium") for i in range(6)], 52, "MEDIUM"),
    ([f_(f"m{i}", "medium") for i in range(7)], 44, "HIGH"),
    ([f_("a", "high")], 49, "HIGH"),                                # capped: top of HIGH
    ([f_(f"h{i}", "high") for i in range(4)], 20, "HIGH"),          # lower edge of HIGH
    ([f_(f"h{i}", "high") for i in range(5)], 0, "CRITICAL"),
    ([f_("a", "critical")], 19, "CRITICAL"),                        # one critical is CRITICAL
    ([f_("a", "low"), f_("a", "critical")], 19, "CRITICAL"),        # a rule counts at its worst
    ([f_(f"c{i}", "critical") for i in range(4)], 0, "CRITICAL"),   # never below 0
])
def test_score_and_level(findings, score, level):
    assert mlrun_scan.score(findings) == (score, level)


def test_level_bands_are_contiguous():
    bands = dict((name, floor) for floor, name in mlrun_scan.LEVELS)
    assert [bands[n] for n in ("SAFE", "LOW", "MEDIUM", "HIGH", "CRITICAL")] == [100, 80, 50, 20, 0]
    assert mlrun_scan.CAP["low"] == 99 and mlrun_scan.CAP["medium"] == 79
    assert mlrun_scan.CAP["high"] == 49 and mlrun_scan.CAP["critical"] == 19


def test_every_rule_uses_a_known_severity():
    sevs = {s for s, _ in mlrun_scan.IMPORTS.values()} | {r[1] for _, r in mlrun_scan.CALLS}
    assert sevs | set(mlrun_scan.ATTRS.values()) <= set(mlrun_scan.SEVERITIES)


# ---- the command line (the contract of `mlrun scan`) ------------------------------------------------
def run_cli(args, stdin):
    return subprocess.run([sys.executable, "-B", str(SCANNER), *args], input=stdin,
                          capture_output=True, timeout=30 * SLOW)


def test_cli_json_on_stdout_exit_0_with_findings():
    p = run_cli(["--name", "job.py"], b"import os\nos.system('id')\n")
    assert p.returncode == 0 and p.stderr == b""
    r = json.loads(p.stdout)
    assert r["file"] == "job.py" and r["level"] == "CRITICAL" and r["score"] == 19
    assert {"line", "col", "rule", "severity", "message"} == set(r["findings"][0])


def test_cli_default_name_and_json_flag():
    p = run_cli(["--json"], b"print(1)\n")
    assert p.returncode == 0 and json.loads(p.stdout)["file"] == "<stdin>"


def test_cli_syntax_error_is_exit_0():
    p = run_cli(["--name", "bad.py"], b"def (:\n")
    assert p.returncode == 0 and json.loads(p.stdout)["findings"][0]["rule"] == "syntax-error"


def test_cli_text_table():
    p = run_cli(["--name", "job.py", "--text"], b"import subprocess\n")
    out = p.stdout.decode()
    assert p.returncode == 0 and out.startswith("job.py: score 49/100 (100 = nothing found), level HIGH")
    assert "import-subprocess" in out and "LINE" in out


def test_cli_usage_error_is_exit_2():
    p = run_cli(["--frobnicate"], b"")
    assert p.returncode == 2 and b"usage" in p.stderr


def test_cli_internal_error_is_exit_2(monkeypatch, capsys):
    def boom(*a, **k):
        raise RuntimeError("kaput")
    monkeypatch.setattr(mlrun_scan, "analyze", boom)
    monkeypatch.setattr(sys, "stdin", type("S", (), {"buffer": __import__("io").BytesIO(b"x")})())
    assert mlrun_scan.main(["--name", "x.py"]) == 2
    assert "mlrun_scan: internal error: RuntimeError: kaput" in capsys.readouterr().err


def test_analyzer_is_stdlib_only_and_short():
    src = SCANNER.read_text()
    assert len(src.splitlines()) < 400
    tree = __import__("ast").parse(src)
    mods = {a.name.split(".")[0] for n in tree.body if type(n).__name__ == "Import" for a in n.names}
    mods |= {n.module.split(".")[0] for n in tree.body if type(n).__name__ == "ImportFrom"}
    assert mods and mods <= set(sys.stdlib_module_names)
