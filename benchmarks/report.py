"""The benchmark's report: the JSON record as the text printed on stdout."""

from __future__ import annotations

from typing import Any

from benchmarks.table import spread, table


def _numpy_report(npy: dict[str, Any]) -> list[str]:
    """The engine vs numpy section of the report: both programs' checks, rates and ratios."""
    progs = npy["programs"]
    chk = npy["check"]
    out = [
        "Engine vs numpy, default scenario, one core: two numpy programs of the same model, all "
        "paths at once as arrays, a Python loop over the steps",
        *(
            f"  {name:<8}  {progs[name]['label']}: {progs[name]['implementation']}"
            for name in progs
        ),
        f"  statistics before timing, {chk['n_paths']} paths each (independent random numbers), "
        f"pass if |numpy - engine| < {chk['sigmas']:g} combined s.e.:",
    ]
    names = list(progs)
    rows = []
    for i, r in enumerate(chk[names[0]]["rows"]):
        row = [r["statistic"], f"{r['engine']:.5g}"]
        for name in names:
            rn = chk[name]["rows"][i]
            row += [f"{rn['numpy']:.5g}", f"{rn['z']:+.2f}"]
        rows.append(row)
    headers = ["statistic", "engine"]
    for name in names:
        headers += [name, "diff / s.e."]
    out.append(table(headers, rows))
    out.append(
        f"  timing: engine.block.run_block and both programs on the same paths and steps, back "
        f"to back (order rotating), {npy['repeats']} repeats, sizes interleaved; sizes below the "
        "whole horizon run its first steps (the per-step cost does not depend on the horizon; "
        "the engine's per-path start-up weighs a little more on few steps)"
    )

    def steps_label(size: dict[str, Any]) -> str:
        whole = " (whole)" if size["whole_horizon"] else ""
        return f"{size['n_steps']} x 1h{whole}"

    out.append(
        table(
            [
                "paths",
                "steps",
                "engine M path-steps/s",
                *(f"{n} M/s" for n in names),
                "on-CPU",
                "other load",
            ],
            [
                [
                    f"{size['n_paths']:,}",
                    steps_label(size),
                    spread(size["engine_path_steps_per_s"], ".1f", 1e-6),
                    *(spread(size[f"{n}_path_steps_per_s"], ".2f", 1e-6) for n in names),
                    " / ".join(
                        f"{size[f'{n}_cpu_over_wall']['median']:.0%}" for n in ("engine", *names)
                    ),
                    " / ".join(
                        f"{size[f'{n}_other_load_cores']['median']:.2f}" for n in ("engine", *names)
                    ),
                ]
                for size in npy["sizes"]
            ],
        )
    )
    out.append(
        "  engine speed / numpy speed = numpy time / engine time, per repeat, median [min, max]:"
    )
    out.append(
        table(
            ["paths", *(f"engine / {n} ({w})" for n in names for w in ("wall", "CPU"))],
            [
                [
                    f"{size['n_paths']:,}",
                    *(
                        spread(size[f"engine_over_{n}_speed{suffix}"], ".2f")
                        for n in names
                        for suffix in ("", "_cpu")
                    ),
                ]
                for size in npy["sizes"]
            ],
        )
    )
    target = progs[npy["target_program"]]
    out.append(
        f"  {npy['target']}: that program is {target['implementation']} ({npy['target_program']}); "
        "the ratio to the tuned program is the less favourable comparison, shown beside it."
    )
    out.append("  on-CPU and other load: engine / " + " / ".join(names) + ".")
    return out


def _header(record: dict[str, Any]) -> list[str]:
    """The run's machine, software, command, and the checks."""
    m = record["machine"]
    cpu = m["cpu"]
    v = m["versions"]
    git = record["git"]
    out = [
        "lphedge benchmarks"
        + (
            " (--quick: sizes too small for meaningful figures)"
            if record["settings"]["quick"]
            else ""
        ),
        f"  {record['date']}  commit {str(git['commit'])[:10]}"
        + (" (uncommitted changes)" if git["dirty"] else "")
        + f"  engine sha256 {git['engine_sha256'][:10]}",
        f"  {cpu['model']}, {cpu['logical_cores']} logical cores ({cpu['usable_cores']} usable), "
        f"{m['ram_gib']} GiB RAM, LLVM target {cpu['llvm_host_cpu']}",
        f"  python {v['python']}, numpy {v['numpy']}, numba {v['numba']}, dask {v['dask']}, "
        f"xarray {v['xarray']}",
        f"  command: {record['command']}",
        "  figures: median [min, max] over the repeats; ratios formed per repeat from "
        "back-to-back timings",
        "",
        f"Checks ({len(record['checks'])}, all passed or n/a; all before any timing but the "
        "last two, made on the timed runs)",
    ]
    for c in record["checks"]:
        status = "ok " if c.get("applies", True) else "n/a"
        out.append(f"  {status} {c['name']:<28} {c['case']:<13} {c['detail']}")
    for skip in record.get("skipped_cases", []):
        out.append(f"  SKIPPED case {skip['case']}: {skip['reason']}")
    return out


def _compile_report(comp: dict[str, Any], repeats: int) -> list[str]:
    """Cold and warm first calls of the path kernel."""
    out = [
        "",
        f"Compile time: first call of the path kernel on a {comp['probe_paths']}-path block "
        f"({comp['n_steps']} steps), fresh interpreter each, {repeats} repeat(s)",
    ]
    rows = []
    for label, key in (
        ("cold (empty NUMBA_CACHE_DIR)", "cold"),
        ("warm (default cache)", "warm"),
    ):
        p = comp[key]
        rows.append(
            [
                label,
                spread(p["import_s"], ".2f"),
                spread(p["first_call_s"], ".3f"),
                f"{p['second_call_s']['median'] * 1e3:.2f}",
                f"{p['process_wall_s']['median']:.2f}",
            ]
        )
    out.append(table(["", "import s", "first call s", "2nd call ms", "process s"], rows))
    out.append(f"  cold / warm first call: {spread(comp['cold_over_warm_first_call'], '.0f')} x")
    out += [f"  WARNING: {w}" for w in comp["warnings"]]
    return out


_THROUGHPUT_LEGEND = (
    "  engine: the kernel engine.simulate picks (lanes: the SIMD lane kernel; general: the "
    "scalar path kernel, for every case the lane kernel\n  does not support); its floor: the "
    "same draws with the same generator code and nothing else (the lane floor for the lane "
    "kernel,\n  benchmarks.floor.model_floor for the general kernel). engine/floor: time of "
    "the engine over time of its floor, same paths and steps.\n"
    "  draws: normals N and uniforms U per step; +t: a Student-t factor per step; +path: "
    "draws per path besides (listed above).\n"
    "  speed-ups: general kernel time / engine time; scalar floor time / lane floor time. "
    "engine/scalar floor: the lane kernel's time over the scalar floor's.\n"
    "  on-CPU: the main thread's CPU time over wall time in the engine runs (< 100 %: it was "
    "descheduled).\n  other load: cores kept busy by everything else on the machine (other "
    "processes, hypervisor steal)."
)


def _lane_cases_report(lane_cases: dict[str, dict[str, Any]]) -> list[str]:
    """The lane kernel's cases on the general kernel and the scalar floor."""
    return [
        "  the lane kernel's cases on the scalar (general) kernel and the scalar generator, "
        "same slices:",
        table(
            [
                "case",
                "general M path-steps/s",
                "scalar floor M/s",
                "general/scalar floor",
                "engine speed-up (wall)",
                "(CPU)",
                "floor speed-up",
                "engine/scalar floor",
            ],
            [
                [
                    name,
                    spread(c["general_path_steps_per_s"], ".2f", 1e-6),
                    spread(c["scalar_floor_path_steps_per_s"], ".1f", 1e-6),
                    spread(c["general_over_scalar_floor"], ".2f"),
                    spread(c["speedup_over_general"], ".2f"),
                    spread(c["speedup_over_general_cpu"], ".2f"),
                    spread(c["floor_speedup_over_scalar_floor"], ".2f"),
                    spread(c["model_over_scalar_floor"], ".2f"),
                ]
                for name, c in lane_cases.items()
            ],
        ),
    ]


def _throughput_report(tp: dict[str, dict[str, Any]], repeats: int) -> list[str]:
    """Each case's engine and floor rates and their ratios; what each floor draws."""
    first = next(iter(tp.values()))
    out = [
        "",
        f"Single-core throughput: engine.block.run_block in the main thread, "
        f"{first['n_paths']} paths, {repeats} repeats, each in {first['slices']} slices "
        "run engine, its floor[, general kernel, scalar floor], engine, ...",
        table(
            [
                "case",
                "kernel",
                "steps",
                "draws",
                "engine M path-steps/s",
                "its floor M/s",
                "engine/floor (wall)",
                "engine/floor (CPU)",
                "on-CPU",
                "other load",
            ],
            [
                [
                    name,
                    c["kernel"],
                    f"{c['n_steps']} x {c['step_hours']:g}h",
                    c["draw_plan"]["label"],
                    spread(c["model_path_steps_per_s"], ".2f", 1e-6),
                    spread(c["floor_path_steps_per_s"], ".1f", 1e-6),
                    spread(c["model_over_floor"], ".2f"),
                    spread(c["model_over_floor_cpu"], ".2f"),
                    f"{c['model_cpu_over_wall']['median']:.0%}",
                    f"{c['other_load_cores']['median']:.2f}",
                ]
                for name, c in tp.items()
            ],
        ),
    ]
    lane_cases = {name: c for name, c in tp.items() if "speedup_over_general" in c}
    if lane_cases:
        out += _lane_cases_report(lane_cases)
    out.append("  what each floor draws (per path, in the engine's order, nothing else):")
    for name, c in tp.items():
        adl = f"; {c['adl_draws']} ADL draws over the timed paths" if c.get("adl_draws") else ""
        out.append(f"    {name:<13} {c['floor']}: {c['floor_draws']}{adl}")
    out.append(_THROUGHPUT_LEGEND)
    return out


def _parallel_report(par: dict[str, Any], repeats: int) -> list[str]:
    """1 and 2 workers: times, rates, cores, and the speed-up."""
    return [
        "",
        f"Parallel: engine.simulate, threads scheduler, {par['n_paths']} paths in "
        f"{par['n_blocks']} blocks of {par['block_paths']}, {repeats} repeats "
        "(pairs in the order 1, 2 then 2, 1, ...)",
        table(
            ["", "time s", "M path-steps/s", "cores used", "other load"],
            [
                [
                    f"workers={w}",
                    spread(par[f"workers_{w}_s"], ".3f"),
                    spread(par[f"workers_{w}_path_steps_per_s"], ".2f", 1e-6),
                    spread(par[f"workers_{w}_process_cores"], ".2f"),
                    spread(par[f"workers_{w}_other_load_cores"], ".2f"),
                ]
                for w in (1, 2)
            ],
        ),
        f"  speedup t1/t2 {spread(par['speedup'], '.2f')}, "
        f"efficiency t1/(2 t2) {spread(par['efficiency'], '.2f')}",
    ]


def _memory_report(mem: dict[str, Any]) -> list[str]:
    return [
        "",
        f"Peak memory: {mem['call']}",
        f"  {mem['paths']} paths x {mem['n_steps']} steps: peak RSS "
        f"{mem['peak_rss_gib']:.2f} GiB, wall {mem['wall_s']:.1f} s, store "
        f"{mem['store_bytes'] / 2**20:.0f} MiB ({mem['note']})",
    ]


def format_report(record: dict[str, Any]) -> str:
    """The report printed on stdout, section by section, from the JSON record."""
    s = record["settings"]
    out = _header(record)
    if record.get("compile"):
        out += _compile_report(record["compile"], s["compile_repeats"])
    out += _throughput_report(record["throughput"], s["repeats"])
    if record.get("numpy"):
        out += ["", *_numpy_report(record["numpy"])]
    out += _parallel_report(record["parallel"], s["parallel_repeats"])
    if record.get("memory"):
        out += _memory_report(record["memory"])
    out += ["", f"Total {record['total_s']:.0f} s; JSON: {record['json_path']}"]
    return "\n".join(out)
