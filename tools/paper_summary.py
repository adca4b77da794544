#!/usr/bin/env python3
"""The multiscale rows of Tables 6-8 from results/paper/ (issue 29): every system at every noise
level of the noise study's summary.json, ours beside the paper's value (../shared/PAPER.md, as the
summaries carry it), the ratio ours / paper, the selected steps and each row's epochs. Writes
results/paper/multiscale.md and .csv. Standard library only.

    python3 tools/paper_summary.py
"""
import csv
import json
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "results", "paper")
RUNS = [("ode", "20 000 epochs per stepper"), ("lorenz", "1000 epochs per stepper: a budget row")]


def main():
    rows = []
    for run, budget in RUNS:
        path = os.path.join(ROOT, run, "noisy", "summary.json")
        with open(path) as f:
            summary = json.load(f)
        if summary.get("quick"):
            raise SystemExit(f"{path}: a quick run, not the paper's sizes")
        for e in summary["entries"]:
            ours, paper = e["multiscale_mse"], e.get("paper_mse")
            rows.append({
                "system": e["system"],
                "noise": e["noise"],
                "multiscale_mse": ours,
                "paper_mse": paper,
                "ratio": ours / paper if paper else None,
                "clean_mse": e["multiscale_mse_clean"],
                "selected_steps": f"{min(e['selected_steps'])}..{max(e['selected_steps'])}",
                "epochs": e["epochs"],
                "epoch_limit": e["epoch_limit"],
                "source": f"{run}/noisy/summary.json",
                "budget": budget,
            })
    rows.sort(key=lambda r: (r["noise"], r["source"], r["system"]))
    with open(os.path.join(ROOT, "multiscale.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = [
        "# Multiscale HiTS, Tables 6-8, from our own training",
        "",
        "Test MSE of the multiscale coupling (selected on the validation set) against the noisy test",
        "set, as the paper scores it; `clean` against the clean test trajectories. Made by",
        "`python3 tools/paper_summary.py` from the `noisy/summary.json` files beside it.",
        "",
        "| noise | system | ours | paper | ours / paper | clean | selected (dt) | epochs | from |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        paper = f"{r['paper_mse']:.1e}" if r["paper_mse"] else "-"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] else "-"
        lines.append(
            f"| {r['noise'] * 100:g} % | {r['system']} | {r['multiscale_mse']:.2e} | {paper} | {ratio} | "
            f"{r['clean_mse']:.2e} | {r['selected_steps']} | {r['epochs']} | `{r['source']}` |"
        )
    with open(os.path.join(ROOT, "multiscale.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
