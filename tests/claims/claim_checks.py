"""What every claim's test checks at the tiny size: the metrics survive a JSON round trip, the
judge gives a valid Verdict, the plot writes a PNG."""
import json

from graphgrad.claims import Settings, Verdict, get_claim
from graphgrad.claims.base import VERDICTS


def run_tiny(name, tmp_path, data=None):
    claim = get_claim(name)
    metrics = claim.run(Settings(size="tiny", seed=0, data=data, folder=str(tmp_path)))
    assert json.loads(json.dumps(metrics, allow_nan=False)) == metrics
    v = claim.judge(metrics)
    assert isinstance(v, Verdict) and v.verdict in VERDICTS and v.measured and v.why
    png = tmp_path / "plot.png"
    claim.plot(metrics, str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return metrics, v
