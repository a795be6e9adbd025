"""``graphgrad playground`` as a person runs it, where it cannot start: one clear line, status 2."""
import os
import subprocess
import sys


def playground(*args, env=None):
    return subprocess.run([sys.executable, "-m", "graphgrad", "playground", "--no-browser", *args],
                          capture_output=True, text=True, timeout=60, env=env)


def test_without_aiohttp_it_says_what_to_install(tmp_path):
    fake = tmp_path / "aiohttp"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ModuleNotFoundError('no aiohttp here', name='aiohttp')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    result = playground(env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == \
        "graphgrad: error: playground: needs aiohttp: pip install 'graphgrad[playground]'"


def test_a_port_out_of_range_is_refused():
    result = playground("--port", "70000")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--port must be 0 to 65535, got 70000" in result.stderr
