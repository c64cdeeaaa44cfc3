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
    assert image_root({}, mountinfo) == Path("/dev/shm/envsynth-images")


def test_the_base_holds_the_standard_library_and_no_installed_package(shm_root):
    binary, prefix = python_paths()
    fs = Path(base_image(binary, prefix, shm_root).root)
    stdlib = fs / str(os.path.dirname(os.__file__)).lstrip("/")
    assert (stdlib / "os.py").is_file() and (fs / str(binary).lstrip("/")).is_file()
    assert not (stdlib / "site-packages").exists() and not (stdlib / "test").exists()


def test_no_file_of_the_image_is_writable(shm_root):
    binary, prefix = python_paths()
    fs = Path(base_image(binary, prefix, shm_root).root)
    modes = [path.lstat().st_mode for path in fs.rglob("*") if path.is_file() and not path.is_symlink()]
    assert modes and all(mode & 0o222 == 0 for mode in modes)


def test_a_second_start_reuses_the_base(shm_root):
    binary, prefix = python_paths()
    assert base_image(binary, prefix, shm_root) == base_image(binary, prefix, shm_root)
    assert len(list(shm_root.glob("base-*"))) == 1


def test_a_base_whose_shared_objects_changed_on_the_host_is_no_longer_current(shm_root):
    binary, prefix = python_paths()
    base = Path(base_image(binary, prefix, shm_root).root).parent
    assert still_current(base)
    record = json.loads((base / "manifest.json").read_text())
    entry = next(entry for entry in record["closure"] if entry[1] == "file")  # [path, "file", host, size, mtime, mode]
    entry[4] += 1  # as if the host's library had been replaced since the base was built
    (base / "manifest.json").write_text(json.dumps(record))
    assert not still_current(base)


def test_a_library_layer_follows_its_source(shm_root, tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("X = 1\n")
    mount = LibraryMount(name="pkg", source=str(package), target="/verifier-libs/pkg")
    layer = library_layer(mount, shm_root)
    assert layer.target == mount.target and Path(layer.source, "__init__.py").read_text() == "X = 1\n"
    assert library_layer(mount, shm_root) == layer
    (package / "__init__.py").write_text("X = 2\n")
    changed = library_layer(mount, shm_root)
    assert changed != layer and Path(changed.source, "__init__.py").read_text() == "X = 2\n"


def test_a_module_file_library_is_copied_as_a_file(shm_root, tmp_path):
    (tmp_path / "single.py").write_text("Y = 3\n")
    layer = library_layer(LibraryMount(name="single", source=str(tmp_path / "single.py"),
                                       target="/verifier-libs/single.py"), shm_root)
    assert Path(layer.source).is_file() and Path(layer.source).read_text() == "Y = 3\n"
