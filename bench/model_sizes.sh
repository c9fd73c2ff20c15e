#!/usr/bin/env bash
# How the cost of `yoloq quantize` grows with the model: synthesises every YOLO11 size at 640,
# quantizes each (target trt, default method, calibrated on the same coco128 images) with its
# built-in verification in ONNX Runtime, and records wall time, peak RSS, the model's size and
# the verification's numbers. Writes bench/results/model-sizes.md (and .json beside it).
#   bench/model_sizes.sh            (env: ARCHS="n s m l x", IMAGES=32, TARGET=trt, OUT=build/model-sizes)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${YOLOQ_DATA:-$root/../shared/data}"
archs="${ARCHS:-n s m l x}"
images="${IMAGES:-32}"
target="${TARGET:-trt}"
work="${OUT:-$root/build/model-sizes}"
yoloq="$root/build/yoloq"
[[ -x "$yoloq" ]] || { echo "model_sizes: build yoloq first (scripts/setup.sh)" >&2; exit 1; }
[[ -d "$data/coco128/images" ]] || { echo "model_sizes: no coco128 images under $data (set YOLOQ_DATA)" >&2; exit 1; }
mkdir -p "$work"

# The same calibration tensor for every size: IMAGES letterboxed coco128 images.
"$yoloq" calib-data "$data/coco128/images" --imgsz 640 --calibration_size "$images" -o "$work/calib.npy" --quiet

# Runs a command; prints "wall_s peak_rss_mb" (RSS of the command's largest process, from the kernel).
measure() {
  python3 - "$@" <<'EOF'
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
wall = time.perf_counter() - t
sys.stderr.write(r.stdout)
if r.returncode != 0:
    sys.exit(r.returncode)
print(f"{wall:.1f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f}")
EOF
}

rows="$work/rows.tsv"
: >"$rows"
for a in $archs; do
  model="$work/yolo11$a.onnx"
  "$yoloq" synth --arch "yolo11$a" --imgsz 640 -o "$model" >/dev/null
  params=$("$yoloq" inspect --json "$model" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['initializers']['bytes'] // 4)")
  log="$work/yolo11$a.quantize.log"
  if read -r wall rss < <(measure "$yoloq" quantize --onnx_path "$model" --output_path "$work/yolo11$a.int8.onnx" \
      --target "$target" --calibration_data_path "$work/calib.npy" --report "$work/yolo11$a.report.md" 2>"$log"); then
    printf "%s\t%s\t%s\t%s\t%s\n" "$a" "$params" "$wall" "$rss" "$work/yolo11$a.report.json" >>"$rows"
  else
    printf "%s\t%s\tfailed\t-\t%s\n" "$a" "$params" "$log" >>"$rows"
  fi
  tail -n 1 "$rows"
done

python3 - "$rows" "$root/bench/results/model-sizes" "$images" "$target" <<'EOF'
import json, os, platform, sys, time
rows_path, out, images, target = sys.argv[1:]
rows = []
for line in open(rows_path):
    arch, params, wall, rss, detail = line.rstrip("\n").split("\t")
    row = {"arch": "yolo11" + arch, "parameters": int(params)}
    if wall == "failed":
        row["error"] = f"quantize failed, see {detail}"
    else:
        rep = json.load(open(detail))
        v = rep.get("verification") or {}
        s = v.get("structure", {})
        num = (v.get("numerics") or [{}])[0]
        row.update({"wall_s": float(wall), "peak_rss_mb": int(rss),
                    "calibration_s": rep["times_s"]["calibrate"], "verify_s": rep["times_s"]["verify"],
                    "qdq_nodes": s.get("quantize_linear", 0) + s.get("dequantize_linear", 0),
                    "snr_db": num.get("snr_db"), "verified_samples": v.get("samples")})
    rows.append(row)
load = os.getloadavg()
machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average at the end {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}"
json.dump({"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine, "target": target,
           "calibration_images": int(images), "rows": rows}, open(out + ".json", "w"), indent=1)
base = next((r for r in rows if "wall_s" in r), None)
with open(out + ".md", "w") as f:
    f.write("# Cost of `yoloq quantize` by model size\n\n")
    f.write(f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Machine: {machine}.\n\n")
    f.write(f"`bench/model_sizes.sh`: `yoloq synth --arch yolo11X --imgsz 640`, then `yoloq quantize --target {target}` "
            f"(default method) calibrated on the same {images} letterboxed coco128 images, with its verification in ONNX "
            "Runtime on the held-out eighth of them (no timing: target trt). Wall time and peak RSS of the whole "
            "quantize command (load, calibration, writing and verification). SNR: the INT8 output against the "
            "float one on the held-out images (synthetic weights: it varies with the seed's activations).\n\n")
    f.write("| model | parameters | wall s | x yolo11n | calibration s | verify s | peak RSS MB | Q/DQ nodes | SNR dB |\n")
    f.write("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
    for r in rows:
        if "error" in r:
            f.write(f"| {r['arch']} | {r['parameters']/1e6:.1f}M | {r['error']} |||||||\n")
            continue
        f.write(f"| {r['arch']} | {r['parameters']/1e6:.1f}M | {r['wall_s']:.1f} | {r['wall_s']/base['wall_s']:.1f} | "
                f"{r['calibration_s']:.1f} | {r['verify_s']:.1f} | {r['peak_rss_mb']} | {r['qdq_nodes']} | "
                f"{r['snr_db']:.1f} |\n")
print(open(out + ".md").read())
EOF
