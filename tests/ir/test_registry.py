"""Every OpDef is complete, checked from the records: a NumPy reference (or an interpreter
rule); a lowering on every backend (``OpDef.lower["cpu"]``/``["cuda"]``: a rule, a
``Structural`` marker or a documented ``NotOnBackend``); a VJP rule when it is declared
differentiable. Also: the op groups and op-name constants agree with the registry, and the
backend tables refuse an incomplete or misspelled table."""
import subprocess
import sys

import pytest

import xlaish.autodiff.rules  # noqa: F401  (attaches the VJP rules)
import xlaish.codegen.cpu.elementwise  # noqa: F401  (attaches the CPU rules)
import xlaish.codegen.cuda.ops  # noqa: F401  (attaches the CUDA rules)
from xlaish.errors import IRError
from xlaish.ir import all_ops, groups, opnames
from xlaish.ir.lowering import BackendRules, check_backend
from xlaish.ir.opdef import ELEMENTWISE, REDUCTION, REGION, SIDE_EFFECT, NotOnBackend, Structural
from xlaish.ir.ops.elementwise import ROWS


def test_every_op_has_a_reference_or_interpreter_rule():
    for name, od in all_ops().items():
        assert callable(od.reference) or "interp" in od.lower, name
        if od.has(REGION) or od.has(SIDE_EFFECT):
            assert "interp" in od.lower, name


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_every_op_has_a_lowering_on_every_backend(backend):
    assert check_backend(backend) == []
    for name, od in all_ops().items():
        rule = od.lower[backend]
        assert callable(rule) or isinstance(rule, (Structural, NotOnBackend)), (name, rule)
        if isinstance(rule, NotOnBackend):
            assert rule.reason, name
        if name in groups.EXPRESSION:           # elementwise ops: a rule of their own
            assert callable(rule), name


def test_backend_tables_are_the_attached_rules():
    from xlaish.codegen.cpu.elementwise import LOWER
    from xlaish.codegen.cuda.ops import EXPR, covered
    assert set(LOWER) == set(EXPR) == set(groups.EXPRESSION)
    for name in groups.EXPRESSION:
        assert all_ops()[name].lower["cpu"] is LOWER[name]
        assert all_ops()[name].lower["cuda"] is EXPR[name]
    assert [n for n in all_ops() if not covered(n)] == []


def test_an_incomplete_or_misspelled_backend_table_is_refused():
    rules = BackendRules("test")
    with pytest.raises(IRError, match="not an elementwise op"):
        rules.set("expp", lambda *a: None)
    rules.set("add", lambda *a: None)
    with pytest.raises(IRError, match="two rules"):
        rules.set("add", lambda *a: None)
    with pytest.raises(IRError, match="no rule for op"):
        rules.finish()


def test_every_op_is_known_to_autodiff():
    from xlaish.autodiff.rules import NON_DIFFERENTIABLE, VJP
    for name, od in all_ops().items():
        if od.has(REGION):
            continue                      # differentiated by the transform itself
        if od.differentiable:
            assert callable(od.vjp) and od.vjp is VJP[name], name
        else:
            assert od.vjp is None and name in NON_DIFFERENTIABLE, name


def test_elementwise_rows_are_registered_with_their_facts():
    for name, row in ROWS.items():
        od = all_ops()[name]
        assert od.has(ELEMENTWISE) and od.arity == row.arity
        assert od.differentiable == row.differentiable
        assert (name in groups.COMMUTATIVE) == row.commutative
    assert groups.COMPARISONS == {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"}


def test_groups_partition_the_registry():
    everything = groups.EXPRESSION | groups.STRUCTURAL | groups.PROGRAM | groups.INLINED
    assert everything == set(all_ops())
    assert not groups.EXPRESSION & groups.STRUCTURAL


def test_op_name_constants_are_complete_and_checked():
    assert {getattr(opnames, n.upper()) for n in all_ops()} == set(all_ops())
    assert set(opnames.__all__) == {n.upper() for n in all_ops()}
    with pytest.raises(ImportError):
        exec("from xlaish.ir.opnames import EXPP", {})
    with pytest.raises(AttributeError, match="did you mean EXP"):
        _ = opnames.EXPP


def test_traits_are_consistent():
    for name, od in all_ops().items():
        assert not (od.has(ELEMENTWISE) and od.has(REDUCTION)), name


def test_ir_and_policy_import_without_llvmlite_or_numba():
    code = ("import sys; import xlaish.ir, xlaish.ir.policy, xlaish.ir.groups, xlaish.ir.lowering, "
            "xlaish.ir.opnames; print('llvmlite' in sys.modules, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_cuda_tables_import_without_numba():
    code = ("import sys; import xlaish.codegen.cuda.ops, xlaish.codegen.cuda.module; "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
