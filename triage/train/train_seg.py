#!/usr/bin/python3
"""Train Skysieve's per-pixel triage model (contract v2) and export it to ONNX.

Reads training patches written by `triage dump-train` (format documented in
triage/train/patches.go), trains a small U-Net (6 bands in, 7 classes out)
with class-weighted cross-entropy plus soft dice, and writes:

  MODEL          ONNX (opset 13), input [N,6,P,P] reflectance normalised by the
                 metadata's mean/std, output [N,C,P,P] softmax probabilities,
                 contract metadata in metadata_props;
  MODEL.json     provenance: data files and their sha256, seeds, steps,
                 losses, per-class pixel IoU on each validation file, torch
                 version; its sha256 is the model's skysieve.provenance;
  --report FILE  the validation report alone (per-class pixel IoU).

Everything is seeded: the same data, flags and torch build give the same model.
"""

import argparse
import hashlib
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MAGIC = b"SKYPATCH"
VERSION = 1
BANDS = ["blue", "green", "red", "nir", "swir1", "swir2"]
CLASSES = ["other", "cloud_thick", "cloud_thin", "shadow", "water", "fire", "hull"]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_patches(path):
    """Reads a SKYPATCH file; returns (x float32 [K,B,P,P], y uint8 [K,P,P], kinds uint8 [K])."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        fixed = f.read(8 + 6 * 4)
        if len(fixed) != 32 or fixed[:8] != MAGIC:
            raise ValueError(f"{path}: not a patch file (magic {fixed[:8]!r}, want {MAGIC!r})")
        version, count, bands, patch, classes, name_len = struct.unpack("<6I", fixed[8:])
        if version != VERSION:
            raise ValueError(f"{path}: version {version}, want {VERSION}")
        if not (0 < patch <= 512 and 0 < bands <= 64 and 0 < classes <= 256 and name_len <= 4096):
            raise ValueError(f"{path}: bad dims: patch {patch}, bands {bands}, classes {classes}, names {name_len} bytes")
        names = f.read(name_len).decode("utf-8")
        band_names, _, class_names = names.partition("\n")
        band_names, class_names = band_names.split(","), class_names.split(",")
        if band_names != BANDS or class_names != CLASSES:
            raise ValueError(f"{path}: bands {band_names} and classes {class_names}, want {BANDS} and {CLASSES}")
        rec = 4 + 4 * bands * patch * patch + patch * patch
        if size != 32 + name_len + count * rec:
            raise ValueError(f"{path}: {size} bytes, want {32 + name_len + count * rec} for {count} patches")
        raw = np.fromfile(f, dtype=np.uint8, count=count * rec).reshape(count, rec)
    kinds = raw[:, 0].copy()
    x = raw[:, 4:4 + 4 * bands * patch * patch].copy().view("<f4").reshape(count, bands, patch, patch)
    y = raw[:, 4 + 4 * bands * patch * patch:].copy().reshape(count, patch, patch)
    if y.max(initial=0) >= classes:
        raise ValueError(f"{path}: label {y.max()} of {classes} classes")
    if not np.isfinite(x).all():
        raise ValueError(f"{path}: non-finite reflectance")
    return x.astype(np.float32), y, kinds


def conv(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def block(cin, cout, convs=2):
    layers = conv(cin, cout)
    for _ in range(convs - 1):
        layers += conv(cout, cout)
    return nn.Sequential(*layers)


class UNet(nn.Module):
    """A three-level U-Net: widths w, 2w, 4w; max-pool down, transposed conv
    up. The full-resolution level has one 3×3 conv each way (not two): it
    costs the most per pixel, and the skip carries the fine detail that
    small fires and hulls need."""

    def __init__(self, bands, classes, w):
        super().__init__()
        self.e1, self.e2, self.e3 = block(bands, w, 1), block(w, 2 * w), block(2 * w, 4 * w)
        self.u2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
        self.d2 = block(4 * w, 2 * w)
        self.u1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.d1 = block(2 * w, w, 1)
        self.head = nn.Conv2d(w, classes, 1)

    def forward(self, x):
        a = self.e1(x)
        b = self.e2(F.max_pool2d(a, 2))
        c = self.e3(F.max_pool2d(b, 2))
        d = self.d2(torch.cat([self.u2(c), b], 1))
        e = self.d1(torch.cat([self.u1(d), a], 1))
        return self.head(e)


class Softmaxed(nn.Module):
    """The exported graph: logits to per-pixel probabilities over the class axis."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.softmax(self.net(x), dim=1)


def augment(x, y, g):
    """Flips, quarter turns, calibration gain ±10% (with ±3% per band), sensor
    noise and column striping, on raw reflectance."""
    n = x.shape[0]
    k = int(torch.randint(0, 4, (1,), generator=g))
    x, y = torch.rot90(x, k, (2, 3)), torch.rot90(y, k, (1, 2))
    if torch.rand(1, generator=g) < 0.5:
        x, y = torch.flip(x, (3,)), torch.flip(y, (2,))
    gain = (1 + 0.2 * (torch.rand(n, 1, 1, 1, generator=g) - 0.5)) * (1 + 0.06 * (torch.rand(n, x.shape[1], 1, 1, generator=g) - 0.5))
    x = x * gain
    sigma = 0.012 * torch.rand(n, 1, 1, 1, generator=g)
    x = x + sigma * torch.randn(x.shape, generator=g)
    stripe = (torch.rand(n, 1, 1, 1, generator=g) < 0.2).float() * 0.01 * torch.randn(n, x.shape[1], 1, x.shape[3], generator=g)
    return (x + stripe).contiguous(), y.contiguous()


def class_weights(y, classes, cap, power):
    """Inverse frequency weights to the given power, capped at cap times the
    smallest, scaled to mean 1 over pixels."""
    freq = np.bincount(y.reshape(-1), minlength=classes).astype(np.float64) / y.size
    w = np.where(freq > 0, np.maximum(freq, 1e-12) ** -power, 0)
    w = np.minimum(w / w[freq > 0].min(), cap)
    w = w / (w * freq).sum()
    return w.astype(np.float32), freq


def soft_dice(logits, y, classes):
    p = torch.softmax(logits, 1)
    onehot = F.one_hot(y.long(), classes).permute(0, 3, 1, 2).float()
    inter = (p * onehot).sum((0, 2, 3))
    denom = p.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
    present = onehot.sum((0, 2, 3)) > 0
    dice = (2 * inter + 1) / (denom + 1)
    return 1 - dice[present].mean()


def evaluate(model, x, y, mean, std, classes, batch=64):
    """Per-class pixel IoU and accuracy of the argmax over a validation set."""
    model.eval()
    conf = np.zeros((classes, classes), dtype=np.int64)
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = (torch.from_numpy(x[i:i + batch]) - mean) / std
            pred = model(xb).argmax(1).numpy().reshape(-1)
            conf += np.bincount(y[i:i + batch].reshape(-1).astype(np.int64) * classes + pred, minlength=classes * classes).reshape(classes, classes)
    model.train()
    iou = {}
    for c in range(classes):
        tp, fp, fn = conf[c, c], conf[:, c].sum() - conf[c, c], conf[c, :].sum() - conf[c, c]
        iou[CLASSES[c]] = None if tp + fp + fn == 0 else round(float(tp / (tp + fp + fn)), 4)
    vals = [v for v in iou.values() if v is not None]
    return {"pixel_iou": iou, "mean_iou": round(float(np.mean(vals)), 4),
            "pixel_accuracy": round(float(np.trace(conf) / conf.sum()), 4),
            "pixels": int(conf.sum()), "confusion": conf.tolist()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", nargs="+", help="training patch files")
    ap.add_argument("--eval", metavar="CKPT", help="only score the weights saved by --ckpt on --val, into --report")
    ap.add_argument("--val", nargs="*", default=[], help="NAME=FILE validation patch files")
    ap.add_argument("--out", help="ONNX model to write (provenance goes to OUT.json)")
    ap.add_argument("--report", help="validation report JSON to write")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--width", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--weight-cap", type=float, default=100)
    ap.add_argument("--weight-power", type=float, default=0.75, help="class weight = frequency^-power (capped)")
    ap.add_argument("--dice", type=float, default=0.3)
    ap.add_argument("--hull-boost", type=float, default=4, help="draw patches showing a hull this many times as often")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--model-version", default="seg-1")
    ap.add_argument("--generators", default="", help="generator names, for the provenance")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--ckpt", help="also save the trained weights and normalisation here (torch.save)")
    args = ap.parse_args()
    if args.eval:
        return evaluate_ckpt(args)
    if not args.train or not args.out:
        ap.error("--train and --out are required to train")

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    start = time.time()

    xs, ys = [], []
    for path in args.train:
        x, y, _ = read_patches(path)
        xs.append(x)
        ys.append(y)
    x, y = np.concatenate(xs), np.concatenate(ys)
    del xs, ys
    patch = x.shape[-1]
    vals = {}
    for spec in args.val:
        name, _, path = spec.partition("=")
        vx, vy, _ = read_patches(path)
        vals[name] = (vx, vy, path)
    print(f"{len(x)} training patches of {patch} px; validation {', '.join(f'{k}: {len(v[0])}' for k, v in vals.items())}", flush=True)

    mean = x.mean(axis=(0, 2, 3)).astype(np.float32)
    std = x.std(axis=(0, 2, 3)).astype(np.float32)
    mean_t, std_t = torch.from_numpy(mean).view(1, -1, 1, 1), torch.from_numpy(std).view(1, -1, 1, 1)
    weights, freq = class_weights(y, len(CLASSES), args.weight_cap, args.weight_power)
    print("class freq", dict(zip(CLASSES, np.round(freq, 5).tolist())), "weights", dict(zip(CLASSES, np.round(weights, 3).tolist())), flush=True)

    net = UNet(len(BANDS), len(CLASSES), args.width)
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.1)
    wt = torch.from_numpy(weights)
    g = torch.Generator().manual_seed(args.seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    # Patches that show a hull are drawn hull_boost times as often: hulls are
    # the rarest pixels and the easiest to confuse with cloud puffs and foam.
    has_hull = torch.from_numpy((y == CLASSES.index("hull")).any(axis=(1, 2)))
    draw = 1 + (args.hull_boost - 1) * has_hull.double()
    losses, curve = [], []
    t0 = time.time()
    for step in range(1, args.steps + 1):
        idx = torch.multinomial(draw, args.batch, replacement=True, generator=g)
        xb, yb = augment(xt[idx], yt[idx], g)
        xb = (xb - mean_t) / std_t
        logits = net(xb)
        ce = F.cross_entropy(logits, yb.long(), weight=wt)
        loss = ce + args.dice * soft_dice(logits, yb, len(CLASSES)) if args.dice > 0 else ce
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss))
        if step % 100 == 0 or step == args.steps:
            sps = (time.time() - t0) / step
            recent = float(np.mean(losses[-100:]))
            curve.append({"step": step, "loss": round(recent, 4)})
            print(f"step {step}/{args.steps} loss {recent:.4f} ({sps:.3f} s/step)", flush=True)
        if vals and (step % args.eval_every == 0 and step < args.steps):
            for name, (vx, vy, _) in vals.items():
                r = evaluate(net, vx[:400], vy[:400], mean_t, std_t, len(CLASSES))
                print(f"  val {name}: mean IoU {r['mean_iou']} {r['pixel_iou']}", flush=True)
    train_s = time.time() - t0

    net.eval()
    report = {"steps": args.steps, "final_loss": round(float(np.mean(losses[-100:])), 4), "validation": {}}
    for name, (vx, vy, path) in vals.items():
        r = evaluate(net, vx, vy, mean_t, std_t, len(CLASSES))
        r["file"], r["patches"] = os.path.basename(path), len(vx)
        report["validation"][name] = r
        print(f"val {name}: mean IoU {r['mean_iou']} accuracy {r['pixel_accuracy']} {r['pixel_iou']}", flush=True)

    if args.ckpt:
        torch.save({"state": net.state_dict(), "width": args.width, "mean": mean, "std": std}, args.ckpt)
    export(net, args, patch, mean, std, params, train_s, report, curve, weights, freq, start)


def evaluate_ckpt(args):
    torch.set_num_threads(args.threads)
    ck = torch.load(args.eval)
    net = UNet(len(BANDS), len(CLASSES), ck["width"])
    net.load_state_dict(ck["state"])
    mean_t = torch.from_numpy(ck["mean"]).view(1, -1, 1, 1)
    std_t = torch.from_numpy(ck["std"]).view(1, -1, 1, 1)
    report = {"checkpoint": os.path.basename(args.eval), "validation": {}}
    for spec in args.val:
        name, _, path = spec.partition("=")
        vx, vy, _ = read_patches(path)
        r = evaluate(net, vx, vy, mean_t, std_t, len(CLASSES))
        r["file"], r["patches"] = os.path.basename(path), len(vx)
        report["validation"][name] = r
        print(f"val {name}: mean IoU {r['mean_iou']} accuracy {r['pixel_accuracy']} {r['pixel_iou']}", flush=True)
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")


def export(net, args, patch, mean, std, params, train_s, report, curve, weights, freq, start):
    import onnx

    out = args.out
    tmp = out + ".tmp"
    model = Softmaxed(net).eval()
    dummy = torch.zeros(1, len(BANDS), patch, patch)
    torch.onnx.export(model, dummy, tmp, opset_version=13, input_names=["input"], output_names=["seg"],
                      dynamic_axes={"input": {0: "n"}, "seg": {0: "n"}}, do_constant_folding=True)
    prov = {
        "contract": "2",
        "model_version": args.model_version,
        "generators": [s for s in args.generators.split(",") if s],
        "train_files": [{"file": os.path.basename(p), "sha256": sha256_file(p)} for p in args.train],
        "seed": args.seed, "steps": args.steps, "batch": args.batch, "width": args.width, "lr": args.lr,
        "dice_weight": args.dice, "weight_cap": args.weight_cap, "weight_power": args.weight_power, "hull_boost": args.hull_boost, "threads": args.threads,
        "params": params, "class_freq": dict(zip(CLASSES, np.round(freq, 6).tolist())),
        "class_weights": dict(zip(CLASSES, np.round(weights, 4).tolist())),
        "norm_mean": [float(f"{v:.6g}") for v in mean], "norm_std": [float(f"{v:.6g}") for v in std],
        "train_seconds": round(train_s, 1), "seconds_per_step": round(train_s / args.steps, 4),
        "loss_curve": curve, "final_loss": report["final_loss"],
        "validation": {k: {kk: vv for kk, vv in v.items() if kk != "confusion"} for k, v in report["validation"].items()},
        "torch": torch.__version__, "onnx": onnx.__version__, "python": sys.version.split()[0],
        "script_sha256": sha256_file(__file__),
    }
    pj = json.dumps(prov, indent=2, sort_keys=True) + "\n"
    with open(out + ".json", "w") as f:
        f.write(pj)
    m = onnx.load(tmp)
    meta = {
        "skysieve.contract": "2",
        "skysieve.model_version": args.model_version,
        "skysieve.bands": ",".join(BANDS),
        "skysieve.classes": ",".join(CLASSES),
        "skysieve.patch_size": str(patch),
        "skysieve.norm_mean": ",".join(f"{v:.6g}" for v in mean),
        "skysieve.norm_std": ",".join(f"{v:.6g}" for v in std),
        "skysieve.input": "input",
        "skysieve.output_seg": "seg",
        "skysieve.gsd_m": "10-60",
        "skysieve.provenance": hashlib.sha256(pj.encode()).hexdigest(),
    }
    del m.metadata_props[:]
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    m.producer_name = "skysieve train_seg.py"
    onnx.checker.check_model(m)
    onnx.save(m, out)
    os.remove(tmp)
    if args.report:
        os.makedirs(os.path.dirname(args.report) or ".", exist_ok=True)
        with open(args.report, "w") as f:
            json.dump({"model": os.path.basename(out), "generators": prov["generators"], **report}, f, indent=2)
            f.write("\n")
    print(f"wrote {out} ({os.path.getsize(out)} bytes, {params} params) in {time.time() - start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
