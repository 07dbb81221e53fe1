"""The AST rewrite: a jitted function's ``if``/``for``/``while``/``and``/``or``/``not``/``x if c else y``
become calls into :mod:`.runtime`, which decides at trace time, per statement, whether it runs as
Python (a Python-valued condition, a small static loop) or becomes a ``cond``/``while`` region.

The shape of the rewrite (TensorFlow AutoGraph's): a statement's bodies become nested functions that
declare the names they assign ``nonlocal``, so run as Python they act on the function's own
variables exactly as before; ``get``/``set`` functions read and write the statement's *state* (the
names it assigns or writes into, and the other local names it reads, which the runtime needs to see
aliasing), so the runtime can swap in region parameters while tracing a body and install the
region's results afterwards::

    if x > 0:                      def then_(): nonlocal y; y = y * 2
        y = y * 2         -->      def else_(): nonlocal y; pass
                                   __ag__.if_stmt(x > 0, then_, else_, get, set, ('y',), ...)

``break``/``continue`` of a converted loop are first lowered to flags (the rest of the body is
guarded by ``if not flag``, ``break`` also ends the loop through an extra loop test), so the bodies
are straight-line code plus ``if``s. Names are classified by a backward liveness pass
(:mod:`.analysis`): what is live after a statement and what a loop body reads before assigning
decide what a branch outputs and what a loop carries.

Bodies containing constructs a region cannot hold (``return``, ``yield``, ``del``, attribute
assignment, a Python container's ``.append``...) are left as Python statements whose condition or
iterable goes through ``runtime.python_test``/``python_iter``: today's behaviour when the value is
static, a clear error naming the construct when it is traced.

The rewritten function is compiled with the original file name and line numbers, so tracebacks and
``context.user_location`` point at the user's lines; it keeps the original globals (live) and
closure cells (the same cells: later rebinding of a free variable is seen). Only the jitted function
itself is rewritten: functions it calls run unchanged, and nested ``def``s inside it are not
rewritten either. Anything unexpected (no source, a lambda, a generator, ``global``/``nonlocal``)
returns the function unchanged: today's behaviour.
"""
from __future__ import annotations

import ast
import inspect
import os
import textwrap
import types
import weakref

from . import analysis

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
AG = "__ag__"


def convert(fn):
    """``fn`` with its control flow rewritten (cached per function object), or ``fn`` itself when
    it cannot be (no source, a lambda, a generator, a builtin, a method of xlaish itself...)."""
    try:
        out = _CACHE[fn]
        return fn if out is None else out
    except (KeyError, TypeError):
        pass
    try:
        out = _convert(fn)
    except (OSError, TypeError, SyntaxError, ValueError, IndexError):
        out = fn
    try:        # None for fn itself: a value referring to its key would keep the key alive
        _CACHE[fn] = None if out is fn else out
    except TypeError:
        pass
    return out


def _convert(fn):
    if isinstance(fn, types.MethodType):          # a bound method: its function, bound again
        inner = convert(fn.__func__)
        return fn if inner is fn.__func__ else types.MethodType(inner, fn.__self__)
    if not isinstance(fn, types.FunctionType) or fn.__name__ == "<lambda>":
        return fn
    code = fn.__code__
    if code.co_filename.startswith(_PKG_DIR) or code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE
                                                                 | inspect.CO_ASYNC_GENERATOR):
        return fn
    # the code object's own source (``getsource(fn)`` would follow a decorator's ``__wrapped__``)
    src = textwrap.dedent(inspect.getsource(code))
    tree = ast.parse(src)
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef) or tree.body[0].name != code.co_name:
        return fn
    fdef = tree.body[0]
    a = fdef.args
    if [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs] != \
            list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]):
        return fn       # the file changed since the function was defined
    nodes = list(analysis.walk_scope(fdef))
    if any(isinstance(n, (ast.Global, ast.Nonlocal)) for n in nodes):
        return fn
    if any(_private(getattr(n, "id", None) or getattr(n, "attr", None)) for n in ast.walk(fdef)):
        # `self.__x` in a method: mangle as the class body did (compiled here, outside the class)
        parts = fn.__qualname__.split(".")
        if len(parts) < 2 or parts[-2] == "<locals>" or not parts[-2].strip("_"):
            return fn
        prefix = "_" + parts[-2].lstrip("_")
        for n in ast.walk(fdef):
            for field in ("id", "attr"):
                if _private(getattr(n, field, None)):
                    setattr(n, field, prefix + getattr(n, field))
    if not any(isinstance(n, (ast.If, ast.For, ast.While, ast.BoolOp, ast.IfExp)) or
               isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not) for n in nodes):
        return fn
    ast.increment_lineno(tree, code.co_firstlineno - 1)
    fdef.decorator_list = []
    params = [a.arg for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs]
    params += [a.arg for a in (fdef.args.vararg, fdef.args.kwarg) if a is not None]
    rw = _Rewriter(set(params) | set(analysis.stores(fdef.body)), code.co_filename)
    rw.written = set(analysis.mutation_bases(fdef.body))
    fdef.body = rw.block(rw.fold_returns(fdef.body), set(), False) or [ast.Pass()]
    free = list(code.co_freevars)
    factory = ast.FunctionDef(
        name="__ag_factory", args=ast.arguments(posonlyargs=[], args=[ast.arg(a) for a in free + [AG]],
                                                kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=[fdef, ast.Return(ast.Name(fdef.name, ast.Load()))], decorator_list=[], returns=None,
        type_params=[])
    mod = ast.Module([factory], type_ignores=[])
    ast.copy_location(factory, fdef)
    ast.fix_missing_locations(mod)
    compiled = compile(mod, code.co_filename, "exec", dont_inherit=True)
    fcode = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    new_code = next(c for c in fcode.co_consts if isinstance(c, types.CodeType) and c.co_name == code.co_name)
    from . import runtime
    cells = []
    for name in new_code.co_freevars:
        if name == AG:
            cells.append(types.CellType(runtime))
        elif name in free:
            cells.append(fn.__closure__[free.index(name)])
        else:
            return fn
    out = types.FunctionType(new_code, fn.__globals__, fn.__name__, fn.__defaults__, tuple(cells))
    out.__kwdefaults__ = fn.__kwdefaults__
    out.__qualname__, out.__module__, out.__doc__ = fn.__qualname__, fn.__module__, fn.__doc__
    out.__wrapped_autograph__ = weakref.ref(fn)     # (weakly: the cache above is keyed by fn)
    return out


def _private(name) -> bool:
    return isinstance(name, str) and name.startswith("__") and not name.endswith("__")


def _always_returns(block) -> bool:
    if not block:
        return False
    last = block[-1]
    return isinstance(last, ast.Return) or isinstance(last, ast.If) and _always_returns(last.body) \
        and _always_returns(last.orelse)


def _terminal_returns(block) -> list:
    last = block[-1]
    if isinstance(last, ast.Return):
        return [last]
    return _terminal_returns(last.body) + _terminal_returns(last.orelse)


def _assign_returns(node, names):
    """Replace the terminal returns under ``node`` (an If) by assignments to ``names``."""
    for field in ("body", "orelse"):
        block = getattr(node, field)
        last = block[-1]
        if isinstance(last, ast.Return):
            value = last.value if last.value is not None else ast.Constant(None)
            if len(names) > 1:
                new = [ast.Assign([_name(n, ast.Store())], v) for n, v in zip(names, value.elts)]
            else:
                new = [ast.Assign([_name(names[0], ast.Store())], value)]
            setattr(node, field, block[:-1] + [ast.copy_location(a, last) for a in new])
        else:
            _assign_returns(last, names)


def _name(n, ctx=None):
    return ast.Name(n, ctx or ast.Load())


def _call(attr, args):
    return ast.Call(ast.Attribute(_name(AG), attr, ast.Load()), args, [])


def _const(v):
    return ast.Constant(v)


def _strs(names):
    return ast.Tuple([_const(n) for n in names], ast.Load())


def _lambda(body):
    return ast.Lambda(ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
                      body)


def _def(name, body, args=()):
    return ast.FunctionDef(name=name, args=ast.arguments(posonlyargs=[], args=[ast.arg(a) for a in args],
                                                         kwonlyargs=[], kw_defaults=[], defaults=[]),
                           body=body or [ast.Pass()], decorator_list=[], returns=None, type_params=[])


def _assign(name, value):
    return ast.Assign([_name(name, ast.Store())], value)


_PURE = (ast.Name, ast.Constant, ast.Subscript, ast.Attribute, ast.Slice, ast.Tuple, ast.UnaryOp,
         ast.expr_context, ast.unaryop)


def _pure(node) -> bool:
    """An expression that may be evaluated twice (names, constants, indexing, attributes)."""
    return all(isinstance(n, _PURE) for n in ast.walk(node))


class _Expr(ast.NodeTransformer):
    """``a and b`` -> ``and_(a, lambda: b)``; ``not a`` -> ``not_(a)``; ``a if c else b`` ->
    ``if_exp(c, lambda: a, lambda: b)``; ``a < b < c`` (simple operands) -> ``and_(a < b, ...)``.
    Nested function bodies are left alone."""

    def visit_FunctionDef(self, node):
        return node
    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        fn = "and_" if isinstance(node.op, ast.And) else "or_"
        out = node.values[-1]
        for v in reversed(node.values[:-1]):
            out = ast.copy_location(_call(fn, [v, _lambda(out)]), node)
        return out

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return ast.copy_location(_call("not_", [node.operand]), node)
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        return ast.copy_location(_call("if_exp", [node.test, _lambda(node.body), _lambda(node.orelse)]),
                                 node)

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) < 2 or not all(_pure(c) for c in node.comparators[:-1]):
            return node
        parts, left = [], node.left
        for op, right in zip(node.ops, node.comparators):
            parts.append(ast.copy_location(ast.Compare(left, [op], [right]), node))
            left = right
        return self.visit_BoolOp(ast.copy_location(ast.BoolOp(ast.And(), parts), node))


class _Rewriter:
    def __init__(self, local_names: set, filename: str):
        self.locals = local_names
        self.filename = filename
        self.k = 0
        self.written = set()        # names the function writes into (x[k] = v) anywhere

    def expr(self, node):
        return _Expr().visit(node) if node is not None else None

    def loc(self, node) -> str:
        return f"{self.filename}:{node.lineno}"

    def fresh(self, kind, node):
        self.k += 1
        return f"__ag_{kind}_{node.lineno}_{self.k}"

    # returns in branches -----------------------------------------------------------------------
    def fold_returns(self, stmts) -> list:
        """``if c: ...; return a`` followed by ``...; return b`` (or an ``else`` that returns, elif
        chains included) -> the branches assign the value, one ``return`` after the ``if``: the
        ``if`` can then become a cond. Only when those are the block's only returns."""
        for k, s in enumerate(stmts):
            if not isinstance(s, ast.If) or not _always_returns(s.body):
                continue
            rest = stmts[k + 1:]
            if s.orelse and rest or not _always_returns(s.orelse or rest):
                return stmts
            whole = [s] + rest
            terminal = _terminal_returns(whole[:1] if s.orelse else [ast.If(s.test, s.body, rest)])
            if sum(isinstance(n, ast.Return) for n in analysis._walk_all(whole)) != len(terminal):
                return stmts
            widths = {len(r.value.elts) if isinstance(r.value, ast.Tuple) else None for r in terminal}
            width = widths.pop() if len(widths) == 1 else None
            tag = self.fresh("ret", s)
            names = [f"{tag}_{j}" for j in range(width)] if width else [tag]
            self.locals.update(names)
            new_if = ast.If(s.test, s.body, s.orelse or rest)
            _assign_returns(new_if, names)
            out = ast.Return(ast.Tuple([_name(n) for n in names], ast.Load()) if width else _name(tag))
            return stmts[:k] + [ast.copy_location(new_if, s), ast.copy_location(out, terminal[-1])]
        return stmts

    # blocks ------------------------------------------------------------------------------
    def block(self, stmts, live_out: set, python_jumps: bool) -> list:
        """Rewrite a block. ``python_jumps``: a break/continue here belongs to a Python loop."""
        out = []
        for s, after in zip(stmts, analysis.live_after_each(stmts, live_out)):
            out.extend(self.stmt(s, after, python_jumps))
        return out

    def stmt(self, s, live_after: set, python_jumps: bool) -> list:
        if isinstance(s, ast.If):
            return self.if_(s, live_after, python_jumps)
        if isinstance(s, ast.For):
            return self.for_(s, live_after)
        if isinstance(s, ast.While):
            return self.while_(s, live_after)
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return [s]
        if isinstance(s, (ast.With, ast.Try)):
            inner = live_after | analysis.stmt_exposed(s, live_after)
            for field in ("body", "orelse", "finalbody"):
                if getattr(s, field, None):
                    setattr(s, field, self.block(getattr(s, field), inner, python_jumps))
            for h in getattr(s, "handlers", []):
                h.body = self.block(h.body, inner, python_jumps)
            if isinstance(s, ast.With):
                s.items = [self.expr(w) for w in s.items]
            return [s]
        return [self.expr(s)]

    # state plumbing -------------------------------------------------------------------------
    def state(self, stmts, extra_reads=(), extra_names=()):
        """(names the statement assigns or writes into, other local names it reads, mutated bases)."""
        mut = [n for n in analysis.mutation_bases(stmts) if n in self.locals]
        names = [n for n in list(extra_names) + analysis.stores(stmts) + mut if n in self.locals]
        names = list(dict.fromkeys(names))
        reads = sorted((analysis.loads(stmts) | set(extra_reads)) & self.locals - set(names))
        return names, reads, mut

    def plumbing(self, tag, node, names, reads):
        """Pre-initialisation of ``names`` and the get/set functions (statements, get, set names)."""
        pre = []
        for n in names:
            pre.append(ast.Try(body=[ast.Expr(_name(n))], handlers=[ast.ExceptHandler(
                type=_name("NameError"), name=None, body=[_assign(n, _call("Undefined", [_const(n)]))])],
                orelse=[], finalbody=[]))
        get, set_ = f"{tag}_get", f"{tag}_set"
        vals = [_name(n) for n in names] + [_call("ld", [_lambda(_name(r))]) for r in reads]
        pre.append(_def(get, [ast.Return(ast.Tuple(vals, ast.Load()))]))
        allnames = names + reads
        body = []
        if allnames:
            body = [ast.Nonlocal(allnames), ast.Assign(
                [ast.Tuple([_name(n, ast.Store()) for n in allnames], ast.Store())], _name("__ag_v"))]
        pre.append(_def(set_, body, ["__ag_v"]))
        for p in pre:
            ast.copy_location(p, node)
        return pre, get, set_

    def body_def(self, name, names, stmts, args=()):
        body = ([ast.Nonlocal(list(names))] if names else []) + stmts
        return _def(name, body, args)

    def finish(self, node, stmts):
        for s in stmts:
            ast.copy_location(s, node)
            for n in ast.walk(s):
                if "lineno" in n._attributes and not hasattr(n, "lineno"):
                    ast.copy_location(n, node)
        return stmts

    # if ----------------------------------------------------------------------------------------
    def if_(self, s, live_after, python_jumps):
        test = self.expr(s.test)
        reason = analysis.unconvertible(s.body + s.orelse, python_jumps)
        if reason is not None:
            s.test = _call("python_test", [test, _const(f"an `if` containing {reason}"), _const(self.loc(s))])
            s.body = self.block(s.body, live_after, python_jumps)
            s.orelse = self.block(s.orelse, live_after, python_jumps)
            return [s]
        names, reads, mut = self.state(s.body + s.orelse)
        tag = self.fresh("if", s)
        pre, get, set_ = self.plumbing(tag, s, names, reads)
        then = self.body_def(f"{tag}_then", names, self.block(s.body, live_after, python_jumps))
        else_ = self.body_def(f"{tag}_else", names, self.block(s.orelse, live_after, python_jumps))
        call = ast.Expr(_call("if_stmt", [
            test, _name(then.name), _name(else_.name), _name(get), _name(set_), _strs(names), _strs(reads),
            _strs(sorted(set(mut))), _strs(sorted(live_after & set(names))), _const(self.loc(s)),
            _strs(sorted(set(names) & self.written))]))
        return self.finish(s, pre + [then, else_, call])

    # loops -------------------------------------------------------------------------------------
    def lower_jumps(self, body, brk, cont):
        """Replace the loop's break/continue by flag assignments, guarding what follows them."""
        out = []
        for k, s in enumerate(body):
            if isinstance(s, ast.Break):
                out.append(ast.copy_location(_assign(brk, _const(True)), s))
                return out
            if isinstance(s, ast.Continue):
                out.append(ast.copy_location(_assign(cont, _const(True)), s))
                return out
            if not analysis.jumps([s]):
                out.append(s)
                continue
            if isinstance(s, ast.If):
                s.body = self.lower_jumps(s.body, brk, cont)
                s.orelse = self.lower_jumps(s.orelse, brk, cont)
            elif isinstance(s, (ast.With, ast.Try)):
                for field in ("body", "orelse", "finalbody"):
                    if getattr(s, field, None):
                        setattr(s, field, self.lower_jumps(getattr(s, field), brk, cont))
                for h in getattr(s, "handlers", []):
                    h.body = self.lower_jumps(h.body, brk, cont)
            out.append(s)
            rest = body[k + 1:]
            if rest:
                flags = [_name(f) for f in (brk, cont) if f]
                test = ast.UnaryOp(ast.Not(), flags[0] if len(flags) == 1 else ast.BoolOp(ast.Or(), flags))
                out.append(ast.copy_location(ast.If(test, self.lower_jumps(rest, brk, cont), []), rest[0]))
            return out
        return out

    def loop_prep(self, s):
        """(lowered body, break flag or None, continue flag or None, reason it stays Python)."""
        reason = analysis.unconvertible(s.body, False)
        if s.orelse:
            reason = reason or f"an `else` clause on the `{type(s).__name__.lower()}` loop"
        js = analysis.jumps(s.body)
        if reason is not None:
            return s.body, None, None, reason
        brk = self.fresh("brk", s) if any(isinstance(j, ast.Break) for j in js) else None
        cont = self.fresh("cont", s) if any(isinstance(j, ast.Continue) for j in js) else None
        self.locals.update(f for f in (brk, cont) if f)
        body = self.lower_jumps(s.body, brk, cont) if js else s.body
        if cont:
            body = [ast.copy_location(_assign(cont, _const(False)), s)] + body
        return body, brk, cont, None

    def python_loop(self, s, live_after, reason, wrap_attr):
        s.body = self.block(s.body, live_after | analysis.stmt_exposed(s, live_after), True)
        s.orelse = self.block(s.orelse, live_after, False)
        where = _const(f"{reason}"), _const(self.loc(s))
        if wrap_attr == "iter":
            s.iter = _call("python_iter", [self.iter_expr(s.iter), *where])
        else:
            s.test = _call("python_test", [self.expr(s.test), _const(f"a `while` loop containing {reason}"),
                                           where[1]])
        return [s]

    def loop_live(self, s, body, live_after, brk, head_reads, target=None):
        """Names live after the loop or read by the next iteration before it assigns them."""
        return live_after | (analysis.exposed(body) - {target}) | set(head_reads) | ({brk} if brk else set())

    def iter_expr(self, node):
        it = self.expr(node)
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" \
                and not it.keywords and 1 <= len(it.args) <= 3:
            it = ast.copy_location(_call("range_", [it.func] + it.args), it)
        return it

    def for_(self, s, live_after):
        body, brk, cont, reason = self.loop_prep(s)
        if reason is None and not isinstance(s.target, ast.Name):
            reason = "a loop target that is not a single name"
        if reason is not None:
            return self.python_loop(s, live_after, reason, "iter")
        tgt = s.target.id
        names, reads, mut = self.state(body, extra_names=[tgt] + ([brk] if brk else []))
        live = self.loop_live(s, body, live_after, brk, [brk] if brk else [], tgt)
        tag = self.fresh("for", s)
        pre, get, set_ = self.plumbing(tag, s, names, reads)
        inner = [ast.copy_location(_assign(tgt, _name("__ag_it")), s)] + self.block(body, live, False)
        fbody = self.body_def(f"{tag}_body", names, inner, ["__ag_it"])
        extra = _const(None)
        init = []
        if brk:
            init = [ast.copy_location(_assign(brk, _const(False)), s)]
            extra = _lambda(_call("not_", [_name(brk)]))
        it = self.iter_expr(s.iter)
        call = ast.Expr(_call("for_stmt", [
            it, extra, _name(fbody.name), _name(get), _name(set_), _strs(names), _strs(reads),
            _strs(sorted(set(mut))), _strs(sorted(live & set(names))), _const(self.loc(s))]))
        return self.finish(s, init + pre + [fbody, call])

    def while_(self, s, live_after):
        body, brk, cont, reason = self.loop_prep(s)
        if reason is not None:
            return self.python_loop(s, live_after, reason, "test")
        test = self.expr(s.test)
        if brk:
            test = _call("and_", [_call("not_", [_name(brk)]), _lambda(test)])
        head = analysis.loads([s.test]) | ({brk} if brk else set())
        names, reads, mut = self.state(body, extra_reads=head, extra_names=[brk] if brk else [])
        live = self.loop_live(s, body, live_after, brk, head)
        tag = self.fresh("while", s)
        pre, get, set_ = self.plumbing(tag, s, names, reads)
        tdef = _def(f"{tag}_test", [ast.Return(test)])
        wbody = self.body_def(f"{tag}_body", names, self.block(body, live, False))
        init = [ast.copy_location(_assign(brk, _const(False)), s)] if brk else []
        call = ast.Expr(_call("while_stmt", [
            _name(tdef.name), _name(wbody.name), _name(get), _name(set_), _strs(names), _strs(reads),
            _strs(sorted(set(mut))), _strs(sorted(live & set(names))), _const(self.loc(s))]))
        return self.finish(s, init + pre + [tdef, wbody, call])
