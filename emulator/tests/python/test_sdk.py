"""Drives the emulator with the official Python SDK (sprites-py 0.7.2), unchanged.

Reads SPRITES_EMULATOR_URL and SPRITES_EMULATOR_TOKEN. Prints one line per test and a
closing "N passed, N failed" line; exits non-zero on any failure.

Where the SDK and the spec disagree, the spec's live captures win (noted per test).
"""

import io
import os
import sys
import threading
import time
import traceback

from sprites import NetworkPolicy, PolicyRule, SpritesClient
from sprites.exceptions import ExitError, NotFoundError

URL = os.environ["SPRITES_EMULATOR_URL"]
TOKEN = os.environ["SPRITES_EMULATOR_TOKEN"]
NAME = "py-sdk-test"

client = SpritesClient(token=TOKEN, base_url=URL)
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def wait_for(what, check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@test
def create_get_list():
    sprite = client.create_sprite(NAME)
    assert sprite.name == NAME
    got = client.get_sprite(NAME)
    assert got.name == NAME
    names = [s.name for s in client.list_sprites().sprites]
    assert NAME in names, names


@test
def exec_output():
    out = client.sprite(NAME).command("echo", "hello").output()
    assert out == b"hello\n", out


@test
def exec_nonzero_exit_code():
    try:
        client.sprite(NAME).command("sh", "-c", "echo oops >&2; exit 3").run()
    except ExitError as e:
        assert e.exit_code() == 3, e.exit_code()
    else:
        raise AssertionError("expected ExitError")


@test
def exec_stdin():
    out = client.sprite(NAME).command("cat", stdin=io.BytesIO(b"from stdin")).output()
    assert out == b"from stdin", out


@test
def exec_env_and_cwd():
    out = client.sprite(NAME).command(
        "sh", "-c", "echo $GREETING; pwd", env={"GREETING": "hi", "PATH": "/usr/bin:/bin"}, cwd="/tmp"
    ).output()
    assert out == b"hi\n/tmp\n", out


@test
def exec_tty():
    out = client.sprite(NAME).command("sh", "-c", "tty; stty size", tty=True, tty_rows=33, tty_cols=99).output()
    assert b"/dev/pts/" in out, out
    assert b"33 99" in out, out


@test
def list_sessions():
    sprite = client.sprite(NAME)
    done = threading.Event()

    def run():
        try:
            sprite.command("sleep", "2").run()
        finally:
            done.set()

    threading.Thread(target=run, daemon=True).start()
    wait_for("a listed session", lambda: any(s.command.startswith("sleep") for s in sprite.list_sessions()))
    done.wait(20)
    wait_for("the session to leave the list", lambda: not sprite.list_sessions())


@test
def checkpoint_restore_undoes_a_file_change():
    sprite = client.sprite(NAME)
    fs = sprite.filesystem("/home/sprite")
    (fs / "state.txt").write_text("before")
    messages = list(sprite.create_checkpoint("py checkpoint"))
    assert messages, "no checkpoint messages"
    ids = [c.id for c in sprite.list_checkpoints()]
    assert ids[0] == "Current" and "v1" in ids, ids
    (fs / "state.txt").write_text("after")
    list(sprite.restore_checkpoint("v1"))
    assert (fs / "state.txt").read_text() == "before"


@test
def filesystem_write_read_list_delete():
    fs = client.sprite(NAME).filesystem("/home/sprite")
    d = fs / "dir"
    (d / "a.txt").write_text("alpha")
    assert (d / "a.txt").read_text() == "alpha"
    names = sorted(p.name for p in d.iterdir())
    assert names == ["a.txt"], names
    (d / "a.txt").unlink()
    assert not (d / "a.txt").exists()


@test
def services_create_list_stop_delete():
    sprite = client.sprite(NAME)
    stream = sprite.create_service("web", "sh", ["-c", "echo svc-up; sleep 30"], duration=1.0)
    events = list(stream)
    kinds = [e.type for e in events]
    assert "started" in kinds, kinds
    services = sprite.list_services()
    assert [s.name for s in services] == ["web"], services
    list(sprite.stop_service("web"))
    sprite.delete_service("web")
    assert sprite.list_services() == []


@test
def network_policy_get_set():
    sprite = client.sprite(NAME)
    assert sprite.get_network_policy().rules == []
    sprite.update_network_policy(
        NetworkPolicy(rules=[PolicyRule(include="defaults"), PolicyRule(domain="example.com", action="allow")])
    )
    rules = sprite.get_network_policy().rules
    assert [(r.domain, r.action, r.include) for r in rules] == [
        (None, None, "defaults"),
        ("example.com", "allow", None),
    ], rules


@test
def delete_sprite():
    client.delete_sprite(NAME)
    try:
        client.get_sprite(NAME)
    except NotFoundError:
        pass
    else:
        raise AssertionError("expected NotFoundError after delete")


def main():
    passed = failed = 0
    for fn in TESTS:
        try:
            fn()
        except Exception:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print(f"FAIL {fn.__name__}")
            traceback.print_exc()
        else:
            passed += 1
            print(f"ok   {fn.__name__}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
