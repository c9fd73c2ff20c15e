#!/usr/bin/env python3
"""How close `yoloq synth` comes to real Ultralytics exports.

For every architecture yoloq synth knows (yolo11n ... yolo11x-cls, yolo26n ... yolo26x-e2e,
yolov8n ... yolov8x, yolov10n ... yolov10x-e2e) with a reference export
<arch>.onnx in the exports folder: synthesize it with `--weights <export>` (image size and class
count from the export's metadata), compare the two graphs node for node (op type, name, inputs,
outputs, attributes), their initializers (names and shapes), inputs and outputs, opset and
metadata keys, then run both in ONNX Runtime on the same random image and report the largest
absolute difference of every output. Writes a Markdown table (bench/results/fidelity.md).

    bench/exports/.venv/bin/python bench/fidelity/fidelity.py \
        [--yoloq build-synth/yoloq] [--exports /work/exports] [--out bench/results/fidelity.md]

Exit status 1 when an architecture differs (graph or outputs), 0 when all match.
"""
import argparse
import ast
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

REPO = Path(__file__).resolve().parents[2]
SIZES = ["n", "s", "m", "l", "x"]
TASKS = ["", "-seg", "-pose", "-obb", "-cls"]
ARCHS = ([f"yolo11{size}{task}" for task in TASKS for size in SIZES]
         + [f"yolo26{size}{head}" for head in ["", "-e2e"] for size in SIZES]
         + [f"yolov8{size}" for size in SIZES]
         + [f"yolov10{size}{head}" for head in ["", "-e2e"] for size in "nsmblx"])
TOLERANCE = 1e-4  # max abs difference of the outputs with copied weights


def attribute_values(node):
    values = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        if isinstance(v, onnx.TensorProto):
            v = v.SerializeToString()
        values[a.name] = v
    return values


def node_key(node):
    return (node.op_type, node.name, list(node.input), list(node.output), attribute_values(node))


def describe(node):
    return f"{node.op_type} {node.name} {list(node.input)} -> {list(node.output)}"


def value_infos(values):
    return [(v.name, [d.dim_value if d.HasField("dim_value") else d.dim_param
                      for d in v.type.tensor_type.shape.dim]) for v in values]


def compare_graphs(synth, ref):
    """Facts of the comparison; 'first_difference' is None when the nodes are the same."""
    s_nodes, r_nodes = synth.graph.node, ref.graph.node
    first = None
    for i in range(max(len(s_nodes), len(r_nodes))):
        if i >= len(s_nodes) or i >= len(r_nodes) or node_key(s_nodes[i]) != node_key(r_nodes[i]):
            first = (i,
                     describe(s_nodes[i]) if i < len(s_nodes) else "(none)",
                     describe(r_nodes[i]) if i < len(r_nodes) else "(none)")
            break
    same_ops = [n.op_type for n in s_nodes] == [n.op_type for n in r_nodes]
    same_names = sorted(n.name for n in s_nodes) == sorted(n.name for n in r_nodes)
    s_init = {t.name: list(t.dims) for t in synth.graph.initializer}
    r_init = {t.name: list(t.dims) for t in ref.graph.initializer}
    s_meta = [p.key for p in synth.metadata_props]
    r_meta = [p.key for p in ref.metadata_props]
    return {
        "nodes": (len(s_nodes), len(r_nodes)),
        "first_difference": first,
        "same_op_sequence": same_ops,
        "same_node_names": same_names,
        "initializers": (len(s_init), len(r_init)),
        "initializers_missing": sorted(set(r_init) - set(s_init)),
        "initializers_extra": sorted(set(s_init) - set(r_init)),
        "initializer_shapes_differ": sorted(n for n in set(s_init) & set(r_init)
                                            if s_init[n] != r_init[n]),
        "inputs_same": value_infos(synth.graph.input) == value_infos(ref.graph.input),
        "outputs_same": value_infos(synth.graph.output) == value_infos(ref.graph.output),
        "outputs": value_infos(ref.graph.output),
        "opset": ((synth.ir_version, synth.opset_import[0].version),
                  (ref.ir_version, ref.opset_import[0].version)),
        "metadata_missing": [k for k in r_meta if k not in s_meta],
        "metadata_extra": [k for k in s_meta if k not in r_meta],
    }


def max_abs_differences(synth_path, ref_path, imgsz, seed=0):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2  # the machine is shared
    image = np.random.default_rng(seed).random((1, 3, imgsz, imgsz), dtype=np.float32)
    outputs = []
    for path in (synth_path, ref_path):
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        outputs.append(session.run(None, {"images": image}))
    return [float(np.max(np.abs(a - b))) for a, b in zip(*outputs)]


def synthesize(yoloq, arch, reference, imgsz, out):
    command = [str(yoloq), "synth", "--arch", arch, "--imgsz", str(imgsz),
               "--weights", str(reference), "-o", str(out)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or result.stdout.strip())


def check(yoloq, arch, reference, scratch):
    ref = onnx.load(str(reference))
    meta = {p.key: p.value for p in ref.metadata_props}
    imgsz = ast.literal_eval(meta.get("imgsz", "[640, 640]"))[0]
    out = scratch / f"{arch}.onnx"
    try:
        synthesize(yoloq, arch, reference, imgsz, out)
    except RuntimeError as e:
        return {"arch": arch, "reference": reference, "error": str(e)}
    row = compare_graphs(onnx.load(str(out)), ref)
    row.update(arch=arch, reference=reference, imgsz=imgsz,
               differences=max_abs_differences(out, reference, imgsz))
    return row


def graph_matches(r):
    return (r["first_difference"] is None and not r["initializers_missing"]
            and not r["initializers_extra"] and not r["initializer_shapes_differ"]
            and r["inputs_same"] and r["outputs_same"])


def outputs_match(r):
    return all(d <= TOLERANCE for d in r["differences"])


def markdown(rows, exports, yoloq_version):
    lines = [
        "# yoloq synth against Ultralytics exports",
        "",
        f"Written by `bench/fidelity/fidelity.py` ({yoloq_version}); references: `{exports}`.",
        "Each architecture is synthesized with `--weights <reference>` at the reference's image size"
        " and class count, then compared node for node (op type, name, inputs, outputs,"
        " attributes), by initializer names and shapes, graph inputs and outputs, and run in"
        f" ONNX Runtime (CPU) beside the reference on one random image: max abs difference of"
        f" every output (tolerance {TOLERANCE:g}).",
        "",
        "| arch | reference | nodes synth / ref | nodes identical | initializers synth / ref"
        " (names, shapes) | outputs | IR / opset synth vs ref | metadata keys missing |"
        " max abs diff |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    notes = []
    for r in rows:
        ref = Path(r["reference"]).name
        if "error" in r:
            lines.append(f"| {r['arch']} | {ref} | synth failed | | | | | | |")
            notes.append(f"- {r['arch']}: `{r['error']}`")
            continue
        identical = "yes" if r["first_difference"] is None else (
            f"no, from node {r['first_difference'][0]}"
            + (" (same op sequence)" if r["same_op_sequence"] else "")
            + (" (same names)" if r["same_node_names"] else ""))
        init_same = not (r["initializers_missing"] or r["initializers_extra"]
                         or r["initializer_shapes_differ"])
        inits = f"{r['initializers'][0]} / {r['initializers'][1]}" + (
            " same" if init_same else
            f" ({len(r['initializers_missing'])} missing, {len(r['initializers_extra'])} extra,"
            f" {len(r['initializer_shapes_differ'])} other shape)")
        outputs = ", ".join(f"{n} {'x'.join(map(str, s))}" for n, s in r["outputs"])
        outputs += "" if r["outputs_same"] else " (differ)"
        (s_ir, s_op), (r_ir, r_op) = r["opset"]
        opset = f"{s_ir}/{s_op}" + ("" if (s_ir, s_op) == (r_ir, r_op) else f" vs {r_ir}/{r_op}")
        missing = ", ".join(r["metadata_missing"]) or "none"
        diffs = ", ".join(f"{d:.2g}" for d in r["differences"])
        lines.append(f"| {r['arch']} | {ref} | {r['nodes'][0]} / {r['nodes'][1]} | {identical}"
                     f" | {inits} | {outputs} | {opset} | {missing} | {diffs} |")
        if r["first_difference"] is not None:
            i, s, f = r["first_difference"]
            notes.append(f"- {r['arch']}, first differing node {i}: synth `{s}`, reference `{f}`")
        for key in ("initializers_missing", "initializers_extra", "initializer_shapes_differ"):
            if r[key]:
                notes.append(f"- {r['arch']}, {key.replace('_', ' ')}: "
                             + ", ".join(f"`{n}`" for n in r[key][:5])
                             + (" ..." if len(r[key]) > 5 else ""))
    if notes:
        lines += ["", "Differences:", ""] + notes
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--yoloq", type=Path, default=REPO / "build" / "yoloq")
    parser.add_argument("--exports", type=Path, default=Path("/work/exports"))
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "fidelity.md")
    parser.add_argument("archs", nargs="*", help="only these architectures")
    args = parser.parse_args()
    version = subprocess.run([str(args.yoloq), "--version"], capture_output=True,
                             text=True).stdout.strip() or "yoloq"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for arch in ARCHS:
            reference = args.exports / f"{arch}.onnx"
            if (args.archs and arch not in args.archs) or not reference.exists():
                continue
            row = check(args.yoloq, arch, reference, Path(tmp))
            rows.append(row)
            status = row.get("error") or (
                f"graph {'same' if graph_matches(row) else 'DIFFERS'}, "
                f"max abs diff {', '.join(f'{d:.3g}' for d in row['differences'])}")
            print(f"{arch}: {status}", file=sys.stderr)
    if not rows:
        print(f"no reference export of a yoloq synth architecture in {args.exports}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(rows, args.exports, version))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0 if all("error" not in r and graph_matches(r) and outputs_match(r) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
