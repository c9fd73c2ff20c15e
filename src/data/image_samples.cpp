// Samples from a folder of images, letterboxed exactly as Ultralytics does (or, for a classify
// model, resized and centre-cropped as Ultralytics does), decoded one at a time when their batch
// is built. Files that do not decode are skipped with one warning each.
#include <algorithm>
#include <cstring>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <utility>

#include "data/source_internal.hpp"
#include "yoloq/data/image_folder.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"
#include "yoloq/yolo/classify_crop.hpp"
#include "yoloq/yolo/letterbox.hpp"

namespace fs = std::filesystem;

namespace yoloq {

namespace {

// libjpeg decodes a truncated JPEG without an error (grey fills the missing part, a warning goes
// to stderr), which would calibrate on a damaged image: a JPEG must end with its EOI marker
// (FF D9), allowing a little trailing padding as some cameras write.
bool jpeg_looks_complete(const std::string& bytes) {
  if (bytes.size() < 4 || static_cast<unsigned char>(bytes[0]) != 0xFF ||
      static_cast<unsigned char>(bytes[1]) != 0xD8)
    return true;  // not a JPEG: left to the decoder
  const std::size_t tail = std::min<std::size_t>(bytes.size(), 64);
  return bytes.find("\xFF\xD9", bytes.size() - tail) != std::string::npos;
}

cv::Mat decode_image(const fs::path& path) {
  const std::string bytes = read_file(path);
  if (bytes.empty()) throw Error(path.string() + ": cannot decode image: the file is empty");
  if (!jpeg_looks_complete(bytes))
    throw Error(path.string() + ": cannot decode image: truncated JPEG (no end marker)");
  cv::Mat image;
  try {
    image = cv::imdecode(
        cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data())),
        cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw Error(path.string() + ": cannot decode image: " + e.what());
  }
  if (image.empty()) throw Error(path.string() + ": cannot decode image (not an image or damaged)");
  return image;
}

class ImageSamples : public SampleProvider {
 public:
  ImageSamples(const fs::path& folder, const std::vector<ResolvedInput>& inputs, bool quiet,
               ImagePreprocessing preprocessing)
      : what_(folder.string()), images_(list_images(folder)), quiet_(quiet), preprocessing_(preprocessing) {
    if (inputs.size() != 1)
      throw Error(what_ + ": an image folder feeds a single-input model, this one has " +
                  std::to_string(inputs.size()) + " inputs; give a .npz keyed by input name");
    const auto& shape = inputs.front().shape;
    if (shape.size() != 4 || shape[1] != 3)
      throw Error(what_ + ": images need a model input of shape Bx3xHxW, '" + inputs.front().name +
                  "' is " + shape_string(shape));
    height_ = static_cast<int>(shape[2]);
    width_ = static_cast<int>(shape[3]);
  }

  std::size_t size() const override { return images_.size(); }
  bool fill(std::size_t index, const std::vector<float*>& destinations) override {
    if (undecodable_.count(index)) return false;
    try {
      const cv::Mat image = decode_image(images_[index]);
      if (preprocessing_ == ImagePreprocessing::ClassifyCrop) {
        // A crop has no letterbox geometry: nothing maps back to the image.
        const Tensor cropped = classify_crop(image, height_, width_);
        std::memcpy(destinations[0], cropped.bytes.data(), cropped.bytes.size());
        return true;
      }
      auto boxed = letterbox(image, height_, width_);
      std::memcpy(destinations[0], boxed.tensor.bytes.data(), boxed.tensor.bytes.size());
      geometry_[index] = boxed.geometry;
      return true;
    } catch (const Error& e) {
      undecodable_.insert(index);  // warn once, even when the source is read again
      if (!quiet_) warnings_.push_back(std::string(e.what()) + "; skipped");
      return false;
    }
  }
  SampleOrigin origin(std::size_t index) const override {
    auto it = geometry_.find(index);
    return {images_[index], it == geometry_.end() ? std::nullopt : std::optional(it->second)};
  }
  std::vector<std::string> take_warnings() override { return std::exchange(warnings_, {}); }
  std::string sample_name(std::size_t index) const override { return images_[index].string(); }
  std::string what() const override { return what_; }
  std::string kind() const override {
    return preprocessing_ == ImagePreprocessing::ClassifyCrop ? "images (classify: resized, centre-cropped)" : "images";
  }

 private:
  std::string what_;
  std::vector<fs::path> images_;
  bool quiet_;
  ImagePreprocessing preprocessing_;
  int height_ = 0, width_ = 0;
  std::set<std::size_t> undecodable_;
  std::map<std::size_t, LetterboxGeometry> geometry_;  // of the images filled so far
  std::vector<std::string> warnings_;
};

}  // namespace

std::shared_ptr<SampleProvider> make_image_samples(const fs::path& folder,
                                                   const std::vector<ResolvedInput>& inputs,
                                                   bool quiet, ImagePreprocessing preprocessing) {
  return std::make_shared<ImageSamples>(folder, inputs, quiet, preprocessing);
}

}  // namespace yoloq
