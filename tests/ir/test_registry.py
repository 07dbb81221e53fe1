"""Every OpDef is complete: a NumPy reference (or an interpreter rule), a CPU lowering and a
CUDA lowering, and autodiff knows it (a VJP rule or declared non-differentiable)."""
import subprocess
import sys

from xlaish.autodiff.rules import NON_DIFFERENTIABLE, VJP
from xlaish.codegen.cpu.elementwise import LOWER
from xlaish.ir import all_ops
from xlaish.ir.opdef import ELEMENTWISE, REDUCTION, REGION, SIDE_EFFECT

# ops the CPU backend handles structurally rather than through the elementwise table
CPU_STRUCTURAL = {
    "astype",                                                     # elementwise.astype
    "sum", "prod", "max", "min", "any", "all", "argmax", "argmin",  # reduce kernels
    "reshape", "transpose", "broadcast_to", "slice", "concatenate",  # index arithmetic / copy
    "constant", "iota", "matmul",                                 # evaluation / matmul kernels
    "fused", "cond", "while", "debug_print", "debug_check",      # program level
    "custom_vjp_call",                                            # inlined by canonicalize
}


def test_every_op_has_a_reference_or_interpreter_rule():
    for name, od in all_ops().items():
        assert callable(od.reference) or "interp" in od.lower, name
        if od.has(REGION) or od.has(SIDE_EFFECT):
            assert "interp" in od.lower, name


def test_every_op_has_a_cpu_lowering():
    missing = [n for n in all_ops() if n not in LOWER and n not in CPU_STRUCTURAL]
    assert missing == []
    # and the structural list names real ops only
    assert CPU_STRUCTURAL <= set(all_ops())


def test_every_op_has_a_cuda_lowering():
    from xlaish.codegen.cuda.ops import covered
    assert [n for n in all_ops() if not covered(n)] == []


def test_every_op_is_known_to_autodiff():
    unknown = [n for n, od in all_ops().items()
               if n not in VJP and n not in NON_DIFFERENTIABLE and not od.has(REGION)]
    assert unknown == []


def test_traits_are_consistent():
    for name, od in all_ops().items():
        assert not (od.has(ELEMENTWISE) and od.has(REDUCTION)), name


def test_cuda_tables_import_without_numba():
    code = ("import sys; import xlaish.codegen.cuda.ops, xlaish.codegen.cuda.module; "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
