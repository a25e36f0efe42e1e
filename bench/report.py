"""bench/RESULTS.md, written from the runs kept in bench/results/<size>.json (one per size, the latest)
and the findings written by hand in bench/FINDINGS.md."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

SIZES = ("S", "M", "L")
# The targets at M (issue 11): page medians in ms, the sweep, the load, the memory, the floor ratio.
PAGE_TARGETS_MS = {"Team page": 25, "Backlog (50 rows)": 25, "Company cascade": 35, "Check-in submit (htmx)": 30}
SWEEP_SECONDS, SWEEP_QUERIES, LOAD_P95_MS, WEB_RSS_MB, FLOOR_RATIO = 2.0, 20, 250, 150, 3.0


def machine() -> dict[str, Any]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    return {
        "system": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
    }


def _ms(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.1f}"


def _runs(results_dir: Path) -> dict[str, dict[str, Any]]:
    return {
        size: json.loads((results_dir / f"{size}.json").read_text())
        for size in SIZES
        if (results_dir / f"{size}.json").exists()
    }


def _pages(runs: dict[str, dict[str, Any]]) -> list[str]:
    sizes = list(runs)
    names = list(next(iter(runs.values()))["pages"])
    head = (
        "| page | "
        + " | ".join(f"{s} p50 / p95 ms" for s in sizes)
        + " | "
        + " | ".join(f"{s} floor p50 | {s} ratio" for s in sizes)
        + " | queries "
        + " / ".join(sizes)
        + " |"
    )
    lines = [head, "|" + "---|" * (2 + 3 * len(sizes))]
    for name in names:
        cells = [name]
        for s in sizes:
            page = runs[s]["pages"][name]["page"]
            cells.append(f"{_ms(page['p50'])} / {_ms(page['p95'])}")
        for s in sizes:
            page, floor = runs[s]["pages"][name]["page"], runs[s]["pages"][name]["floor"]
            cells.append(_ms(floor["p50"]))
            cells.append(f"{page['p50'] / floor['p50']:.1f}×" if floor["p50"] else "–")
        cells.append(" / ".join(",".join(str(q) for q in runs[s]["pages"][name]["page"]["queries"]) for s in sizes))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _targets(m: dict[str, Any]) -> list[str]:
    rows = []
    for name, target in PAGE_TARGETS_MS.items():
        p50 = m["pages"][name]["page"]["p50"]
        rows.append((f"{name} median ≤ {target} ms", f"{p50:.1f} ms", p50 <= target))
    sweep = m["sweep"][0]
    rows.append(
        (
            f"Full recompute ≤ {SWEEP_SECONDS:g} s in ≤ {SWEEP_QUERIES} queries",
            f"{sweep['seconds']} s, {sweep['queries']} queries",
            sweep["seconds"] <= SWEEP_SECONDS and sweep["queries"] <= SWEEP_QUERIES,
        )
    )
    load = m["load"]
    rows.append(
        (
            f"50 users: p95 ≤ {LOAD_P95_MS} ms, 0 errors",
            f"p95 {load['p95_ms']} ms, {load['errors']} errors",
            load["p95_ms"] <= LOAD_P95_MS and load["errors"] == 0,
        )
    )
    rss = max(m["rss_mb"]["web_workers"] or [float("inf")])
    rows.append((f"Web worker ≤ {WEB_RSS_MB} MB RSS", f"{rss:.0f} MB (largest worker)", rss <= WEB_RSS_MB))
    worst = max(
        ((n, p["page"]["p50"] / p["floor"]["p50"]) for n, p in m["pages"].items() if p["floor"]["p50"]),
        key=lambda pair: pair[1],
    )
    rows.append(
        (f"Every page within {FLOOR_RATIO:g}× its floor", f"worst: {worst[0]} {worst[1]:.1f}×", worst[1] <= FLOOR_RATIO)
    )
    lines = ["| target at M | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {v} | {'yes' if ok else '**no**'} |" for t, v, ok in rows]
    return lines


def write(results_dir: Path, path: Path) -> None:
    runs = _runs(results_dir)
    if not runs:
        return
    out = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`SIZE=S|M|L`, default M) from `bench/results/<size>.json`; the findings at the",
        "end are written by hand (`bench/FINDINGS.md`). Each run builds a fresh database of its size",
        "(`bench/generate.py`), then measures the app as production runs it: gunicorn (3 sync workers, DEBUG",
        "off) and a Celery worker (concurrency 2) over Redis, on PostgreSQL, all on this one machine, with the",
        "HTTP client on the same cores. Latencies are over real HTTP on loopback, from the request sent to the",
        "last byte read. The floor is each page's figures read by raw SQL into minimal HTML in the same server,",
        "behind the same middleware (`bench/floor.py`); the ratio is page p50 ÷ floor p50.",
        "",
        "## Runs",
        "",
        "| size | date | machine | rows | generated in | samples per page |",
        "|---|---|---|---|---|---|",
    ]
    for size, run in runs.items():
        m = run["machine"]
        rows = ", ".join(f"{v:,} {k}" for k, v in run["rows"].items())
        samples = int(next(iter(run["pages"].values()))["page"]["n"])
        out.append(
            f"| {size} | {run['date']} | {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['system']}, Python "
            f"{m['python']}, {run.get('postgres', '')} | {rows} | {run['generate_seconds']} s | {samples} |"
        )
    out += ["", "## Pages", "", *_pages(runs), ""]
    out += ["## Full recompute sweep (the daily job, on the next two days)", ""]
    out += ["| size | day +1 | day +2 |", "|---|---|---|"]
    for size, run in runs.items():
        cells = [f"{s['seconds']} s, {s['queries']} queries, {s['changes']} changes" for s in run["sweep"]]
        out.append(f"| {size} | " + " | ".join(cells) + " |")
    out += ["", "## Load: 50 simulated people", ""]
    out += [
        "Each person waits 1–3 s between requests (offered rate = 50 ÷ 2 s = 25 requests/s); the saturation run",
        "has no waiting. Mix: 44 team members (check-in 25 %, My week 25 %, their KR pages 20 %, backlog 15 %,",
        "team page 15 %), 3 leadership (cascade, heatmap, coverage), 3 leads (team page, backlog, API).",
        "",
        "| size | run | offered req/s | achieved req/s | requests | errors | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size, run in runs.items():
        for label, key in (("1–3 s think time, 60 s", "load"), ("saturation, no think time", "saturation")):
            r = run[key]
            out.append(
                f"| {size} | {label} | {r['offered_rps'] or '–'} | {r['achieved_rps']} | {r['requests']} | "
                f"{r['errors']} | {r['p50_ms']} | {r['p95_ms']} |"
            )
    out += [
        "",
        "## Memory after the load (RSS)",
        "",
        "| size | web workers | web master | Celery main | Celery children |",
    ]
    out += ["|---|---|---|---|---|"]
    for size, run in runs.items():
        r = run["rss_mb"]
        out.append(
            f"| {size} | {', '.join(f'{x:.0f} MB' for x in r['web_workers'])} | {r['web_master']:.0f} MB | "
            f"{r['celery_main']:.0f} MB | {', '.join(f'{x:.0f} MB' for x in r['celery_children'])} |"
        )
    if "M" in runs:
        out += ["", "## Targets at M", "", *_targets(runs["M"])]
    findings = path.parent / "FINDINGS.md"
    if findings.exists():
        out += ["", findings.read_text().rstrip()]
    path.write_text("\n".join(out) + "\n")
