"""The paper's Tables 1-2 (average rank per ML model) and per-task curves, on regrets whose ranks are known."""

from __future__ import annotations

import pandas as pd

from llambo_replay.tables import metrics, paper_views


def regret_rows(values: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    """(method, task) -> the regret at each seed's last trial (trial 1; trial 0 is ignored)."""
    rows = []
    for (method, task), finals in values.items():
        for seed, final in enumerate(finals):
            rows += [(method, task, seed, 0, 1.0), (method, task, seed, 1, final)]
    return pd.DataFrame(rows, columns=["method", "task", "seed", "trial", "regret"])


def test_ranks_are_per_task_on_seed_means_then_averaged_per_model():
    regret = regret_rows(
        {
            ("Random search", "iris/SVM"): [0.4, 0.6],  # mean 0.5: rank 2
            ("SKOPT (gp_minimize)", "iris/SVM"): [0.1, 0.3],  # mean 0.2: rank 1
            ("Random search", "wine/SVM"): [0.1, 0.1],  # rank 1
            ("SKOPT (gp_minimize)", "wine/SVM"): [0.3, 0.3],  # rank 2
            ("Random search", "wine/AdaBoost"): [0.2, 0.2],  # tied: 1.5 each
            ("SKOPT (gp_minimize)", "wine/AdaBoost"): [0.2, 0.2 + 1e-15],
        }
    )
    table = paper_views.rank_by_model(metrics.final_ranks(regret))
    assert list(table.columns) == ["SVM", "AdaBoost", "all"]
    assert table.loc["Random search"].tolist() == [1.5, 1.5, 1.5]
    assert table.loc["SKOPT (gp_minimize)", "SVM"] == 1.5
    text = paper_views.rank_by_model_markdown(table, "caption")
    assert "| Random search | 1.50 | 1.50 | 1.50 |" in text


def test_a_model_a_method_never_ran_shows_a_dash():
    regret = regret_rows({("Random search", "iris/SVM"): [0.1], ("SKOPT (gp_minimize)", "iris/SVM"): [0.2]})
    regret = pd.concat([regret, regret_rows({("Random search", "iris/AdaBoost"): [0.1]})])
    text = paper_views.rank_by_model_markdown(paper_views.rank_by_model(metrics.final_ranks(regret)), "c")
    assert "| SKOPT (gp_minimize) | 2.00 | – | 2.00 |" in text


def test_the_per_task_figure_is_the_same_bytes_twice(tmp_path):
    regret = regret_rows(
        {("Random search", "iris/SVM"): [0.4], ("Random search", "wine/AdaBoost"): [0.2], ("LLAMBO", "iris/SVM"): [0.1]}
    )
    paper_views.per_task_figure(regret, tmp_path / "a.png", "title")
    paper_views.per_task_figure(regret, tmp_path / "b.png", "title")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
