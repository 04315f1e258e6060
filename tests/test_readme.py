"""README's first command, as a new user runs it: a clean clone, a fresh virtualenv."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_IT = "pip install -e . && accord serve --demo"
TEST_IT = "pip install -e '.[test]' && pytest"


def readme_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = {}
    for heading in ("Run it", "Test it"):
        match = re.search(rf"## {heading}\n+```sh\n(.+?)\n```", text, re.S)
        assert match, f"README has no '## {heading}' command block"
        blocks[heading] = match.group(1).strip()
    return blocks


def test_readme_gives_exactly_the_two_commands():
    blocks = readme_commands()
    assert blocks == {"Run it": RUN_IT, "Test it": TEST_IT}


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert TEST_IT in ci


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_run_it_from_a_clean_clone_in_a_fresh_virtualenv(tmp_path):
    clone = tmp_path / "accord"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ACCORD_", "VIRTUAL_ENV", "PYTHONPATH"))
    }
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    port = free_port()
    # README's command, with a free port so a busy 5000 cannot fail the test.
    command = RUN_IT + f" --port {port}"
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        ["bash", "-c", command],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 400
        output = ""
        while time.monotonic() < deadline:
            log.seek(0)
            output = log.read()
            if proc.poll() is not None:
                pytest.fail(f"accord serve --demo exited {proc.returncode}:\n{output[-3000:]}")
            try:
                if urllib.request.urlopen(f"{base}/login", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail(f"no answer on {base}/login:\n{output[-3000:]}")
        match = re.search(r"password[^\n]*?:\s*(\S+)", output, re.I)
        assert match, f"no password printed:\n{output[-3000:]}"
        email = re.findall(r"[\w.+-]+@accord\.local", output)[0]

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode(
            {"email": email, "password": match.group(1), "csrf_token": token}
        ).encode()
        home = opener.open(f"{base}/login", data=body)
        assert home.url.startswith(f"{base}/admin"), home.url
        contacts = opener.open(f"{base}/admin/contact/").read().decode()
        # A populated CRM: the demo's people are listed.
        assert contacts.count("/admin/contact/details/") >= 10
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            proc.wait(20)
