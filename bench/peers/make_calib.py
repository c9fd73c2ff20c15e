#!/usr/bin/env python3
"""Calibration and held-out tensors for the peers benchmark.

    make_calib.py letterbox IMAGES_DIR OUT.npy [--imgsz 640]
        Ultralytics' LetterBox (auto=False, scaleup, centre, pad 114, cv2 INTER_LINEAR), BGR->RGB,
        CHW, /255, float32, files in sorted name order. Only a fallback for a yoloq binary
        without `calib-data`, which does the same in C++.
    make_calib.py repeat IN.npy OUT.npy --times 4
        IN once as is, then times-1 copies flipped horizontally (along W), written streaming so
        memory stays at one image.
"""
import argparse
import os
import sys

import numpy as np

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


def letterbox(img, size):
    import cv2
    h, w = img.shape[:2]
    r = min(size / h, size / w)
    new_w, new_h = int(round(w * r)), int(round(h * r))
    dw, dh = (size - new_w) / 2, (size - new_h) / 2
    if (w, h) != (new_w, new_h):
        img = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT,
                             value=(114, 114, 114))
    return np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1), dtype=np.float32) / 255.0


def cmd_letterbox(args):
    import cv2
    files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(args.images) for f in fs
                   if f.lower().endswith(IMAGE_EXTS))
    imgs = [cv2.imread(f, cv2.IMREAD_COLOR) for f in files]
    imgs = [i for i in imgs if i is not None]
    if not imgs:
        sys.exit(f"make_calib.py: no readable image in {args.images}")
    out = np.lib.format.open_memmap(args.out, mode="w+", dtype=np.float32,
                                    shape=(len(imgs), 3, args.imgsz, args.imgsz))
    for k, img in enumerate(imgs):
        out[k] = letterbox(img, args.imgsz)
    out.flush()
    print(f"wrote {len(imgs)} images as {out.shape} float32 to {args.out}")


def cmd_repeat(args):
    src = np.load(args.inp, mmap_mode="r")
    n = len(src)
    out = np.lib.format.open_memmap(args.out, mode="w+", dtype=np.float32,
                                    shape=(n * args.times,) + src.shape[1:])
    for t in range(args.times):
        for k in range(n):
            out[t * n + k] = src[k] if t == 0 else src[k][..., ::-1]
    out.flush()
    print(f"wrote {n} images x {args.times} (copies flipped) as {out.shape} float32 to {args.out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    lb = sub.add_parser("letterbox")
    lb.add_argument("images")
    lb.add_argument("out")
    lb.add_argument("--imgsz", type=int, default=640)
    rp = sub.add_parser("repeat")
    rp.add_argument("inp")
    rp.add_argument("out")
    rp.add_argument("--times", type=int, default=4)
    args = ap.parse_args()
    {"letterbox": cmd_letterbox, "repeat": cmd_repeat}[args.cmd](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
