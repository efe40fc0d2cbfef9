#!/usr/bin/env python3
"""Turn clean QR PNGs into photos as phones take them (deterministic: seeded per image).

    python3 scripts/qr_photos.py IN_DIR OUT_DIR [--only T1,T2] [--small]

IN_DIR holds NN.png (a share link's QR, rendered by the core's qr_png at 8 px/module) and
NN.txt (its text). OUT_DIR gets TRANSFORM__NN.jpg and TRANSFORM__NN.txt for every transform
below. `--small` makes fixture-sized photos (< 100 KB: a 720x960 frame instead of 3000x4000, JPEG
quality at most 60).
Needs Pillow (`pip install pillow`). Used by `cargo run --release -p livecard-core --example
qr_photos` (docs/MOBILE.md "Scanning") and to make the committed fixtures in
crates/livecard-core/tests/fixtures/qr-photos/.
"""
import math
import random
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter, ImageOps


def noise_layer(rng, size, amount):
    """Grey sensor noise: uniform bytes at a quarter resolution, scaled up, blended toward grey."""
    w, h = size
    sw, sh = max(1, w // 2), max(1, h // 2)
    small = Image.frombytes("L", (sw, sh), rng.randbytes(sw * sh))
    big = small.resize((w, h), Image.BILINEAR)
    grey = Image.new("L", (w, h), 128)
    return Image.blend(grey, big, amount)


def add_noise(rng, img, amount=0.12):
    """img + (noise - 128), clipped."""
    return _add_signed(img, noise_layer(rng, img.size, amount).convert(img.mode))


def _add_signed(img, n):
    lut_pos = [max(0, v - 128) for v in range(256)]
    lut_neg = [max(0, 128 - v) for v in range(256)]
    pos = n.point(lut_pos * len(n.getbands()))
    neg = n.point(lut_neg * len(n.getbands()))
    return ImageChops.subtract(ImageChops.add(img, pos), neg)


def desk(rng, size):
    """A desk/table background: a warm gradient with blotches and noise."""
    w, h = size
    base = Image.new("RGB", (w, h))
    top = (rng.randint(90, 150), rng.randint(70, 120), rng.randint(50, 90))
    bottom = tuple(max(0, c - rng.randint(20, 50)) for c in top)
    grad = Image.linear_gradient("L").resize((w, h))
    base = Image.composite(Image.new("RGB", (w, h), bottom), Image.new("RGB", (w, h), top), grad)
    blot = Image.frombytes("L", (8, 8), rng.randbytes(64)).resize((w, h), Image.BICUBIC)
    base = Image.composite(base, Image.new("RGB", (w, h), tuple(c // 2 for c in top)), blot.point(lambda v: 150 + v // 3))
    return add_noise(rng, base, 0.10)


def on_paper(code, margin_frac=0.25):
    """The code printed on a white card a bit larger than it (RGB)."""
    w, h = code.size
    m = int(w * margin_frac)
    paper = Image.new("RGB", (w + 2 * m, h + 2 * m), (246, 244, 238))
    paper.paste(code.convert("RGB"), (m, m))
    return paper


def solve(m, v):
    """Gaussian elimination with partial pivoting (8x8; no numpy needed)."""
    n = len(v)
    a = [row[:] + [v[i]] for i, row in enumerate(m)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(a[r][c]))
        a[c], a[p] = a[p], a[c]
        for r in range(n):
            if r != c:
                f = a[r][c] / a[c][c]
                a[r] = [x - f * y for x, y in zip(a[r], a[c])]
    return [a[i][n] / a[i][i] for i in range(n)]


def homography(dst, src):
    """Coefficients for Image.PERSPECTIVE mapping output points `dst` to source points `src`."""
    m, v = [], []
    for (x, y), (u, w) in zip(dst, src):
        m.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        v.append(u)
        m.append([0, 0, 0, x, y, 1, -w * x, -w * y])
        v.append(w)
    return solve(m, v)


def perspective(img, rng, strength):
    """Tilt: a true perspective view of the item, its right edge farther away (shorter by
    `strength` of its height, the item narrower); the whole item stays in the picture."""
    w, h = img.size
    s = strength * rng.uniform(0.8, 1.0)
    j = lambda: rng.uniform(0, 0.03) * w
    dst = [(j(), j()), (j(), h - j()), (w * (1 - 0.25 * s), h * (1 - s / 2)), (w * (1 - 0.25 * s), h * s / 2)]
    src = [(0, 0), (0, h), (w, h), (w, 0)]
    coeffs = homography(dst, src)
    out = img.transform((w, h), Image.PERSPECTIVE, coeffs, resample=Image.BICUBIC, fillcolor=(0, 0, 0))
    mask = Image.new("L", img.size, 255)
    m = mask.transform((w, h), Image.PERSPECTIVE, coeffs, resample=Image.BILINEAR, fillcolor=0)
    return out, m


def place(rng, frame_size, item, mask=None, pos=None):
    frame = desk(rng, frame_size)
    fw, fh = frame_size
    iw, ih = item.size
    if pos is None:
        pos = (rng.randint(0, max(0, fw - iw)), rng.randint(0, max(0, fh - ih)))
    frame.paste(item, pos, mask)
    return frame


def rotated(item, angle):
    mask = Image.new("L", item.size, 255).rotate(angle, resample=Image.BILINEAR, expand=True)
    return item.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=(0, 0, 0)), mask


def uneven(rng, img, depth=0.55):
    """A shadow across the picture: multiply by a diagonal ramp from 1 down to `depth`."""
    w, h = img.size
    ramp = Image.linear_gradient("L").rotate(rng.choice([30, 60, 120, 210]), expand=False).resize((w, h))
    lo = int(255 * depth)
    ramp = ramp.point(lambda v: lo + (255 - lo) * v // 255)
    return ImageChops.multiply(img, Image.merge("RGB", [ramp] * 3))


def scaled(code, side):
    return code.resize((side, side), Image.BILINEAR)


def low_contrast(code):
    # dark modules 110, light 170
    return code.point(lambda v: 110 + (60 * v) // 255)


TRANSFORMS = {}


def transform(name):
    def reg(f):
        TRANSFORMS[name] = f
        return f
    return reg


# Frame size and code side (px) for the full-size set; --small divides by 3.3.
FULL = ((3000, 4000), 600)


@transform("clean")
def t_clean(rng, code, frame, side):
    return place(rng, frame, on_paper(scaled(code, side))), 85


@transform("rot15")
def t_rot15(rng, code, frame, side):
    item, m = rotated(on_paper(scaled(code, side)), 15)
    return place(rng, frame, item, m), 80


@transform("rot90")
def t_rot90(rng, code, frame, side):
    return place(rng, frame, on_paper(scaled(code, side)).rotate(90, expand=True)), 80


@transform("rot180")
def t_rot180(rng, code, frame, side):
    return place(rng, frame, on_paper(scaled(code, side)).rotate(180, expand=True)), 80


@transform("tilt")
def t_tilt(rng, code, frame, side):
    item, m = perspective(on_paper(scaled(code, side)), rng, 0.35)
    return place(rng, frame, item, m), 75


@transform("blur")
def t_blur(rng, code, frame, side):
    img = place(rng, frame, on_paper(scaled(code, side)))
    return img.filter(ImageFilter.GaussianBlur(side / 200 * 1.6)), 75


@transform("jpeg40")
def t_jpeg40(rng, code, frame, side):
    return place(rng, frame, on_paper(scaled(code, side // 2))), 40


@transform("small")
def t_small(rng, code, frame, side):
    # the code 300 px in a 3000x4000 frame (a tenth of the width)
    return place(rng, frame, on_paper(scaled(code, frame[0] // 10))), 70


@transform("lowcontrast")
def t_lowcontrast(rng, code, frame, side):
    item = on_paper(scaled(code, side)).point(lambda v: 105 + (70 * v) // 255)
    return place(rng, frame, item), 70


@transform("shadow")
def t_shadow(rng, code, frame, side):
    item = uneven(rng, on_paper(scaled(code, side)), 0.35)
    return uneven(rng, place(rng, frame, item), 0.6), 70


@transform("phone")
def t_phone(rng, code, frame, side):
    """Everything at once, mildly: rotated 8 deg, tilted, shadow, blur, noise, q60."""
    item = on_paper(scaled(code, int(side * 0.7)))
    item, m1 = perspective(item, rng, 0.15)
    item = item.rotate(8, resample=Image.BICUBIC, expand=True, fillcolor=(0, 0, 0))
    m1 = m1.rotate(8, resample=Image.BILINEAR, expand=True)
    img = uneven(rng, place(rng, frame, item, m1), 0.55)
    img = img.filter(ImageFilter.GaussianBlur(side / 600))
    return add_noise(rng, img, 0.08), 60


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    opts = [a for a in argv[1:] if a.startswith("--")]
    if len(args) != 2:
        print(__doc__)
        return 2
    src, dst = Path(args[0]), Path(args[1])
    dst.mkdir(parents=True, exist_ok=True)
    only = None
    for o in opts:
        if o.startswith("--only="):
            only = set(o.split("=", 1)[1].split(","))
    small = "--small" in opts
    (fw, fh), side = FULL
    if small:
        fw, fh, side = 720, 960, 180
    for png in sorted(src.glob("*.png")):
        n = png.stem
        text = (src / f"{n}.txt").read_text()
        code = Image.open(png).convert("L")
        for i, (name, f) in enumerate(TRANSFORMS.items()):
            if only and name not in only:
                continue
            seed = int(n) * 1000 + i
            rng = random.Random(seed)
            img, quality = f(rng, code, (fw, fh), side)
            out = dst / f"{name}__{n}.jpg"
            if small:
                quality = min(quality, 60)
            img.convert("RGB").save(out, "JPEG", quality=quality)
            (dst / f"{name}__{n}.txt").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
