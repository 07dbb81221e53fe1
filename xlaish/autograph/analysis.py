"""Name analysis of a function's AST for the control-flow converter (no rewriting here).

Every function here looks at one function's own scope: nested ``def``/``class``
bodies are other scopes and are not entered (a nested function's reads are
counted as reads where it is defined, conservatively). Comprehensions are entered
for reads only (their targets are their own).

* :func:`stores` -- names a block (re)binds: assignments, augmented assignments,
  ``for`` targets, ``with ... as``, imports, nested ``def``/``class`` names.
* :func:`mutation_bases` -- names a block writes *into* (``x[k] = v``, ``x[k] += v``,
  ``x.fill(v)``, ``out=x``): the arrays a loop or branch updates in place.
* :func:`exposed` / :func:`must_def` -- upward-exposed reads (read before any
  assignment in the block) and names assigned on every path, for the backward
  liveness the converter uses to decide what a loop carries and what a branch
  outputs (:func:`live_before`).
* :func:`unconvertible` -- the first construct that keeps a block from becoming a
  region (``return``, ``yield``, ``break`` of a Python loop, attribute assignment,
  ``del``, a Python container method such as ``.append``), as words for the message.
"""
from __future__ import annotations

import ast

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
#: methods that change a Python container in place (a loop body calling them is not a region)
CONTAINER_MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault",
                      "add", "discard", "popitem", "appendleft", "extendleft", "popleft"}
#: ndarray methods that write into the array they are called on
ARRAY_MUTATORS = {"fill", "sort", "put", "partition", "resize", "itemset", "setfield"}
_LOOPS = (ast.For, ast.While, ast.AsyncFor)


def walk_scope(node):
    """Every node under ``node`` (inclusive) that belongs to the same function scope: a nested
    ``def``/``class``/``lambda`` is yielded, with its decorators and defaults, not its body."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, _SCOPES) and n is not node:
            if not isinstance(n, ast.Lambda):
                stack.extend(n.decorator_list)
            if not isinstance(n, ast.ClassDef):
                stack.extend(d for d in n.args.defaults + n.args.kw_defaults if d is not None)
            continue
        stack.extend(ast.iter_child_nodes(n))


def _walk_all(nodes):
    for n in nodes:
        yield from walk_scope(n)


def _target_names(t, out):
    if isinstance(t, ast.Name):
        out.append(t.id)
    elif isinstance(t, (ast.Tuple, ast.List)):
        for e in t.elts:
            _target_names(e, out)
    elif isinstance(t, ast.Starred):
        _target_names(t.value, out)


def stores(nodes) -> list:
    """Names (re)bound in this scope by ``nodes`` (statements or expressions), in first-seen order."""
    comp_targets = set()      # a comprehension's targets are its own scope
    for n in _walk_all(nodes):
        if isinstance(n, _COMPREHENSIONS):
            for g in n.generators:
                comp_targets.update(id(m) for m in ast.walk(g.target))
    out = []
    for n in _walk_all(nodes):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and id(n) not in comp_targets:
            out.append(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out.extend((a.asname or a.name).split(".")[0] for a in n.names)
    return list(dict.fromkeys(out))


def _base_name(t):
    while isinstance(t, (ast.Subscript, ast.Attribute, ast.Starred)):
        t = t.value
    return t.id if isinstance(t, ast.Name) else None


def mutation_bases(nodes) -> list:
    """Names whose arrays ``nodes`` write into (subscript assignment, ``out=``, ``.fill`` ...)."""
    out = []
    for n in _walk_all(nodes):
        targets = []
        if isinstance(n, ast.Assign):
            targets = n.targets
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign)):
            targets = [n.target]
        for t in targets:
            for e in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                if isinstance(e, ast.Subscript):
                    b = _base_name(e)
                    if b:
                        out.append(b)
        if isinstance(n, ast.Call):
            f = n.func
            if isinstance(f, ast.Attribute) and f.attr in ARRAY_MUTATORS:
                b = _base_name(f.value)
                if b:
                    out.append(b)
            for k in n.keywords:
                if k.arg == "out":
                    for e in (k.value.elts if isinstance(k.value, ast.Tuple) else [k.value]):
                        b = _base_name(e)
                        if b:
                            out.append(b)
    return list(dict.fromkeys(out))


def loads(nodes) -> set:
    """Every name read in ``nodes``, nested functions' and comprehensions' free reads included."""
    out = set()
    for n in nodes:
        for m in ast.walk(n):
            if isinstance(m, ast.Name) and isinstance(m.ctx, ast.Load):
                out.add(m.id)
    return out


def _stmt_reads(s) -> set:
    """Reads of a simple statement (an augmented assignment reads its target too)."""
    r = loads([s])
    if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
        r.add(s.target.id)
    return r


def must_def(s) -> set:
    """Names ``s`` binds on every path through it (a loop may run zero times: none)."""
    if isinstance(s, ast.If):
        return _block_def(s.body) & _block_def(s.orelse)
    if isinstance(s, (ast.With, ast.AsyncWith)):
        out = set()
        for w in s.items:
            if w.optional_vars is not None:
                names = []
                _target_names(w.optional_vars, names)
                out.update(names)
        return out | _block_def(s.body)
    if isinstance(s, (ast.For, ast.While, ast.AsyncFor, ast.Try, ast.Match)):
        return set()
    if isinstance(s, ast.AnnAssign) and s.value is None:
        return set()
    return set(stores([s])) - set(n.target.id for n in _walk_all([s])
                                  if isinstance(n, ast.NamedExpr))


def _block_def(stmts) -> set:
    out = set()
    for s in stmts:
        out |= must_def(s)
    return out


def exposed(stmts) -> set:
    """Names read in ``stmts`` before being assigned on the way there (upward-exposed uses)."""
    return live_before(stmts, set())


def live_before(stmts, live_out: set) -> set:
    live = set(live_out)
    for s in reversed(stmts):
        live = (live - must_def(s)) | stmt_exposed(s, live)
    return live


def stmt_exposed(s, live_after: set) -> set:
    """Upward-exposed reads of one statement, given what is live after it."""
    if isinstance(s, ast.If):
        return loads([s.test]) | live_before(s.body, live_after) | live_before(s.orelse, live_after)
    if isinstance(s, (ast.For, ast.AsyncFor, ast.While)):
        if isinstance(s, ast.While):
            return loads([s.test]) | exposed(s.body) | exposed(s.orelse)
        target = []
        _target_names(s.target, target)      # bound before each iteration's body runs
        return loads([s.iter]) | (exposed(s.body) - set(target)) | exposed(s.orelse)
    if isinstance(s, (ast.With, ast.AsyncWith)):
        return loads(s.items) | live_before(s.body, live_after)
    if isinstance(s, ast.Try):
        out = exposed(s.body) | exposed(s.orelse) | exposed(s.finalbody)
        for h in s.handlers:
            out |= exposed(h.body) | (loads([h.type]) if h.type else set())
        return out
    return _stmt_reads(s)


def live_after_each(stmts, live_out: set) -> list:
    """For each statement of a block, the names live right after it."""
    after = [None] * len(stmts)
    live = set(live_out)
    for k in range(len(stmts) - 1, -1, -1):
        after[k] = live
        live = (live - must_def(stmts[k])) | stmt_exposed(stmts[k], live)
    return after


def jumps(stmts, loop_level=True):
    """``break``/``continue`` statements of the loop whose body is ``stmts`` (not nested loops')."""
    out = []
    stack = list(stmts)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Break, ast.Continue)):
            out.append(n)
        elif isinstance(n, _SCOPES):
            continue
        elif isinstance(n, _LOOPS):
            stack.extend(n.orelse)      # an else clause belongs to the enclosing loop
        else:
            stack.extend(ast.iter_child_nodes(n))
    return out


def unconvertible(stmts, python_jumps: bool) -> str | None:
    """Why ``stmts`` cannot become the body of a region op (None: they can).

    ``python_jumps``: a ``break``/``continue`` here belongs to a loop that runs as Python."""
    for n in _walk_all(stmts):
        if isinstance(n, ast.Return):
            return "a `return` statement"
        if isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await)):
            return "a `yield`"
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            return f"a `{type(n).__name__.lower()}` statement"
        if isinstance(n, ast.Delete):
            return "a `del` statement"
        if isinstance(n, (ast.Break, ast.Continue)) and python_jumps:
            return f"a `{type(n).__name__.lower()}` of a loop that runs as Python"
        if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target]):
                for e in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                    if isinstance(e, ast.Attribute):
                        return "an assignment to an attribute (`obj.attr = ...`)"
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) \
                and n.func.attr in CONTAINER_MUTATORS:
            return f"a call to `.{n.func.attr}()` (changing a Python container)"
    return None
