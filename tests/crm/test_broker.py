"""The broker `make run` picks (``crm.broker``, ``manage.py preflight --broker-env``): Redis
when CELERY_BROKER_URL names it or it answers on 6379, else kombu's filesystem transport under
var/broker/, on which a real worker runs tasks and the scoring chord like on Redis."""

import io
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery, chord
from django.core.management import call_command

from crm import broker

ROOT = Path(__file__).resolve().parents[2]


def test_the_url_celery_broker_url_names_wins():
    assert broker.choose_broker({"CELERY_BROKER_URL": "redis://x:1/2"}, redis_up=lambda: False) == (
        "redis://x:1/2",
        False,
    )
    assert broker.choose_broker({"CELERY_BROKER_URL": "filesystem://"}) == ("filesystem://", True)


def test_redis_when_it_answers_else_files():
    assert broker.choose_broker({}, redis_up=lambda: True) == (broker.REDIS_DEFAULT, False)
    assert broker.choose_broker({}, redis_up=lambda: False) == (broker.FILES, True)


def test_a_port_where_nothing_listens_does_not_answer():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: refused at once
        assert not broker.redis_answers("127.0.0.1", port)


@pytest.mark.parametrize(
    ("redis_up", "chosen", "said"),
    [
        (False, broker.FILES, ["broker in files under var/broker/: Redis does not answer"]),
        (True, broker.REDIS_DEFAULT, []),
    ],
)
def test_preflight_prints_the_broker_for_the_shell_and_says_files_in_one_line(
    monkeypatch, db, redis_up, chosen, said
):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.setattr(broker, "redis_answers", lambda *a, **k: redis_up)
    out, err = io.StringIO(), io.StringIO()

    call_command("preflight", "--broker-env", stdout=out, stderr=err)

    assert out.getvalue() == f"CELERY_BROKER_URL={chosen}\n"
    lines = err.getvalue().splitlines()
    assert len(lines) == len(said) and all(s in line for s, line in zip(said, lines, strict=True))


def test_settings_on_the_files_broker_keep_messages_and_results_in_its_folder(tmp_path):
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker.FILES,
        "CELERY_BROKER_FOLDER": str(tmp_path),
    }
    env.pop("CELERY_RESULT_BACKEND", None)
    show = (
        "from django.conf import settings as s; "
        "print(s.CELERY_RESULT_BACKEND); print(s.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in'])"
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    backend, messages = result.stdout.split()[-2:]
    assert backend == (tmp_path / "results").as_uri()
    assert messages == str(tmp_path / "messages")
    assert (tmp_path / "control").is_dir()


def test_a_real_worker_runs_tasks_and_a_chord_on_the_files_broker(tmp_path, monkeypatch):
    """A worker process started like `make run` starts it (``celery -A crm worker``), on the
    broker in files; this process sends to it through the same folder."""
    # Like `make run`, one environment names the broker for every process, this one included:
    # Celery reads CELERY_BROKER_URL (and CELERY_RESULT_BACKEND) from the environment before
    # an app's own configuration, so with CI's Redis URL left here the probe below published
    # to Redis while the worker listened on the files, and every result timed out.
    monkeypatch.setenv("CELERY_BROKER_URL", broker.FILES)
    monkeypatch.setenv("CELERY_BROKER_FOLDER", str(tmp_path))
    for name in ("CELERY_RESULT_BACKEND", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool=solo", "-l", "WARNING"],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    options, results = broker.file_broker(tmp_path)
    app = Celery("probe", broker=broker.FILES, backend=results)
    app.conf.update(broker_transport_options=options, accept_content=["json"])
    try:
        with app.connection_for_write() as connection:
            assert connection.transport_cls == "filesystem", connection.as_uri()
        # celery.accumulate (a built-in task) hands its arguments back: broker and results.
        assert app.send_task("celery.accumulate", args=[1, 2]).get(timeout=60) == [1, 2]
        # The nightly scoring is a chord: its end waits for every part through the results.
        parts = [app.signature("celery.accumulate", args=[n]) for n in (1, 2, 3)]
        done = chord(parts)(app.signature("celery.accumulate"))
        assert done.get(timeout=60) == [[[1], [2], [3]]]
        # The worker answers a ping through the files too: `make run` prints the demo users
        # once it does (seed_demo --users --after-worker, Procfile).
        assert app.control.ping(timeout=5)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    assert "Traceback" not in worker.stderr.read()
