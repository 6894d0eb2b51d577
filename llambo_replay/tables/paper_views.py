"""The paper's other views of the end-to-end comparison: the average rank per ML model (its Tables 1 and
2, one per family of tasks) and the regret curve of every task (its Figures 26–28)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from llambo_replay.tables.plotting import STYLES, plotting
from llambo_replay.tables.results import method_order

MODEL_ORDER = ("RandomForest", "SVM", "DecisionTree", "MLP_SGD", "AdaBoost")  # the paper's column order
TABLES_1_2_NOTE = (
    "The paper's Table 1 is this view of the public tasks (public/), its Table 2 of the private and synthetic "
    "ones (synthetic/): its private tasks are not public, so they are absent here, and its published values "
    "are not in the official repository, so they are not beside these"
)


def _models(tasks: pd.Series) -> list[str]:
    """The ML models of `tasks` ('dataset/model'), in the paper's order, any others after."""
    present = {task.split("/")[1] for task in tasks}
    return [m for m in MODEL_ORDER if m in present] + sorted(present - set(MODEL_ORDER))


def rank_by_model(final_ranks: pd.DataFrame) -> pd.DataFrame:
    """Average rank per method and ML model, over that model's tasks, and over every task ('all')."""
    by_model = final_ranks.assign(model=final_ranks["task"].str.split("/").str[1])
    table = by_model.pivot_table(index="method", columns="model", values="rank", aggfunc="mean")
    table = table[_models(final_ranks["task"])]
    table["all"] = final_ranks.groupby("method")["rank"].mean()
    return table.loc[sorted(table.index, key=method_order)]


def rank_by_model_markdown(table: pd.DataFrame, caption: str) -> str:
    lines = [f"{caption}\n", "| method | " + " | ".join(table.columns) + " |", "|---|" + "---|" * len(table.columns)]
    for method, row in table.iterrows():
        lines.append(f"| {method} | " + " | ".join("–" if math.isnan(v) else f"{v:.2f}" for v in row) + " |")
    return "\n".join(lines) + "\n"


def per_task_figure(regret: pd.DataFrame, path: Path, title: str) -> None:
    """One panel per task (data sets down, ML models across): each method's regret, mean over seeds."""
    per_task = regret.groupby(["method", "task", "trial"], as_index=False)["regret"].mean()
    tasks = sorted(per_task["task"].unique())
    datasets = sorted({t.split("/")[0] for t in tasks})
    models = _models(per_task["task"])
    methods = sorted(per_task["method"].unique(), key=method_order)
    with plotting() as plt:
        fig, axes = plt.subplots(
            len(datasets), len(models), figsize=(2.3 * len(models), 1.9 * len(datasets) + 0.8), dpi=90, squeeze=False
        )
        for row, dataset in enumerate(datasets):
            for col, model in enumerate(models):
                axis = axes[row][col]
                task = per_task[per_task["task"] == f"{dataset}/{model}"]
                for i, method in enumerate(methods):
                    c = task[task["method"] == method]
                    line, _ = STYLES[i % len(STYLES)]
                    axis.plot(
                        c["trial"] + 1, c["regret"], color=plt.get_cmap("tab10")(i), ls=line, lw=1.1, label=method
                    )
                axis.set_title(f"{dataset}/{model}", fontsize=7)
                axis.tick_params(labelsize=6)
                axis.grid(alpha=0.3)
                if task.empty:
                    axis.set_axis_off()
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(len(methods), 5), fontsize=7, frameon=False)
        fig.suptitle(title, fontsize=9)
        fig.tight_layout(rect=(0, 0.04 + 0.02 * math.ceil(len(methods) / 5), 1, 0.97))
        fig.savefig(path, format="png", metadata={"Software": None})
        plt.close(fig)
