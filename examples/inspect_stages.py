"""Every stage of the compiler for one function: traced IR, optimised IR,
fusion report, LLVM IR and assembly, and the unfused baseline.

Run: ``python examples/inspect_stages.py``. The same is available on the
command line: ``xlaish inspect examples/inspect_stages.py:chain --arg f32[1000] --stage report``.
"""
import numpy as np

import xlaish as xl


def chain(x):
    return np.tanh(((x * 1.5 + 2) * x - 0.5) / (1 + x * x)) * 3 + x


def main():
    x = np.linspace(-3, 3, 1000, dtype=np.float32)

    # make_ir: the traced program, before any pass
    print(xl.make_ir(chain)(x))

    # lower: one signature at every stage (shapes/dtypes are enough: ShapeDtype)
    low = xl.jit(chain).lower(xl.ShapeDtype((1000,), "float32"))
    print(low.as_text("optimized"))          # one `fused` op holding the ten ops
    report = low.fusion_report()
    print(report)

    llvm = low.llvm_ir()                      # after LLVM's optimiser
    asm = low.asm()                           # host machine code
    print(f"LLVM IR: {len(llvm.splitlines())} lines; assembly: {len(asm.splitlines())} lines")

    # the unfused baseline: one kernel per op
    unfused = xl.jit(chain, fuse=False).lower(x).fusion_report()
    print(f"kernels fused: {report.num_kernels}, unfused: {unfused.num_kernels}")
    assert report.num_kernels == 1 and unfused.num_kernels > 1
    assert np.allclose(xl.jit(chain)(x), chain(x), rtol=1e-5, atol=1e-5)


if __name__ == "__main__":
    main()
