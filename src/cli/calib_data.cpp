// `yoloq calib-data IMAGES_DIR -o calib.npy`: the letterboxed calibration tensor ModelOpt's
// --calibration_data_path takes, made without Python.
#include <iostream>

#include "cli/commands.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"
#include "yoloq/tensor/npy.hpp"
#include "yoloq/yolo/classify_crop.hpp"

namespace yoloq::cli {

namespace {

struct CalibDataArgs {
  std::string images, output, model, imgsz = "640";
  std::size_t calibration_size = 0;
  std::uint64_t seed = 0;
  bool quiet = false;
};

// "640" or "480x640" (height x width).
std::pair<int, int> parse_imgsz(const std::string& text) {
  int h = 0, w = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%dx%d%c", &h, &w, &extra) == 2 && h > 0 && w > 0) return {h, w};
  if (std::sscanf(text.c_str(), "%d%c", &h, &extra) == 1 && h > 0) return {h, h};
  throw Error("--imgsz '" + text + "': expected a size like 640 or 480x640");
}

void run(const CalibDataArgs& args) {
  check_writable_output(args.output);
  auto [height, width] = parse_imgsz(args.imgsz);
  bool classify_crop = false;  // a classify model takes its images resized and centre-cropped
  if (!args.model.empty()) {
    const Model model = load_model(args.model);
    classify_crop = image_preprocessing_for(model) == ImagePreprocessing::ClassifyCrop;
    const auto shapes = resolve_input_shapes(model, "");
    const auto& shape = shapes.front().second;
    if (shapes.size() != 1 || shape.size() != 4 || shape[1] != 3)
      throw Error(args.model + ": expected one image input of shape Bx3xHxW");
    height = static_cast<int>(shape[2]);
    width = static_cast<int>(shape[3]);
  }
  std::vector<std::string> warnings;
  const Tensor tensor = letterbox_image_folder(args.images, height, width, args.calibration_size,
                                               args.seed, args.quiet, warnings, classify_crop);
  print_warnings(warnings);
  write_npy(args.output, tensor);
  std::cout << "wrote " << tensor.shape[0] << " images as " << shape_string(tensor.shape)
            << " float32 to " << args.output << "\n";
}

}  // namespace

namespace {
void add_calib_data(CLI::App& app) {
  auto* cmd = app.add_subcommand("calib-data", "Letterbox a folder of images into a calibration .npy [N,3,H,W]");
  auto args = std::make_shared<CalibDataArgs>();
  cmd->add_option("images", args->images,
                  "Folder of images (jpg, jpeg, png, bmp; searched recursively)")
      ->required();
  cmd->add_option("-o,--output,--output_path", args->output, "Output .npy")->required();
  auto* imgsz =
      cmd->add_option("--imgsz", args->imgsz, "Input size: 640 or HxW")->capture_default_str();
  cmd->add_option("--model", args->model,
                  "Take the input size from this model (a classify model: images resized and centre-cropped, as "
                  "Ultralytics feeds it, not letterboxed)")
      ->excludes(imgsz);
  cmd->add_option("--calibration_size", args->calibration_size,
                  "Use N images chosen by a seeded shuffle (0 = all)");
  cmd->add_option("--seed", args->seed, "Seed for the image choice")->capture_default_str();
  cmd->add_flag("--quiet", args->quiet, "No warnings about skipped images");
  cmd->callback([args] { run(*args); });
}

}  // namespace

const CommandRegistration registration(20, add_calib_data);

}  // namespace yoloq::cli
