"""Every file the auditor gets is readable like any file its user writes; the master stays private."""

import os
import stat

from auditgame.artifacts import _umask, atomic_write_text


def test_atomic_writes_get_the_permissions_of_a_plain_open(tmp_path):
    atomic_write_text(tmp_path / "atomic.txt", "x")
    (tmp_path / "plain.txt").write_text("x")
    assert stat.S_IMODE((tmp_path / "atomic.txt").stat().st_mode) == stat.S_IMODE(
        (tmp_path / "plain.txt").stat().st_mode
    )


def test_workspace_files_share_one_mode_and_the_master_is_the_owners_only(games):
    game = games["data"]
    expected_file, expected_dir = 0o666 & ~_umask(), 0o777 & ~_umask()
    modes = {}
    for root, directories, files in os.walk(game / "auditor"):
        for name in directories:
            modes[os.path.join(root, name)] = (
                stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode),
                expected_dir,
            )
        for name in files:
            path = os.path.join(root, name)
            # Model files keep the permissions of the organism they were copied from (the same umask here).
            modes[path] = (stat.S_IMODE(os.stat(path).st_mode), expected_file)
    wrong = {path: oct(mode) for path, (mode, want) in modes.items() if mode != want}
    assert not wrong
    assert stat.S_IMODE((game / "master").stat().st_mode) == 0o700
