"""Ops that hold nested functions (regions).

``fused``: one kernel. Its single region is a closed function whose
parameters are the op's operands and whose results are the op's results;
the passes create it and the backends compile the region as one loop nest.
"""
from __future__ import annotations

from ...errors import IRError
from ..opdef import PURE, REGION, OpDef, register


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
