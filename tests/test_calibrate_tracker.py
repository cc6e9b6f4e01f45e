"""eval/calibrate_tracker.py: ByteTrack thresholds chosen on a training split with the shipped codec and heads."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from eval.calibrate_tracker import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "synthetic"


@pytest.mark.slow
def test_feature_head_grid_on_the_training_split(tmp_path, capsys):
    out = tmp_path / "calibration.json"
    assert main(["--data", str(SAMPLE), "--rates", "1", "--init", "0.3", "0.7", "--high", "0.3",
                 "--cache-root", str(tmp_path / "cache"), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["split"] == "train" and result["domain"] == "feature" and result["points"] == ["rate1"]
    table = pd.DataFrame(result["results"])
    assert sorted(zip(table["init_track_thr"], table["high"])) == [(0.3, 0.3), (0.7, 0.3)]
    assert table[["HOTA", "MOTA", "IDF1"]].notna().all().all()
    best = table.loc[table["HOTA"].idxmax()]
    assert (result["best"]["init_track_thr"], result["best"]["HOTA"]) == (best["init_track_thr"], best["HOTA"])
    assert f"model.tracker.init_track_thr={best['init_track_thr']}" in capsys.readouterr().out


def test_missing_split_is_one_line_error(tmp_path, capsys):
    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "c.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("calibrate_tracker: ") and err.count("\n") == 1
    assert not (tmp_path / "c.json").exists()
