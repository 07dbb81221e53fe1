"""Parse the text written by :mod:`xlaish.ir.printer` back into a ``Function``."""
from __future__ import annotations

import json
import re

import numpy as np

from .. import dtypes
from ..errors import IRError
from . import opdef as _opdef
from .core import Function, Op, Value
from .types import TensorType

_TOKEN = re.compile(r"""
    (?P<ws>\s+|//[^\n]*)
  | (?P<value>%[A-Za-z0-9_.]+)
  | (?P<func>@[A-Za-z0-9_.]+)
  | (?P<arrow>->)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>-?(?:inf|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<punct>[{}()\[\]<>:,=])
""", re.VERBOSE)


def _tokenize(text):
    pos, out = 0, []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            line = text.count("\n", 0, pos) + 1
            raise IRError(f"IR parse error at line {line}: unexpected {text[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group(), text.count("\n", 0, m.start()) + 1))
    out.append(("eof", "", -1))
    return out


class _Parser:
    def __init__(self, text):
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self, k=0):
        return self.toks[self.i + k]

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, text):
        kind, tok, line = self.next()
        if tok != text:
            raise IRError(f"IR parse error at line {line}: expected {text!r}, got {tok!r}")
        return tok

    def accept(self, text):
        if self.peek()[1] == text:
            self.i += 1
            return True
        return False

    def error(self, what):
        kind, tok, line = self.peek()
        return IRError(f"IR parse error at line {line}: expected {what}, got {tok!r}")

    # types -----------------------------------------------------------------
    def type(self) -> TensorType:
        kind, tok, _ = self.next()
        if kind != "ident":
            self.i -= 1
            raise self.error("a type like f32[4,4]")
        dt = dtypes.canonical(tok)
        self.expect("[")
        dims = []
        while not self.accept("]"):
            dims.append(int(self.next()[1]))
            self.accept(",")
        return TensorType(dims, dt)

    def types(self):
        if self.accept("("):
            ts = []
            while not self.accept(")"):
                ts.append(self.type())
                self.accept(",")
            return ts
        return [self.type()]

    # attributes ------------------------------------------------------------
    def literal(self):
        kind, tok, line = self.next()
        if tok == "[":
            items = []
            while not self.accept("]"):
                items.append(self.literal())
                self.accept(",")
            return items
        if kind == "number" or tok == "nan":
            if tok in ("nan", "inf", "-inf") or any(c in tok for c in ".eE"):
                return float(tok)
            return int(tok)
        if tok in ("true", "false"):
            return tok == "true"
        if kind == "string":
            return json.loads(tok)
        raise IRError(f"IR parse error at line {line}: bad literal {tok!r}")

    def attr_value(self):
        kind, tok, line = self.peek()
        if tok == "dense":
            self.next()
            self.expect("<")
            lit = self.literal()
            self.expect(":")
            t = self.type()
            self.expect(">")
            if t.dtype.kind == "c":      # complex: (re, im) pairs in one more axis
                pairs = np.array(lit, dtype=dtypes.real_dtype(t.dtype)).reshape(t.shape + (2,))
                return pairs.view(t.dtype).reshape(t.shape)
            return np.array(lit, dtype=t.dtype).reshape(t.shape)
        if tok == "none":
            self.next()
            return None
        if kind == "ident" and tok not in ("true", "false", "nan"):
            self.next()
            return dtypes.canonical(tok)
        if tok == "[":
            self.next()
            items = []
            while not self.accept("]"):
                items.append(self.attr_value())
                self.accept(",")
            return tuple(items)
        return self.literal()

    def attrs(self):
        out = {}
        self.expect("{")
        while not self.accept("}"):
            key = self.next()[1]
            self.expect("=")
            out[key] = self.attr_value()
            self.accept(",")
        return out

    # functions -------------------------------------------------------------
    def function(self) -> Function:
        self.expect("func")
        kind, name, line = self.next()
        if kind != "func":
            raise IRError(f"IR parse error at line {line}: expected @name")
        env: dict[str, Value] = {}
        params = []
        self.expect("(")
        while not self.accept(")"):
            kind, vname, line = self.next()
            self.expect(":")
            v = Value(self.type(), hint=vname[1:] if not vname[1:].isdigit() else None)
            if vname in env:
                raise IRError(f"IR parse error at line {line}: {vname} defined twice")
            env[vname] = v
            params.append(v)
            self.accept(",")
        self.expect("->")
        self.types()
        self.expect("{")
        ops = []
        while True:
            kind, tok, line = self.peek()
            if tok == "return":
                self.next()
                results = [self.use(env)]
                while self.accept(","):
                    results.append(self.use(env))
                if self.peek()[1] == "}" and results == [None]:
                    results = []
                self.expect("}")
                return Function(name[1:], params, ops, [r for r in results if r is not None])
            ops.append(self.op(env))

    def use(self, env):
        kind, tok, line = self.peek()
        if kind != "value":
            return None
        self.next()
        if tok not in env:
            raise IRError(f"IR parse error at line {line}: {tok} used before it is defined")
        return env[tok]

    def op(self, env) -> Op:
        names = []
        if self.peek()[0] == "value":
            names.append(self.next()[1])
            while self.accept(","):
                names.append(self.next()[1])
            self.expect("=")
        kind, opname, line = self.next()
        od = _opdef.get(opname)
        operands = []
        v = self.use(env)
        while v is not None:
            operands.append(v)
            if not self.accept(","):
                break
            v = self.use(env)
        attrs = self.attrs() if self.peek()[1] == "{" else {}
        self.expect(":")
        if self.accept("("):
            self.expect(")")
            rtypes = []
        else:
            rtypes = [self.type()]
            while self.accept(","):
                rtypes.append(self.type())
        regions = []
        if self.accept("{"):
            while not self.accept("}"):
                regions.append(self.function())
        if len(rtypes) != len(names):
            raise IRError(f"IR parse error at line {line}: {len(names)} results but {len(rtypes)} types")
        results = []
        for n, t in zip(names, rtypes):
            if n in env:
                raise IRError(f"IR parse error at line {line}: {n} defined twice")
            env[n] = Value(t)
            results.append(env[n])
        return Op(od, operands, attrs, results, regions)


def parse(text: str) -> Function:
    """Parse one ``func`` (the printer's output) into a ``Function``."""
    p = _Parser(text)
    fn = p.function()
    if p.peek()[0] != "eof":
        raise p.error("end of input")
    return fn
