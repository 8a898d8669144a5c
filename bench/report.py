"""Write BENCHMARKS.md: run every benchmark script in ``SECTIONS`` and put its tables under a heading, with the
command, the machine and the date, so that a reader sees in one file how fast the app is against its references.

    python bench/report.py [--only pages,train] [--out BENCHMARKS.md]
    python bench/report.py --list   # the sections as JSON (key, title, command, what), nothing run

With ``--only``, the other sections of an existing file are kept as they are (each keeps its own date line).

Each script prints markdown tables with a reference measured in the same run (a bare Streamlit script, torch, a
bare PyTorch loop, a single session); this file adds nothing of its own but the frame. A script that fails is
reported as failed in its section (with the end of its error output) and the exit code is 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SECTIONS: list[tuple[str, str, list[str], str]] = [
    ("pages", "Pages: first render and rerun vs the bare-Streamlit floor", ["bench/pages.py"],
     "AppTest time of every page's first render and of a rerun after its main control moves, against a one-slider "
     "script in the same process."),
    ("startup", "Cold start", ["bench/startup.py", "--repeats", "5"],
     "Seconds from `streamlit run app.py` to `/_stcore/health` and to the rendered home page in Chromium, against a "
     "one-slider script started the same way."),
    ("latency", "In the browser: slider to redrawn figure, every part, against the bare-Streamlit floor",
     ["bench/latency.py"],
     "Chromium against a real `streamlit run`: an arrow-key press on each part's first slider until its figures are "
     "redrawn and Streamlit is idle (median and slowest of 8), split into the way to the server, the server's run "
     "and the browser's drawing, against a one-slider app with one 100 × 100 heatmap measured in the same run. "
     "Charts out of sight at the press (*later*) are drawn when they come into sight or a moment after, outside "
     "the time measured. Target: median ≤ 1.5× and slowest ≤ 2.5× the floor's median."),
    ("conv", "Convolution: `core.conv2d` vs torch", ["bench/conv.py"],
     "The app's NumPy convolution against `torch.nn.functional.conv2d` on the same inputs."),
    ("pool", "Pooling: `core.pool2d` vs torch", ["bench/pool.py"],
     "The app's pooling against `torch.nn.functional.max_pool2d` / `avg_pool2d`."),
    ("activations", "Activations, curve fit, gradients through depth", ["bench/activations.py"],
     "NumPy activations and slopes against torch; the activation lesson's training times."),
    ("optim", "Optimizers", ["bench/optim.py"],
     "Six optimizers × 1,000 steps against `torch.optim`; the momentum phase diagram."),
    ("train", "Trainer: images/s vs a bare PyTorch loop, time to accuracy", ["bench/train.py"],
     "`core.train.train` against a bare PyTorch loop on the same model, data and device; the default network on "
     "the digits; real MNIST (8,000 / 2,000 of the t10k images) where `../shared/data/mnist-t10k/` is present."),
    ("handwriting", "Handwriting on the drawing pad: real MNIST digits read by the offline digits model",
     ["bench/handwriting.py", "--seeds", "2"],
     "MNIST test digits drawn on a pad-sized picture and sent through `core.drawing.prepare_image`, as the trainer's "
     "pad sends a drawing: the offline digits model before and after the new preparation, the augmentation and "
     "the program's drawn digits, against a model trained on MNIST itself. Needs `../shared/data/mnist-t10k/` "
     "(or `$DLP_MNIST_T10K`)."),
    ("shift", "CNN vs dense network on shifted images", ["bench/shift.py", "--quick"],
     "The trainer's position experiment and its time against a bare PyTorch loop doing the same work."),
    ("gpu", "GPU check", ["bench/gpu_check.py"],
     "`train` vs a bare loop on CUDA, CPU vs CUDA agreement, out-of-memory handling. Skipped without a GPU."),
    ("worst", "Worst links: every parameter at its most expensive allowed value, and the largest checkpoint",
     ["bench/worst.py"],
     "Each page's most expensive allowed link (and a checkpoint of a network at the set-up's limits) against the same "
     "part's default link, each in a fresh process: time of the run and peak memory. Target: within 5× and 300 MB."),
    ("load", "Load: concurrent browser sessions", ["bench/load.py"],
     "Concurrent Chromium sessions walking every lesson while two of them train; time to a ready page, errors, "
     "server memory and threads before and after, against one session alone."),
    ("classroom", "Classroom: answers and drawings to the projector, one server and two replicas behind nginx",
     ["bench/classroom.py"],
     "One teacher and 30 students (10 in Chromium, 20 light clients speaking Streamlit's WebSocket protocol through "
     "the same pages and callbacks) answer a question, then each draw a digit on the pad and send it, at moments "
     "spread over 20 s; the time from each answer or drawing to the projector's count showing it, errors and answers "
     "or drawings lost, on SQLite with one server, on PostgreSQL with one server and on PostgreSQL with two replicas "
     "behind nginx (deploy/nginx.conf), against the projector's re-read interval. Target: p95 ≤ 2 s, no error, "
     "nothing lost."),
]


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.node() or 'this machine'}: {platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}, load average {load:.2f} at the "
            "start")


def run(args: list[str], timeout: float) -> tuple[bool, str, float]:
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout:.0f} s", time.perf_counter() - start
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return False, (done.stdout[-3000:] + "\n" + done.stderr[-3000:]).strip(), seconds
    lines = [line for line in done.stdout.splitlines() if "missing ScriptRunContext" not in line]
    return True, "\n".join(lines).strip(), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated section keys (default: all)")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--timeout", type=float, default=1500.0, help="seconds per script")
    parser.add_argument("--list", action="store_true", help="print the sections as JSON and run nothing")
    args = parser.parse_args()
    if args.list:
        print(json.dumps([{"key": key, "title": title, "command": command, "what": what}
                          for key, title, command, what in SECTIONS], ensure_ascii=False, indent=1))
        return
    chosen = [s for s in SECTIONS if not args.only or s[0] in args.only.split(",")]
    out = Path(args.out)
    kept = sections_of(out.read_text(encoding="utf-8")) if args.only and out.exists() else {}
    today = f"Measured on {dt.date.today().isoformat()}, {machine()}."
    parts = ["# Benchmarks", "",
             "Produced by `python bench/report.py`, which runs each script below and copies its output. Every table "
             "has its reference measured in the same run, on the same machine; ratios compare the two. Each section "
             "says when and where it was measured.", ""]
    failed = []
    for key, title, command, what in SECTIONS:
        if (key, title, command, what) not in chosen:
            if title in kept:
                parts += [kept[title].rstrip("\n"), ""]
            continue
        ok, output, seconds = run(command, args.timeout)
        print(f"{key}: {'ok' if ok else 'FAILED'} in {seconds:.0f} s", flush=True)
        parts += [f"## {title}", "", what, "", f"`python {' '.join(command)}` ({seconds:.0f} s). {today}", ""]
        if ok:
            parts += [output, ""]
        else:
            failed.append(key)
            parts += ["**This script failed in this run:**", "", "```", output, "```", ""]
    out.write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {out}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


def sections_of(text: str) -> dict[str, str]:
    """``## title`` -> that section's text (heading included), from an earlier report."""
    out, title, lines = {}, None, []
    for line in text.splitlines():
        if line.startswith("## "):
            if title:
                out[title] = "\n".join(lines)
            title, lines = line[3:], [line]
        elif title:
            lines.append(line)
    if title:
        out[title] = "\n".join(lines)
    return out


if __name__ == "__main__":
    main()
