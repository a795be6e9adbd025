"""The claims runner and ``graphgrad claims``, with small fake claims put in the registry: the run
folder, claims.json, report.md, --check (passing, and failing on a tampered verdict), --list, an
unknown name, and a claim that raises. One test runs a real claim at the tiny size."""
import json
import os
import subprocess
import sys

import pytest

from graphgrad import cli
from graphgrad.claims import registry, runner
from graphgrad.claims.base import DOES_NOT_HOLD, HOLDS, Claim, verdict


def _judge(metrics):
    score = metrics["score"]
    if score > 1:
        return verdict(HOLDS, f"score {score}", "score over 1", robust=score > 2)
    return verdict(DOES_NOT_HOLD, f"score {score}", "score 1 or less")


def _plot(metrics, path):
    from graphgrad.viz._figure import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots()
    ax.plot(metrics["curve"])
    ax.set_title("fake")
    save_figure(fig, path)
    plt.close(fig)


def fake(number, name, score, raises=False):
    def run(settings):
        if raises:
            raise ValueError("the experiment broke")
        assert os.path.isdir(settings.folder)
        return {"score": score, "curve": [settings.seed, settings.seed + 1.5], "size": settings.size,
                "data": "fake data, 3 images"}

    return Claim(number=number, name=name, statement=f"{name} is true | really", source="slide 9",
                 rule="holds when score > 1; robust when score > 2",
                 budget={"quick": "~1 s", "full": "~2 s"}, run=run, judge=_judge, plot=_plot)


@pytest.fixture
def fakes(monkeypatch):
    claims = [fake(1, "first-claim", 3.0), fake(2, "second-claim", 0.5), fake(3, "third-claim", 1.5)]
    monkeypatch.setattr(registry, "_CLAIMS", claims)
    return claims


def read(folder):
    with open(os.path.join(folder, "claims.json")) as f:
        return json.load(f)


def test_a_run_writes_the_folder_claims_json_and_report(fakes, tmp_path):
    lines = []
    path = runner.run_claims(size="quick", seed=7, out=str(tmp_path), command="graphgrad claims x",
                             progress=lines.append)
    assert os.path.basename(path).startswith("claims-") and os.path.dirname(path) == str(tmp_path)
    for c in fakes:
        sub = f"{c.number:02d}-{c.name}"
        assert os.path.isfile(os.path.join(path, sub, "metrics.json"))
        with open(os.path.join(path, "plots", sub + ".png"), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    record = read(path)
    assert record["command"] == "graphgrad claims x" and record["size"] == "quick"
    assert record["seed"] == 7 and record["complete"] and record["failed"] is None
    assert record["graphgrad_version"] and record["date"]
    got = [(c["number"], c["name"], c["verdict"], c["robust"]) for c in record["claims"]]
    assert got == [(1, "first-claim", HOLDS, True), (2, "second-claim", DOES_NOT_HOLD, False),
                   (3, "third-claim", HOLDS, False)]
    first = record["claims"][0]
    assert first["metrics"] == {"score": 3.0, "curve": [7, 8.5], "size": "quick",
                                "data": "fake data, 3 images"}
    assert first["rule"] == fakes[0].rule and first["source"] == "slide 9"
    assert first["statement"] and first["measured"] == "score 3.0" and first["seconds"] >= 0
    with open(os.path.join(path, "01-first-claim", "metrics.json")) as f:
        assert json.load(f) == first["metrics"]
    # progress: a header, then one line per claim as it finishes
    assert len(lines) == 4 and "second-claim" in lines[2] and DOES_NOT_HOLD in lines[2]
    assert "(robust)" in lines[1]

    report = open(os.path.join(path, "report.md")).read()
    assert "graphgrad claims x" in report
    assert "| # | claim | where the lectures make it | measured | verdict | rule |" in report
    assert "| 1 | first-claim: first-claim is true \\| really | slide 9 | score 3.0 | **holds** " \
           "(robust) | holds when score > 1; robust when score > 2 |" in report
    assert "![second-claim](plots/02-second-claim.png)" in report
    assert "Data: fake data, 3 images." in report
    assert "Measured: score 0.5." in report
    did_not_hold = report.split("## Claims that did not hold (or were inconclusive)")[1]
    assert "second-claim" in did_not_hold and "third-claim" not in did_not_hold


def test_claims_run_in_order_and_by_name(fakes, tmp_path):
    path = runner.run_claims(["third-claim", "first-claim"], size="tiny", out=str(tmp_path))
    assert [c["name"] for c in read(path)["claims"]] == ["first-claim", "third-claim"]
    assert sorted(os.listdir(os.path.join(path, "plots"))) == ["01-first-claim.png",
                                                               "03-third-claim.png"]


def test_two_runs_in_the_same_second_get_two_folders(fakes, tmp_path):
    a = runner.run_claims(["first-claim"], size="tiny", out=str(tmp_path))
    b = runner.run_claims(["first-claim"], size="tiny", out=str(tmp_path))
    assert a != b and os.path.isdir(a) and os.path.isdir(b)


def test_a_claim_that_raises_stops_the_run_naming_it_and_keeps_the_finished(monkeypatch, tmp_path):
    monkeypatch.setattr(registry, "_CLAIMS", [fake(1, "good-claim", 3.0),
                                              fake(2, "broken-claim", 3.0, raises=True),
                                              fake(3, "never-run", 3.0)])
    with pytest.raises(runner.ClaimFailed, match="claim 2 broken-claim failed in its experiment: "
                                                 "ValueError: the experiment broke"):
        runner.run_claims(size="tiny", out=str(tmp_path))
    (path,) = tmp_path.iterdir()
    record = read(path)
    assert [c["name"] for c in record["claims"]] == ["good-claim"]
    assert not record["complete"] and record["failed"]["name"] == "broken-claim"
    assert "broken-claim" in (path / "report.md").read_text()


def test_a_claim_whose_metrics_are_not_json_is_named(monkeypatch, tmp_path):
    import numpy as np

    bad = fake(1, "numpy-claim", 3.0)
    bad = Claim(**{**bad.__dict__, "run": lambda s: {"score": np.float32(3.0)}})
    monkeypatch.setattr(registry, "_CLAIMS", [bad])
    with pytest.raises(runner.ClaimFailed, match="numpy-claim .*not JSON serializable"):
        runner.run_claims(size="tiny", out=str(tmp_path))


def test_check_rederives_and_catches_a_tampered_verdict(fakes, tmp_path, capsys):
    path = runner.run_claims(size="tiny", out=str(tmp_path))
    assert cli.main(["claims", "--check", path]) == 0
    assert "3 verdict(s) re-derived, 0 mismatch(es)" in capsys.readouterr().out
    record = read(path)
    record["claims"][1]["verdict"] = HOLDS  # second-claim's score 0.5 does not hold
    with open(os.path.join(path, "claims.json"), "w") as f:
        json.dump(record, f)
    assert cli.main(["claims", "--check", path]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH  second-claim: written 'holds', the rule gives 'does not hold'" in out
    record["claims"][1]["verdict"] = DOES_NOT_HOLD
    record["claims"][0]["robust"] = False  # first-claim is robust by its rule
    with open(os.path.join(path, "claims.json"), "w") as f:
        json.dump(record, f)
    assert cli.main(["claims", "--check", path]) == 1
    assert "first-claim: written 'holds', the rule gives 'holds' (robust)" in capsys.readouterr().out


def test_check_without_claims_json_is_a_user_error(fakes, tmp_path, capsys):
    assert cli.main(["claims", "--check", str(tmp_path)]) == 2
    assert "has no claims.json" in capsys.readouterr().err


def test_list_prints_number_name_statement_and_budgets(fakes, capsys):
    assert cli.main(["claims", "--list"]) == 0
    out = capsys.readouterr().out
    assert " 1. first-claim: first-claim is true | really" in out
    assert "budget: quick ~1 s, full ~2 s" in out
    assert out.index("first-claim") < out.index("second-claim") < out.index("third-claim")


def test_an_unknown_name_lists_the_valid_ones_and_writes_nothing(fakes, tmp_path, capsys):
    out = tmp_path / "runs"
    assert cli.main(["claims", "first-claim", "no-such-claim", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("graphgrad: error: ")
    assert "'no-such-claim'" in err[0] and "first-claim, second-claim, third-claim" in err[0]
    assert not out.exists()


def test_the_command_names_a_raising_claim_and_exits_1(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(registry, "_CLAIMS", [fake(4, "broken-claim", 1.0, raises=True)])
    assert cli.main(["claims", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith(
        "graphgrad: error: claims: claim 4 broken-claim failed in its experiment")


def test_the_command_runs_and_prints_a_line_per_claim(fakes, tmp_path, capsys):
    assert cli.main(["claims", "first-claim", "--quick", "--seed", "3", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "01-first-claim" in out and "holds (robust)" in out and "report:" in out
    (path,) = tmp_path.iterdir()
    record = read(path)
    assert record["command"] == "graphgrad claims first-claim --quick --seed 3 --out " + str(tmp_path)
    assert record["size"] == "quick" and record["seed"] == 3


def test_a_missing_data_folder_or_bad_seed_is_refused_before_any_folder(fakes, tmp_path, capsys):
    out = tmp_path / "runs"
    assert cli.main(["claims", "--data", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "no such folder" in capsys.readouterr().err and not out.exists()
    assert cli.main(["claims", "--seed", "-1", "--out", str(out)]) == 2
    assert "--seed must be an integer >= 0, got -1" in capsys.readouterr().err and not out.exists()


def test_check_passes_on_a_real_tiny_run_and_fails_when_tampered(tmp_path, capsys):
    path = runner.run_claims(["mse-vs-cross-entropy"], size="tiny", out=str(tmp_path))
    assert cli.main(["claims", "--check", path]) == 0
    record = read(path)
    entry = record["claims"][0]
    entry["verdict"] = "inconclusive" if entry["verdict"] != "inconclusive" else HOLDS
    with open(os.path.join(path, "claims.json"), "w") as f:
        json.dump(record, f)
    assert cli.main(["claims", "--check", path]) == 1
    assert "MISMATCH  mse-vs-cross-entropy" in capsys.readouterr().out


def test_unknown_name_from_the_real_command(tmp_path):
    out = tmp_path / "runs"
    result = subprocess.run([sys.executable, "-m", "graphgrad", "claims", "nope", "--out", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cnn-vs-mlp" in result.stderr and "mse-vs-cross-entropy" in result.stderr
    assert not out.exists()


def test_check_reports_damaged_metrics_and_unknown_claims(fakes, tmp_path, capsys):
    path = runner.run_claims(size="tiny", out=str(tmp_path))
    record = read(path)
    del record["claims"][0]["metrics"]["score"]
    record["claims"][2]["name"] = "renamed-claim"
    with open(os.path.join(path, "claims.json"), "w") as f:
        json.dump(record, f)
    agreeing, mismatches = runner.check_folder(path)
    assert agreeing == ["second-claim: 'does not hold'"]
    assert mismatches[0].startswith("first-claim: its judge fails on the metrics written (KeyError")
    assert mismatches[1] == "'renamed-claim': no such claim in this graphgrad"
    assert cli.main(["claims", "--check", os.path.join(path, "claims.json")]) == 1


def test_an_interrupted_run_says_where_it_stopped(monkeypatch, tmp_path):
    def interrupted(settings):
        raise KeyboardInterrupt

    stopped = Claim(**{**fake(2, "slow-claim", 1.0).__dict__, "run": interrupted})
    monkeypatch.setattr(registry, "_CLAIMS", [fake(1, "good-claim", 3.0), stopped])
    with pytest.raises(KeyboardInterrupt):
        runner.run_claims(size="tiny", out=str(tmp_path))
    (path,) = tmp_path.iterdir()
    record = read(path)
    assert [c["name"] for c in record["claims"]] == ["good-claim"] and not record["complete"]
    assert record["failed"]["error"] == "interrupted during claim 2 slow-claim"
    assert "stopped: interrupted during claim 2 slow-claim" in (path / "report.md").read_text()
