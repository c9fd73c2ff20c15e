#!/usr/bin/env python3
"""Summarize the reference exports: bench/results/exports.md (for people) and exports.json (for scripts).

    summarize.py OUT_DIR [--rerun DIR] --md FILE --json FILE

Reads OUT_DIR/manifest.json (written by export.py) and each exported .onnx with the `onnx` package,
and runs each once in ONNX Runtime. With --rerun, compares every file with the same export from a
second run: whole file, file without its export date, and graph alone.
"""
import argparse
import ast
import hashlib
import json
import math
from collections import Counter
from pathlib import Path

import onnx


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def value_info(v):
    """name, element type and shape of a graph input/output; a symbolic dim is shown by its name."""
    t = v.type.tensor_type
    dims = [d.dim_param if d.dim_param else d.dim_value for d in t.shape.dim]
    return {"name": v.name, "type": onnx.TensorProto.DataType.Name(t.elem_type).lower(), "shape": dims}


def metadata(model):
    """metadata_props as Python values (Ultralytics stores str() of each), names reduced to a count."""
    meta = {}
    for p in model.metadata_props:
        try:
            meta[p.key] = ast.literal_eval(p.value)
        except (ValueError, SyntaxError):
            meta[p.key] = p.value  # plain strings: author, date, license, ...
    names = meta.pop("names", None)
    if isinstance(names, dict):
        meta["names_count"] = len(names)
        meta["names_first"] = [names[k] for k in list(names)[:3]]
    return meta


# Sizes given to symbolic input dims for the ONNX Runtime run (Ultralytics names them so with dynamic=True).
SYMBOLIC_DIMS = {"batch": 2, "height": 480, "width": 640}


def ort_run(path: Path, inputs):
    """Run the model once in ONNX Runtime: proves the export loads and runs, and shows the output
    shapes that a dynamic export really produces (batch 2 at 480x640)."""
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # no warnings about unused initializers and such
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    feed = {v["name"]: np.random.default_rng(0).random(
        [d if isinstance(d, int) else SYMBOLIC_DIMS.get(d, 1) for d in v["shape"]], dtype=np.float32)
        for v in inputs}
    outs = sess.run(None, feed)
    return {"inputs": {k: list(x.shape) for k, x in feed.items()},
            "outputs": [list(y.shape) for y in outs],
            "finite": bool(all(np.isfinite(y).all() for y in outs))}


def describe(path: Path):
    data = path.read_bytes()
    model = onnx.load_from_string(data)
    g = model.graph
    try:
        onnx.checker.check_model(model)
        checker = "ok"
    except Exception as e:  # keep the summary going; the message tells what is wrong
        checker = f"{type(e).__name__}: {e}"[:300]
    # The file without its export date: two exports of the same model should differ by nothing else.
    undated = onnx.ModelProto()
    undated.CopyFrom(model)
    keep = [p for p in undated.metadata_props if p.key != "date"]
    del undated.metadata_props[:]
    undated.metadata_props.extend(keep)
    # The graph alone (nodes, initializers, inputs/outputs), without the value_info shape annotations
    # that onnxslim's shape inference adds: their symbolic dims vary from run to run (dynamic export).
    core = onnx.GraphProto()
    core.CopyFrom(g)
    del core.value_info[:]
    init_names = {t.name for t in g.initializer}
    reads = Counter(i for n in g.node for i in n.input if i in init_names)
    return {
        "sha256": sha256(data),
        "undated_sha256": sha256(undated.SerializeToString()),
        "graph_sha256": sha256(core.SerializeToString()),
        "bytes": len(data),
        "opset": next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
        "ir_version": model.ir_version,
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "inputs": [value_info(v) for v in g.input],
        "outputs": [value_info(v) for v in g.output],
        "nodes": len(g.node),
        "op_histogram": dict(sorted(Counter(n.op_type for n in g.node).items())),
        "initializers": len(g.initializer),
        "value_info": len(g.value_info),
        # onnxslim merges equal tensors into one initializer: with trained-like weights (see
        # export.py) only small shape constants should be read by more than one node input.
        "shared_initializers": sum(1 for c in reads.values() if c > 1),
        "parameters": sum(math.prod(t.dims) for t in g.initializer),
        "checker": checker,
        "metadata": metadata(model),
    }


def shape(v):
    return f"`{v['name']}` {v['type']} [{', '.join(str(d) for d in v['shape'])}]"


def args_text(args):
    return ", ".join(f"{k}={v}" for k, v in args.items()) or "(defaults)"


def write_md(summary, path: Path):
    s = summary
    lines = [
        "# Reference ONNX exports",
        "",
        "Written by `bench/exports/export.sh` (see `bench/exports/README.md`); do not edit by hand.",
        f"Ultralytics {s['ultralytics']}, torch {s['torch']}, onnx {s['onnx']}, onnxslim {s['onnxslim']},",
        f"onnxruntime {s['onnxruntime']}, Python {s['python']}, CPU. Random weights built from the model",
        f"yaml files with `torch.manual_seed({s['seed']})` (BatchNorm statistics and Conv biases randomised",
        "too, so that no two tensors are equal, as in trained weights: see `export.py`); Ultralytics' default",
        "ONNX export (imgsz 640, default opset, simplify=True) plus the export arguments shown. The .onnx",
        "files are not in git. Ultralytics 8.4.142+ exports YOLO26 and YOLOv10 without the end-to-end head",
        "by default (`nms=None`); `nms=False` gives the end-to-end `[1,300,6]` head (the default up to 8.4.141).",
        "",
        f"Network access attempted during the export: {len(s['network_attempts']) or 'none'}.",
    ]
    if s["repeat_checked"]:
        lines.append(f"Repeatability (a second export in a new process): {s['repeat_summary']}")
    lines += [
        "",
        "| file | arch | task | export args | opset | outputs | nodes | initializers | TopK | end2end | repeatable |",
        "| --- | --- | --- | --- | ---: | --- | ---: | ---: | :---: | :---: | :---: |",
    ]
    for m in s["models"]:
        if "error" in m:
            lines.append(f"| {m['file']} | {m['arch']} | {m.get('task', '?')} | {args_text(m['export_args'])} "
                         f"| | **failed**: {m['error']} | | | | | |")
            continue
        outs = "<br>".join(shape(v) for v in m["outputs"])
        topk = m["op_histogram"].get("TopK", 0)
        r = m.get("repeat")
        repeat = "-" if not r else "yes" if r["undated_identical"] else "graph only" if r["graph_identical"] else "**no**"
        lines.append(f"| {m['file']} | {m['arch']} | {m['task']} | {args_text(m['export_args'])} | {m['opset']} "
                     f"| {outs} | {m['nodes']} | {m['initializers']} | {topk or ''} "
                     f"| {m['metadata'].get('end2end', '')} | {repeat} |")

    for m in s["models"]:
        lines += ["", f"## {m['file']}", ""]
        lines.append(f"- from `{m['yaml']}`, task {m.get('task', '?')}, export args: {args_text(m['export_args'])}, "
                     f"exported in {m['seconds']} s")
        if "error" in m:
            lines.append(f"- **export failed**: {m['error']}")
            continue
        lines += [
            f"- ultralytics {s['ultralytics']}, torch {s['torch']}, opset {m['opset']}, IR {m['ir_version']}, "
            f"producer {m['producer']}, {m['bytes']} bytes, onnx.checker: {m['checker']}",
            f"- sha256 `{m['sha256']}`",
            f"- graph sha256 `{m['graph_sha256']}` (nodes, initializers, inputs and outputs: no metadata, "
            "no value_info)",
        ]
        if "repeat" in m:
            r = m["repeat"]
            same = "identical" if r["identical"] else (
                "identical but for the metadata date" if r["undated_identical"] else "differs")
            lines.append(f"- second export: file {same}, graph {'identical' if r['graph_identical'] else 'differs'}")
        lines += [f"- input {shape(v)}" for v in m["inputs"]]
        lines += [f"- output {shape(v)}" for v in m["outputs"]]
        r = m["ort_run"]
        lines.append(f"- ONNX Runtime run on {', '.join(f'`{k}` {v}' for k, v in r['inputs'].items())}: outputs "
                     f"{', '.join(str(o) for o in r['outputs'])}, {'all finite' if r['finite'] else '**not finite**'}")
        lines.append(f"- {m['nodes']} nodes, {m['initializers']} initializers ({m['parameters']} parameters), "
                     f"{m['value_info']} value_info entries, {m['shared_initializers']} initializers read by several node inputs")
        lines.append("- ops: " + ", ".join(f"{k} {v}" for k, v in m["op_histogram"].items()))
        meta = ", ".join(f"{k}={v}" for k, v in m["metadata"].items() if k not in ("author", "license", "docs"))
        lines.append(f"- metadata: {meta}")
    path.write_text("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--rerun", type=Path, help="folder of a second export run to compare with")
    ap.add_argument("--md", type=Path, required=True)
    ap.add_argument("--json", type=Path, required=True)
    a = ap.parse_args()

    manifest = json.loads((a.out_dir / "manifest.json").read_text())
    rerun_rows = {}
    if a.rerun and (a.rerun / "manifest.json").exists():
        rerun_rows = {r["file"]: r for r in json.loads((a.rerun / "manifest.json").read_text())["models"]}
    # Network attempts of either run count: both must have been offline.
    attempts = manifest["network_attempts"] + (
        json.loads((a.rerun / "manifest.json").read_text())["network_attempts"] if rerun_rows else [])

    models = []
    for row in manifest["models"]:
        # Architecture from the yaml name without the task suffix: yolo11n-seg.yaml -> yolo11n.
        m = {"file": row["file"], "arch": row["yaml"].removesuffix(".yaml").split("-")[0], **row}
        if "error" not in row:
            m.update(describe(a.out_dir / row["file"]))
            m["ort_run"] = ort_run(a.out_dir / row["file"], m["inputs"])
            other = a.rerun / row["file"] if a.rerun else None
            if other and other.exists():
                d = describe(other)
                m["repeat"] = {k.replace("sha256", "identical"): d[k] == m[k]
                               for k in ("sha256", "undated_sha256", "graph_sha256")}
        models.append(m)

    checked = [m["repeat"] for m in models if "repeat" in m]
    summary = {k: manifest[k] for k in ("python", "ultralytics", "torch", "onnx", "onnxslim", "onnxruntime", "seed")}
    summary.update({
        "network_attempts": attempts,
        "repeat_checked": bool(checked),
        "repeat_summary": (f"{sum(r['identical'] for r in checked)}/{len(checked)} files byte-identical, "
                           f"{sum(r['undated_identical'] for r in checked)}/{len(checked)} identical but for "
                           f"the export date in the metadata, "
                           f"{sum(r['graph_identical'] for r in checked)}/{len(checked)} graphs identical."),
        "models": models,
    })
    a.md.parent.mkdir(parents=True, exist_ok=True)
    write_md(summary, a.md)
    a.json.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"[exports] wrote {a.md} and {a.json}")


if __name__ == "__main__":
    main()
