"""Turning a results dict into the markdown tables, the JSON file and the PNG chart.

Derived numbers (all from medians):

* ``x NumPy``  = NumPy time / this time (above 1: faster than NumPy);
* ``x JAX``    = JAX time / this time (above 1: faster than JAX);
* ``fusion``   = xlaish unfused time / xlaish fused time (on the xlaish row);
* ``GB/s``     = bytes of the workload's inputs + outputs / time (what a
  perfect one-pass kernel must move), ``% copy`` = that against the measured
  ``np.copyto`` bandwidth (``--device cuda``: a device-to-device copy).

The README's performance table is :func:`summary_table` of a full run:
``python -m benchmarks.report benchmarks/results/<machine>-<date>.json`` prints it (and the
ratio table) from a results file, without rerunning anything.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

OK = ("ok", "mismatch")


def fmt_time(s) -> str:
    if s is None:
        return "-"
    if s < 1e-6:
        return f"{s * 1e9:.0f} ns"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def fmt_x(v) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}×" if v < 10 else f"{v:.1f}×"


def derive(results: dict) -> None:
    """Fill in vs_numpy / fusion / gbs / pct_copy for every timed result (in place)."""
    copy_gbs = (results.get("copy_bandwidth") or {}).get("gbs")
    for w in results["workloads"]:
        res = w["results"]
        base = res.get("numpy", {})
        t_np = base.get("median_s") if base.get("status") in OK else None
        jx = res.get("jax", {})
        t_jax = jx.get("median_s") if jx.get("status") in OK else None
        for fused, unfused in (("xlaish", "xlaish-unfused"), ("xlaish-cuda", "xlaish-cuda-unfused")):
            f, u = res.get(fused, {}), res.get(unfused, {})
            if f.get("status") in OK and u.get("status") in OK:
                f["fusion_speedup"] = u["median_s"] / f["median_s"]
        for r in res.values():
            if r.get("status") not in OK:
                continue
            t = r["median_s"]
            r["vs_numpy"] = t_np / t if t_np else None
            r["vs_jax"] = t_jax / t if t_jax else None
            r["gbs"] = w["bytes"] / t / 1e9
            r["pct_copy"] = 100 * r["gbs"] / copy_gbs if copy_gbs else None
            if w.get("flops"):
                r["gflops"] = w["flops"] / t / 1e9


def _cell(r) -> str:
    st = r.get("status", "n/a")
    if st in OK:
        s = fmt_time(r["median_s"])
        if r.get("vs_numpy") is not None and r.get("impl") != "numpy":
            s += f" ({fmt_x(r['vs_numpy'])})"
        return s + (" ⚠ mismatch" if st == "mismatch" else "")
    if st == "error":
        return "error"
    return st


def _table(rows) -> list[str]:
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join("---" for _ in rows[0]) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows[1:]]
    return out


def _xlaish(res) -> dict:
    return res.get("xlaish", res.get("xlaish-cuda", {}))


def summary_table(results: dict) -> list[str]:
    """Median per call, (× NumPy) in the cells; the fusion gain and xlaish against JAX."""
    impls = results["impls"]
    rows = [["workload", "size"] + impls + ["fusion gain", "xlaish × JAX"]]
    for w in results["workloads"]:
        res = w["results"]
        x = _xlaish(res)
        rows.append([w["name"], w["size"]] + [_cell({**res.get(i, {}), "impl": i}) for i in impls]
                    + [fmt_x(x.get("fusion_speedup")),
                       fmt_x(x.get("vs_jax")) if x.get("status") in OK else "-"])
    return _table(rows)


def ratio_table(results: dict) -> list[str]:
    """Every implementation's speedup over NumPy and over JAX (time ratios of medians)."""
    impls = [i for i in results["impls"] if i not in ("numpy", "jax")]
    rows = [["workload"] + [f"{i} × NumPy" for i in impls + ["jax"]] + [f"{i} × JAX" for i in impls]]
    for w in results["workloads"]:
        res = w["results"]

        def ratio(i, key, res=res):
            r = res.get(i, {})
            return fmt_x(r.get(key)) + (" ⚠" if r.get("status") == "mismatch" else "") \
                if r.get("status") in OK and r.get(key) else "-"
        rows.append([w["name"]] + [ratio(i, "vs_numpy") for i in impls + ["jax"]]
                    + [ratio(i, "vs_jax") for i in impls])
    return _table(rows)


def detail_table(results: dict) -> list[str]:
    rows = [["workload", "impl", "median", "min", "runs", "× NumPy", "× JAX", "fusion", "GB/s",
             "% copy", "first call", "check"]]
    for w in results["workloads"]:
        for impl in results["impls"]:
            r = w["results"].get(impl, {})
            st = r.get("status", "n/a")
            if st in OK:
                check = "ok" if st == "ok" else f"MISMATCH (max err {r.get('max_abs_err'):.3g})"
                rows.append([w["name"], impl, fmt_time(r["median_s"]), fmt_time(r["min_s"]),
                             f"{r['samples']}×{r['calls_per_sample']}", fmt_x(r.get("vs_numpy")),
                             fmt_x(r.get("vs_jax")), fmt_x(r.get("fusion_speedup")), f"{r['gbs']:.1f}",
                             f"{r['pct_copy']:.0f}%" if r.get("pct_copy") is not None else "-",
                             fmt_time(r.get("first_call_s")), check])
            else:
                why = (r.get("error") or r.get("reason") or "").replace("|", "/").replace("\n", " ")
                rows.append([w["name"], impl] + ["-"] * 9 + [f"{st}: {why[:100]}" if why else st])
    return _table(rows)


def _workload_note(w) -> str:
    s = f"- **{w['name']}** ({w['size']}): {w['title']}" + (f". {w['note']}" if w.get("note") else "")
    extra = [f"{dt} (rtol, atol) = {tuple(t)}" for dt, t in (w.get("tolerance") or {}).items()]
    if w.get("loadavg"):
        extra.append(f"load average at its start {w['loadavg']}")
    return s + (f" [{'; '.join(extra)}]" if extra else "")


def to_markdown(results: dict) -> str:
    m = results["machine"]
    v = m["versions"]
    cb = results.get("copy_bandwidth") or {}
    lines = [f"# xlaish benchmarks: {results['machine_name']}, {results['date']} ({results['mode']})", ""]
    lines.append(f"- machine: {m['cpu']}, {m['cores']} cores ({', '.join(m['simd'][:1]) or 'no SIMD info'}), "
                 f"{m.get('memory_gib')} GiB, {m['platform']}")
    lines.append("- versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val))
    lines.append(f"- device: {results['device']}; xlaish threads: {results.get('xlaish_threads')}; "
                 f"numexpr threads: {results.get('numexpr_threads', '-')}")
    if m.get("env"):
        lines.append("- environment: " + ", ".join(f"`{k}={val}`" for k, val in m["env"].items()))
    if cb:
        what = cb.get("what", "`np.copyto`")
        lines.append(f"- copy bandwidth ({what}, {cb['array_mib']:.0f} MiB float32): "
                     f"{cb['gbs']:.1f} GB/s median (best {cb['best_gbs']:.1f} GB/s), read + write counted")
    lines.append(f"- load average before/after: {results.get('loadavg_before')} / "
                 f"{results.get('loadavg_after')}; wall time {results.get('wall_s', 0):.0f} s")
    if results.get("notes"):
        lines += [f"- note: {n}" for n in results["notes"]]
    if results.get("timing"):
        lines.append(f"- timing: {results['timing']}")
    lines += ["", "## Summary", "",
              "Median time per call; in brackets the speedup over NumPy (NumPy time / this time, "
              "above 1× is faster). *fusion gain* = xlaish unfused time / xlaish fused time; "
              "*xlaish × JAX* = JAX time / xlaish time.", ""]
    lines += summary_table(results)
    lines += ["", "## Ratios", "", "Speedup of each implementation over NumPy and over JAX "
              "(ratio of medians; ⚠: the result differed from NumPy's beyond the tolerance).", ""]
    lines += ratio_table(results)
    ov = results.get("overhead")
    if ov:
        lines += ["", f"## Per-call overhead ({ov['workload']}, N={ov['n']})", ""]
        lines += _table([["impl", "median per call"]] +
                        [[i, fmt_time(r.get("median_s")) if r.get("status") in OK else r.get("status")]
                         for i, r in ov["results"].items()])
    fc = results.get("first_call")
    if fc:
        lines += ["", "## First call (compile) time", "",
                  f"{fc['description']}", ""]
        lines += _table([["what", "time"]] + [[k, fmt_time(val)] for k, val in fc["times"].items()])
    lines += ["", "## Detail", "",
              "GB/s = bytes of inputs + outputs / median time; % copy = against the copy bandwidth "
              "above. runs = samples × calls per sample. first call = the first call of the "
              "implementation (compilation included; xlaish may hit its on-disk cache here).", ""]
    lines += detail_table(results)
    notes = [_workload_note(w) for w in results["workloads"]]
    lines += ["", "## Workloads", ""] + notes
    if results.get("impl_notes"):
        lines += ["", "## Implementations", ""] + [f"- **{k}**: {val}"
                                                   for k, val in results["impl_notes"].items()]
    return "\n".join(lines) + "\n"


def write_json(results: dict, path: str) -> None:
    with open(path, "w") as f:
        json.dump(results, f, indent=1, default=str)
        f.write("\n")


def write_png(results: dict, path: str):
    """A grouped bar chart of speedup over NumPy; returns None, or a note why it was skipped."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: no PNG chart (pip install matplotlib)"
    wls = results["workloads"]
    impls = [i for i in results["impls"] if i != "numpy" and any(
        w["results"].get(i, {}).get("status") in OK for w in wls)]
    colors = {"xlaish": "#1f77b4", "xlaish-unfused": "#aec7e8", "numexpr": "#2ca02c",
              "numba": "#d62728", "jax": "#9467bd", "xlaish-cuda": "#1f77b4",
              "xlaish-cuda-unfused": "#aec7e8", "cupy": "#ff7f0e"}
    fig, ax = plt.subplots(figsize=(10, 1.5 + 0.2 * len(wls) * max(2, len(impls))))
    h = 0.8 / max(1, len(impls))
    for k, impl in enumerate(impls):
        ys, xs = [], []
        for j, w in enumerate(wls):
            r = w["results"].get(impl, {})
            if r.get("status") in OK and r.get("vs_numpy"):
                ys.append(j + (k - (len(impls) - 1) / 2) * h)
                xs.append(r["vs_numpy"])
        ax.barh(ys, xs, height=h, label=impl, color=colors.get(impl))
    labels = []
    for w in wls:
        lab = f"{w['name']}\n{w['size']}"
        for st, word in (("error", "failed"), ("mismatch", "wrong result")):
            bad = [i for i in results["impls"] if w["results"].get(i, {}).get("status") == st]
            if bad:
                lab += f"\n({', '.join(bad)}: {word})"
        labels.append(lab)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(range(len(wls)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("speedup over NumPy (NumPy time / time, log scale; right of the line is faster)")
    ax.set_title(f"xlaish benchmarks: {results['machine_name']} {results['date']} ({results['mode']})")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return None


def output_paths(out_dir: str, stem: str) -> dict:
    """``<out>/<stem>.json|.md|.png``, with ``-2``, ``-3``... added so nothing is overwritten."""
    os.makedirs(out_dir, exist_ok=True)
    base, n = stem, 1
    while any(os.path.exists(os.path.join(out_dir, f"{base}.{ext}")) for ext in ("json", "md")):
        n += 1
        base = f"{stem}-{n}"
    return {ext: os.path.join(out_dir, f"{base}.{ext}") for ext in ("json", "md", "png")}


def main(argv=None) -> int:
    """``python -m benchmarks.report RESULTS.json``: print the README table from a results file."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.report",
                                description="print the summary (README) and ratio tables of a results file")
    p.add_argument("json", help="a results file written by `xlaish bench`")
    p.add_argument("--markdown", action="store_true", help="print the whole markdown report instead")
    a = p.parse_args(argv)
    with open(a.json) as f:
        results = json.load(f)
    if not results.get("impls") or "workloads" not in results:
        print(f"{a.json}: not a results file of `xlaish bench`", file=sys.stderr)
        return 2
    derive(results)
    if a.markdown:
        print(to_markdown(results), end="")
    else:
        print("\n".join(summary_table(results) + [""] + ratio_table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
