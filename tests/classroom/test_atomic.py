"""The grader's files are replaced whole, and a regrade leaves alone what did not change,
but never a link or a file that is not plainly the grader's own."""

import os

from kfunc_lessons.classroom.atomic import write_atomically


def test_a_file_already_holding_the_text_is_left_as_it_is(tmp_path):
    path = tmp_path / "report.html"
    write_atomically(path, "<p>same</p>")
    before = os.stat(path)
    write_atomically(path, "<p>same</p>")
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    write_atomically(path, "<p>changed</p>")
    assert path.read_text() == "<p>changed</p>" and os.stat(path).st_ino != before.st_ino


def test_links_and_odd_modes_are_replaced_even_when_they_hold_the_text(tmp_path):
    pointed_at, outside = tmp_path / "pointed_at.txt", tmp_path / "outside.txt"
    for target in (pointed_at, outside):  # each would be kept if it were the path itself
        write_atomically(target, "same")
    symbolic, hard, private = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    symbolic.symlink_to(pointed_at)
    os.link(outside, hard)
    private.write_text("same")
    private.chmod(0o600)
    for path in (symbolic, hard, private):
        write_atomically(path, "same")
        info = os.lstat(path)
        assert not path.is_symlink() and info.st_nlink == 1
        assert info.st_mode & 0o777 == 0o644 and path.read_text() == "same"
    for target in (pointed_at, outside):
        assert os.stat(target).st_nlink == 1 and target.read_text() == "same"
