"""The sandbox's file image (``verifier/sandbox/file_image.py``): what it holds, where it may live, and when it is
rebuilt. The property it exists for (no page-cache channel) is tested through the sandbox in
``test_sandbox_page_cache.py``."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import pytest

from verifier.libraries import LibraryMount
from verifier.sandbox.base import SandboxUnavailableError
from verifier.sandbox.bwrap import python_paths
from verifier.sandbox.image_leases import Leases, prune
from verifier.sandbox.file_image import base_image, filesystem_type, image_root, library_layer, still_current

MOUNTINFO = """\
22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
25 22 0:21 / /dev/shm rw,nosuid,nodev shared:3 - tmpfs tmpfs rw
26 22 0:22 / /srv/with\\040space rw shared:4 - tmpfs none rw
"""


@pytest.fixture
def shm_root():
    """A fresh image directory on tmpfs, removed afterwards."""
    root = Path("/dev/shm") / f"envsynth-test-{uuid.uuid4().hex[:12]}"
    if filesystem_type(Path("/dev/shm")) not in {"tmpfs", "ramfs"}:
        pytest.skip("/dev/shm is not a tmpfs on this machine")
    root.mkdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def leases():
    held = Leases()
    yield held
    held.close()


@pytest.fixture
def mountinfo(tmp_path) -> str:
    path = tmp_path / "mountinfo"
    path.write_text(MOUNTINFO)
    return str(path)


def test_a_path_belongs_to_the_longest_mount_point_above_it(mountinfo):
    assert filesystem_type(Path("/dev/shm/envsynth-images"), mountinfo) == "tmpfs"
    assert filesystem_type(Path("/dev/shmem"), mountinfo) == "ext4"
    assert filesystem_type(Path("/srv/with space/x"), mountinfo) == "tmpfs"


def test_an_image_directory_on_a_disk_filesystem_is_refused_with_the_fix(tmp_path, mountinfo):
    with pytest.raises(SandboxUnavailableError, match="not tmpfs.*ENVSYNTH_IMAGE_DIR"):
        image_root({"ENVSYNTH_IMAGE_DIR": str(tmp_path / "images")}, mountinfo)


def test_the_image_directory_defaults_to_shared_memory(mountinfo):
    assert image_root({}, mountinfo, uid=0) == Path("/dev/shm/envsynth-images")


def test_each_other_user_gets_an_image_directory_of_their_own(mountinfo):
    # root's images are not theirs to lease or remove (the lock files live beside them)
    made = not Path("/dev/shm/envsynth-images-1234").exists()
    try:
        assert image_root({}, mountinfo, uid=1234) == Path("/dev/shm/envsynth-images-1234")
    finally:
        if made:
            Path("/dev/shm/envsynth-images-1234").rmdir()


def test_the_base_holds_the_standard_library_and_no_installed_package(shm_root, leases):
    binary, prefix = python_paths()
    fs = Path(base_image(binary, prefix, shm_root, leases).root)
    stdlib = fs / str(os.path.dirname(os.__file__)).lstrip("/")
    assert (stdlib / "os.py").is_file() and (fs / str(binary).lstrip("/")).is_file()
    assert not (stdlib / "site-packages").exists() and not (stdlib / "test").exists()


def test_no_file_of_the_image_is_writable(shm_root, leases):
    binary, prefix = python_paths()
    fs = Path(base_image(binary, prefix, shm_root, leases).root)
    modes = [path.lstat().st_mode for path in fs.rglob("*") if path.is_file() and not path.is_symlink()]
    assert modes and all(mode & 0o222 == 0 for mode in modes)


def test_a_second_start_reuses_the_base(shm_root, leases):
    binary, prefix = python_paths()
    assert base_image(binary, prefix, shm_root, leases) == base_image(binary, prefix, shm_root, leases)
    assert len([path for path in shm_root.glob("base-*") if path.is_dir()]) == 1


def test_a_base_whose_shared_objects_changed_on_the_host_is_no_longer_current(shm_root, leases):
    binary, prefix = python_paths()
    base = Path(base_image(binary, prefix, shm_root, leases).root).parent
    assert still_current(base)
    record = json.loads((base / "manifest.json").read_text())
    entry = next(entry for entry in record["closure"] if entry[1] == "file")  # [path, "file", host, size, mtime, mode]
    entry[4] += 1  # as if the host's library had been replaced since the base was built
    (base / "manifest.json").write_text(json.dumps(record))
    assert not still_current(base)


def test_a_library_layer_follows_its_source(shm_root, tmp_path, leases):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("X = 1\n")
    mount = LibraryMount(name="pkg", source=str(package), target="/verifier-libs/pkg")
    layer = library_layer(mount, shm_root, leases)
    assert layer.target == mount.target and Path(layer.source, "__init__.py").read_text() == "X = 1\n"
    assert library_layer(mount, shm_root, leases) == layer
    (package / "__init__.py").write_text("X = 2\n")
    changed = library_layer(mount, shm_root, leases)
    assert changed != layer and Path(changed.source, "__init__.py").read_text() == "X = 2\n"


def test_a_module_file_library_is_copied_as_a_file(shm_root, tmp_path, leases):
    (tmp_path / "single.py").write_text("Y = 3\n")
    layer = library_layer(LibraryMount(name="single", source=str(tmp_path / "single.py"),
                                       target="/verifier-libs/single.py"), shm_root, leases)
    assert Path(layer.source).is_file() and Path(layer.source).read_text() == "Y = 3\n"


def make_package(tmp_path: Path, text: str) -> LibraryMount:
    package = tmp_path / "pkg"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text(text)
    return LibraryMount(name="pkg", source=str(package), target="/verifier-libs/pkg")


def test_an_image_no_worker_holds_is_removed_once_another_is_built(shm_root, tmp_path):
    first_worker, second_worker = Leases(), Leases()
    old = Path(library_layer(make_package(tmp_path, "X = 1\n"), shm_root, first_worker).source).parent
    first_worker.close()
    new = Path(library_layer(make_package(tmp_path, "X = 2\n"), shm_root, second_worker).source).parent
    second_worker.close()
    assert new.is_dir() and not old.exists()


def test_an_image_a_worker_holds_is_never_removed(shm_root, tmp_path):
    running, starting = Leases(), Leases()
    old = Path(library_layer(make_package(tmp_path, "X = 1\n"), shm_root, running).source).parent
    library_layer(make_package(tmp_path, "X = 2\n"), shm_root, starting)
    try:
        assert (old / "pkg" / "__init__.py").read_text() == "X = 1\n"
    finally:
        running.close()
        starting.close()


def test_a_lease_taken_after_its_image_was_removed_guards_the_rebuilt_one(shm_root, tmp_path):
    mount = make_package(tmp_path, "X = 1\n")
    first = Leases()
    layer = Path(library_layer(mount, shm_root, first).source).parent
    first.close()
    prune(shm_root)
    assert not layer.exists()
    again = Leases()
    try:
        assert Path(library_layer(mount, shm_root, again).source).parent == layer and layer.is_dir()
        assert prune(shm_root) == [] and layer.is_dir()
    finally:
        again.close()


def test_a_build_left_behind_long_ago_is_removed_and_a_recent_one_kept(shm_root):
    (shm_root / ".build-died").mkdir()
    (shm_root / ".build-running").mkdir()
    old = (shm_root / ".build-died").stat().st_mtime - 7200
    os.utime(shm_root / ".build-died", (old, old))
    assert prune(shm_root) == [".build-died"]
    assert (shm_root / ".build-running").is_dir()


def test_an_image_another_process_removed_after_the_listing_is_skipped(shm_root, tmp_path):
    # Two pools starting at once prune at once: the image one of them lists may be gone by the time it removes it
    # (CI: synth.generate failed with the rename of an image that was already gone).
    worker = Leases()
    layer = Path(library_layer(make_package(tmp_path, "X = 1\n"), shm_root, worker).source).parent
    worker.close()
    listing = sorted(shm_root.iterdir())
    assert prune(shm_root) == [layer.name]  # the other process
    assert prune(shm_root, listing=listing) == []
    assert not (shm_root / f"{layer.name}.lock").exists()  # and no lock file is left guarding nothing
