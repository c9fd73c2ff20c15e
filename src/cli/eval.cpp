#include "yoloq/eval/eval.hpp"

#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "yoloq/eval/task_eval.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"

namespace yoloq::cli {

namespace {
void add_eval(CLI::App& app, Invocation& invocation) {
  auto* cmd = app.add_subcommand(
      "eval",
      "Accuracy of a YOLO model on a labelled dataset, by the task in its metadata: COCO-style box mAP (detect), "
      "box and mask mAP (segment), box and keypoint mAP with OKS (pose), rotated-box mAP on DOTA-style labels "
      "(obb), top-1/top-5 on a folder of class subfolders (classify)");
  struct Flags {
    std::string model, images, labels, metric = "ultralytics", save_json, json, task;
    int imgsz = 0, threads = 0;
    bool per_class = false, quiet = false, multi_label = false;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("model", f->model,
                  "ONNX model: detect (output [1, 4+nc, anchors], or an end-to-end model's [1, N, 6]), segment "
                  "([1, 4+nc+masks, anchors] and prototypes [1, masks, h, w]), pose ([1, 4+nc+K*3, anchors]), obb "
                  "([1, 4+nc+1, anchors]) or classify ([1, nc])")
      ->required();
  cmd->add_option("--task", f->task,
                  "The task the model must be (default: its Ultralytics metadata; a model whose metadata or "
                  "outputs are another task's is an error)")
      ->check(CLI::IsMember({"detect", "segment", "pose", "obb", "classify"}));
  cmd->add_option("--images,--data", f->images,
                  "Folder of images (classify: one subfolder per class, named by class name or index)")
      ->required();
  cmd->add_option("--labels", f->labels,
                  "Folder of YOLO labels, NAME.txt per image: 'class cx cy w h' (detect); 'class x1 y1 x2 y2 ...' "
                  "polygons (segment: masks, and boxes from their extent); 'class cx cy w h x1 y1 v1 ...' (pose); "
                  "'class x1 y1 x2 y2 x3 y3 x4 y4' (obb); not used for classify");
  cmd->add_option("--imgsz", f->imgsz,
                  "Input size for models with a dynamic input (default: the model's)");
  cmd->add_option("--metric", f->metric,
                  "AP flavour: ultralytics (its validator) or coco (pycocotools)")
      ->check(CLI::IsMember({"ultralytics", "coco"}));
  cmd->add_flag("--per_class", f->per_class, "Add a per-class table");
  cmd->add_option("--save_json", f->save_json,
                  "Write the detections in COCO results format (with segmentation RLE / keypoints for segment / "
                  "pose models)");
  cmd->add_option("--json", f->json, "Write the metrics (full precision, per class) as JSON");
  cmd->add_flag("--multi_label", f->multi_label,
                "NMS candidates: every class above the threshold (Ultralytics' validator), not "
                "only each anchor's best");
  cmd->add_option("--threads", f->threads, kThreadsHelp);
  add_progress_flags(*cmd, f->quiet);
  cmd->callback([f, &invocation] {
    if (!f->save_json.empty()) check_writable_output(f->save_json);
    if (!f->json.empty()) check_writable_output(f->json);
    EvalOptions options;
    options.images = f->images;
    options.labels = f->labels;
    options.task = f->task;
    options.imgsz = f->imgsz;
    options.metric = parse_ap_metric(f->metric);
    options.threads = f->threads;
    options.quiet = f->quiet;
    options.nms.multi_label = f->multi_label;
    if (auto report = evaluate_obb_or_classify(f->model, options, f->per_class, !f->save_json.empty())) {
      invocation.result = report->json;
      if (!f->json.empty()) write_file_atomically(f->json, invocation.result.dump(2) + "\n");
      std::cout << report->text;
      return;
    }
    if (f->labels.empty()) throw UsageError("eval: --labels is required (a folder of YOLO labels for the images)");
    const auto result = evaluate(f->model, options);
    if (!f->save_json.empty())
      write_file_atomically(f->save_json, coco_results_json(result.images).dump() + "\n");
    invocation.result = to_json(result.metrics, result.class_names);
    invocation.result["task"] = result.task;
    if (result.mask_metrics) invocation.result["masks"] = to_json(*result.mask_metrics, result.class_names);
    if (result.keypoint_metrics)
      invocation.result["keypoints"] = to_json(*result.keypoint_metrics, result.class_names);
    if (!result.task_note.empty()) invocation.result["task_note"] = result.task_note;
    invocation.result["images_without_label_file"] = result.images_without_label_file;
    invocation.result["seconds"] = result.seconds;
    if (!f->json.empty()) write_file_atomically(f->json, invocation.result.dump(2) + "\n");
    std::cout << "metric: " << f->metric << " (" << result.metrics.images << " images, "
              << result.metrics.instances << " labels";
    if (result.images_without_label_file > 0)
      std::cout << "; " << result.images_without_label_file
                << " images without a label file, counted as no objects";
    std::cout << "; " << result.task << " model)\n";
    auto print = [&](const char* title, const DetectionMetrics& m) {
      if (result.task != "detect") std::cout << title << ":\n";
      std::cout << metrics_text(m, f->per_class, result.class_names);
      if (m.metric == ApMetric::Coco)
        std::printf("COCO mAP50-95 by area: small %.3f, medium %.3f, large %.3f; AR@%d %.3f\n", m.coco_ap_small,
                    m.coco_ap_medium, m.coco_ap_large, result.keypoint_metrics && &m == &*result.keypoint_metrics ? 20 : 100, m.coco_ar100);
    };
    print("boxes", result.metrics);
    if (result.mask_metrics) print("masks", *result.mask_metrics);
    if (result.keypoint_metrics) print("keypoints (OKS)", *result.keypoint_metrics);
    if (!result.task_note.empty()) std::cout << result.task_note << "\n";
    std::printf("evaluated in %.1f s\n", result.seconds);
  });
}

}  // namespace

const CommandRegistration registration(70, add_eval);

}  // namespace yoloq::cli
