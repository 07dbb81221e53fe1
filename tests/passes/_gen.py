"""A second random-program strategy for the pass tests, complementing ``tests.helpers.programs``:
it exercises what that one lacks — views (transpose, reshape, slice, broadcast_to), matmul,
concatenate, select, casts, constant-only subexpressions (for fold), repeated subexpressions
(for cse), dead work (for dce) and the algebraic identities simplify rewrites (x*1, x+(-0.0),
x-0.0, x/1, --x, x**2, x**0.5, x*0), on inputs that include -0.0, inf and nan.

Every program is a function of a list of arrays that runs on NumPy and on tracers alike."""
from __future__ import annotations

import dataclasses
import re

import numpy as np

from xlaish import numpy as xnp


@dataclasses.dataclass
class Prog:
    body: object
    source: str
    n_inputs: int
    rtol: float | None = None

    def __call__(self, *xs):
        return self.body(list(xs))

    def __repr__(self):
        return f"<program {self.source}>"


def _bshape(a, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


def shape_programs(max_ops: int = 10):
    """Hypothesis strategy of ``(Prog, inputs)``."""
    from hypothesis import strategies as st

    @st.composite
    def strat(draw):
        dt = np.dtype(draw(st.sampled_from(["float32", "float64", "int32"])))
        is_float = dt.kind == "f"
        m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        shapes = draw(st.lists(st.sampled_from([(m, n), (m, 1), (1, n), (n,), (n, m), ()]),
                               min_size=1, max_size=3))
        inputs = []
        for s in shapes:
            if is_float:
                a = rng.uniform(-3, 3, s).astype(dt)
                if a.size and draw(st.booleans()):      # sprinkle IEEE edge values
                    flat = a.reshape(-1)
                    k = draw(st.integers(0, flat.size - 1))
                    flat[k] = draw(st.sampled_from([-0.0, 0.0, np.inf, -np.inf, np.nan]))
                    a = flat.reshape(s)
            else:
                a = rng.integers(-5, 6, s).astype(dt)
            inputs.append(a)
        # node: (fn(env), source, shape)
        nodes = [((lambda i: lambda env: env[i])(i), f"x{i}", s) for i, s in enumerate(shapes)]
        c = (lambda v: v) if not is_float else (lambda v: float(v))

        def pick(pred=lambda node: True):
            cands = [nd for nd in nodes if pred(nd)]
            return draw(st.sampled_from(cands)) if cands else None

        for _ in range(draw(st.integers(1, max_ops))):
            kind = draw(st.sampled_from(["ident", "ident", "unary", "binary", "binary", "view", "view",
                                         "reduce", "matmul", "const", "concat", "select", "cast", "dup"]))
            fa, sa, sha = pick()
            node = None
            if kind == "ident":
                choices = ["x*1", "1*x", "x/1", "--x", "x**2", "x**1", "x*0", "x+0", "x-0"]
                if is_float:
                    choices += ["x+(-0.0)", "(-0.0)+x", "x-0.0", "x+0.0", "x-(-0.0)", "abs(x)**0.5",
                                "exp(log(x))"]
                name = draw(st.sampled_from(choices))
                f = {
                    "x*1": lambda x: x * c(1), "1*x": lambda x: c(1) * x, "x/1": lambda x: x / c(1),
                    "--x": lambda x: -(-x), "x**2": lambda x: x ** 2, "x**1": lambda x: x ** 1,
                    "x*0": lambda x: x * c(0), "x+0": lambda x: x + c(0), "x-0": lambda x: x - c(0),
                    "x+(-0.0)": lambda x: x + (-0.0), "(-0.0)+x": lambda x: (-0.0) + x,
                    "x-0.0": lambda x: x - 0.0, "x+0.0": lambda x: x + 0.0, "x-(-0.0)": lambda x: x - (-0.0),
                    "abs(x)**0.5": lambda x: np.abs(x) ** 0.5, "exp(log(x))": lambda x: np.exp(np.log(x)),
                }[name]
                if name == "x/1" and not is_float:
                    continue        # would change the dtype of the node
                node = ((lambda f, fa: lambda env: f(fa(env)))(f, fa),
                        "(" + re.sub(r"\bx\b", sa, name) + ")", sha)
            elif kind == "unary":
                names = (["negative", "abs", "tanh", "sin", "exp"] if is_float
                         else ["negative", "abs", "square"])
                name = draw(st.sampled_from(names))
                f = getattr(np, name)
                node = ((lambda f, fa: lambda env: f(fa(env)))(f, fa), f"np.{name}({sa})", sha)
            elif kind == "binary":
                other = pick(lambda nd: _bshape(sha, nd[2]) is not None)
                fb, sb, shb = other
                name = draw(st.sampled_from(["add", "subtract", "multiply", "maximum", "minimum"]))
                f = getattr(np, name)
                node = ((lambda f, fa, fb: lambda env: f(fa(env), fb(env)))(f, fa, fb),
                        f"np.{name}({sa}, {sb})", _bshape(sha, shb))
            elif kind == "view":
                nd = len(sha)
                v = draw(st.sampled_from(["T", "reshape", "slice", "broadcast", "reshape-back"]))
                if v == "T":
                    node = ((lambda fa: lambda env: np.transpose(fa(env)))(fa), f"{sa}.T", sha[::-1])
                elif v == "reshape":
                    size = int(np.prod(sha))
                    node = ((lambda fa, size: lambda env: fa(env).reshape(size))(fa, size),
                            f"{sa}.reshape({size})", (size,))
                elif v == "reshape-back" and nd == 2:
                    tgt = sha[::-1]
                    node = ((lambda fa, tgt: lambda env: fa(env).reshape(tgt).reshape(tgt[::-1]))(fa, tgt),
                            f"{sa}.reshape{tgt}.reshape{tgt[::-1]}", sha)
                elif v == "slice" and nd >= 1 and sha[-1] >= 2:
                    node = ((lambda fa: lambda env: fa(env)[..., ::2])(fa), f"{sa}[..., ::2]",
                            sha[:-1] + ((sha[-1] + 1) // 2,))
                elif v == "broadcast":
                    tgt = _bshape(sha, (m, n))
                    if tgt is not None:
                        # a chain of two broadcasts when the operand has fewer dims than the target
                        chain = len(sha) < len(tgt)
                        node = ((lambda fa, tgt, chain: lambda env: np.broadcast_to(
                            np.broadcast_to(fa(env), tgt[1:]) if chain else fa(env), tgt))(fa, tgt, chain),
                            f"np.broadcast_to({sa}, {tgt})", tgt)
            elif kind == "reduce" and len(sha) >= 1:
                name = draw(st.sampled_from(["sum", "max", "min"]))
                axis = draw(st.integers(0, len(sha) - 1))
                kd = draw(st.booleans())
                f = getattr(np, name)
                shape = tuple(1 if i == axis else d for i, d in enumerate(sha)) if kd else \
                    tuple(d for i, d in enumerate(sha) if i != axis)
                node = ((lambda f, fa, axis, kd: lambda env: f(fa(env), axis=axis, keepdims=kd))(
                    f, fa, axis, kd),
                        f"np.{name}({sa}, axis={axis}, keepdims={kd})", shape)
            elif kind == "matmul" and len(sha) == 2:
                other = pick(lambda nd: len(nd[2]) in (1, 2) and nd[2][0] == sha[1])
                if other is not None:
                    fb, sb, shb = other
                    shape = (sha[0],) + shb[1:]
                    node = ((lambda fa, fb: lambda env: fa(env) @ fb(env))(fa, fb), f"({sa} @ {sb})", shape)
            elif kind == "const":
                size = max(1, int(np.prod(sha)))
                k = draw(st.sampled_from([2, 3]))
                cdt = dt

                def cf(env, fa=fa, size=size, k=k, sha=sha, cdt=cdt):
                    cst = (xnp.arange(size, dtype=cdt) * k - 1).reshape(sha) if sha else \
                        xnp.asarray(cdt.type(k)) * 2
                    return fa(env) + cst
                node = (cf, f"({sa} + const)", sha)
            elif kind == "concat" and len(sha) >= 1:
                other = pick(lambda nd: nd[2][1:] == sha[1:] and len(nd[2]) == len(sha))
                fb, sb, shb = other
                node = ((lambda fa, fb: lambda env: np.concatenate([fa(env), fb(env)], axis=0))(fa, fb),
                        f"np.concatenate([{sa}, {sb}])", (sha[0] + shb[0],) + sha[1:])
            elif kind == "select":
                other = pick(lambda nd: _bshape(sha, nd[2]) is not None)
                fb, sb, shb = other
                node = ((lambda fa, fb: lambda env: np.where(fa(env) > fb(env), fa(env), fb(env)))(fa, fb),
                        f"np.where({sa} > {sb}, {sa}, {sb})", _bshape(sha, shb))
            elif kind == "cast":
                other_dt = np.float64 if dt != np.float64 else np.float32
                node = ((lambda fa, o, d: lambda env: fa(env).astype(o).astype(d))(fa, other_dt, dt),
                        f"{sa}.astype({np.dtype(other_dt).name}).astype({dt.name})", sha)
            elif kind == "dup":
                node = ((lambda fa: lambda env: np.tanh(fa(env)) + np.tanh(fa(env)) if is_float
                         else np.abs(fa(env)) + np.abs(fa(env)))(fa), f"dup({sa})", sha)
            if node is not None:
                nodes.append(node)
        n_out = draw(st.integers(1, 2))
        outs = [nodes[-1]]
        if n_out == 2 and len(nodes) > 1:
            outs.append(nodes[draw(st.integers(0, len(nodes) - 2))])
        if draw(st.booleans()) and len(nodes) > 2:
            dead = nodes[draw(st.integers(0, len(nodes) - 1))]   # computed, then thrown away
            fs = [o[0] for o in outs]
            body = (lambda fs, dead: lambda env: (dead[0](env), tuple(f(env) for f in fs))[1])(fs, dead)
        else:
            fs = [o[0] for o in outs]
            body = (lambda fs: lambda env: tuple(f(env) for f in fs))(fs)
        if len(outs) == 1:
            body = (lambda b: lambda env: b(env)[0])(body)
        source = ", ".join(o[1] for o in outs)
        args = ", ".join(f"x{i}" for i in range(len(inputs)))
        return Prog(body, f"lambda {args}: ({source})", len(inputs)), inputs

    return strat()
