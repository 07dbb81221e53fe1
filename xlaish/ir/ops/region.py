"""Ops that hold nested functions (regions).

``fused``: one kernel. Its single region is a closed function whose
parameters are the op's operands and whose results are the op's results;
the passes create it and the backends compile the region as one loop nest.
"""
from __future__ import annotations

from ...errors import IRError
from ..opdef import INLINED, PURE, REGION, OpDef, register


def _call_region(in_types, attrs, regions):
    (body,) = regions
    if tuple(in_types) != body.param_types:
        raise IRError(f"fused: operand types {tuple(map(str, in_types))} do not match the region's "
                      f"parameters {tuple(map(str, body.param_types))}")
    return body.result_types


def _no_reference(*args, **attrs):
    raise IRError("region ops are run by the interpreter, not by a reference")


def _interp(op, args, interpret):
    return interpret(op.regions[0], args)


register(OpDef(name="fused", arity=None, dtype_rule=None, shape_rule=None, reference=_no_reference,
               region_rule=_call_region, traits=frozenset({REGION, PURE}), lower={"interp": _interp},
               doc="a fusion group: the region is compiled as one kernel"))


# ---- control flow ---------------------------------------------------------------------------
# ``cond``: operands (pred: bool[], *args); regions (then, else), each taking args and returning
# the op's results. ``while``: operands are the initial carried values then loop-invariant extras;
# regions (cond: carried+extras -> bool[], body: carried+extras -> carried). attrs
# ``num_carried`` (and ``trip_count`` when fori_loop knows it).

def _cond_rule(in_types, attrs, regions):
    then, other = regions
    pred, *args = in_types
    if pred.shape != () or pred.dtype.kind != "b":
        raise IRError(f"cond predicate must be bool[], got {pred}")
    for name, r in (("then", then), ("else", other)):
        if tuple(args) != r.param_types:
            raise IRError(f"cond {name} region parameters {tuple(map(str, r.param_types))} do not "
                          f"match operands {tuple(map(str, args))}")
    if then.result_types != other.result_types:
        raise IRError(f"cond branches return {tuple(map(str, then.result_types))} and "
                      f"{tuple(map(str, other.result_types))}")
    return then.result_types


def _cond_interp(op, args, interpret):
    pred, *rest = args
    return interpret(op.regions[0] if bool(pred) else op.regions[1], rest)


def _while_rule(in_types, attrs, regions):
    cond, body = regions
    n = attrs["num_carried"]
    if tuple(in_types) != cond.param_types or tuple(in_types) != body.param_types:
        raise IRError("while regions must take the carried values and extras as parameters")
    if len(cond.results) != 1 or cond.result_types[0].shape != () or cond.result_types[0].dtype.kind != "b":
        raise IRError("while cond region must return one bool[]")
    if body.result_types != tuple(in_types[:n]):
        raise IRError(f"while body returns {tuple(map(str, body.result_types))}, the carried values "
                      f"are {tuple(map(str, in_types[:n]))}")
    return tuple(in_types[:n])


def _while_interp(op, args, interpret):
    n = op.attrs["num_carried"]
    carried, extras = list(args[:n]), list(args[n:])
    while bool(interpret(op.regions[0], carried + extras)[0]):
        carried = list(interpret(op.regions[1], carried + extras))
    return tuple(carried)


register(OpDef(name="cond", arity=None, dtype_rule=None, shape_rule=None, reference=_no_reference,
               region_rule=_cond_rule, traits=frozenset({REGION, PURE}), lower={"interp": _cond_interp},
               doc="if pred: then(args) else: else(args)"))
register(OpDef(name="while", arity=None, dtype_rule=None, shape_rule=None, reference=_no_reference,
               region_rule=_while_rule, traits=frozenset({REGION, PURE}), lower={"interp": _while_interp},
               doc="while cond(carried, extras): carried = body(carried, extras)"))


# ``custom_vjp_call``: a call of a function with a hand-written VJP. attrs ``rule`` (the key of
# the Python-side rule) and ``nargs``. Its region is the primal function; the canonicalize pass
# inlines it before fusion, so backends never see it.
def _call_rule(in_types, attrs, regions):
    (body,) = regions
    if tuple(in_types) != body.param_types:
        raise IRError("custom_vjp_call operands do not match its region's parameters")
    return body.result_types


register(OpDef(name="custom_vjp_call", arity=None, dtype_rule=None, shape_rule=None,
               reference=_no_reference, region_rule=_call_rule,
               traits=frozenset({REGION, PURE, INLINED}),
               lower={"interp": _interp}, doc="call of a function with a custom VJP"))
