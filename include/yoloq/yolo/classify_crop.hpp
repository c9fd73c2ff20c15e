#pragma once
// Ultralytics' classify preprocessing (data/augment.py classify_transforms, which its
// ClassificationPredictor and ClassificationValidator apply to exported models), bit for bit:
// BGR->RGB, torchvision Resize of the short side to the model's size (the long side
// int(size * long / short)) with PIL's antialiased BILINEAR resampling, CenterCrop to
// size x size (offsets int(round((in - out) / 2)), Python's half-to-even round), ToTensor (/255)
// and Normalize with Ultralytics' default mean 0 and std 1. No letterbox.
#include <opencv2/core.hpp>

#include "yoloq/onnx/model.hpp"
#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

// `bgr`: an 8-bit 3-channel image as cv::imread returns it. A non-square height x width is resized
// to exactly that size, as classify_transforms does for a (h, w) tuple. Returns [1, 3, height,
// width] float32 RGB in [0, 1].
Tensor classify_crop(const cv::Mat& bgr, int height, int width);

// How images become a model's input: classify models (Ultralytics metadata task "classify") take
// classify_crop, every other model Ultralytics' letterbox (letterbox.hpp).
enum class ImagePreprocessing { Letterbox, ClassifyCrop };
ImagePreprocessing image_preprocessing_for(const Model& model);

// PIL's Image.resize(BILINEAR) of an 8-bit RGB image (Pillow's libImaging/Resample.c: triangle
// filter widened by the downscale factor, 22-bit fixed-point coefficients, horizontal pass first,
// each pass rounded to 8 bits). Exposed for tests.
cv::Mat pil_bilinear_resize(const cv::Mat& rgb, int width, int height);

}  // namespace yoloq
