"""The three reference networks in plain PyTorch, written from /work/shared/SPEC.md (§1.3, §2.2,
§3.5), for timing segbench's C++ training step against the Python one on the same LibTorch.

Parameter counts match segbench's (and the references'): 31,190,243 (3D U-Net), 56,454,720
(DeepLabv3+ at width 1), 20,616,948 (nnU-Net 2D at 192x160 with its four heads).
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


# ---------------------------------------------------------------- 3D U-Net (SPEC §1.3)
def _conv_block_3d(cin, cout, stride):
    # The reference's activations table holds nn.ReLU() (not in place); nnU-Net's LeakyReLU and
    # DeepCAM's Xception ReLUs are in place, as below.
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.InstanceNorm3d(cout, eps=1e-5, affine=True, track_running_stats=False),
        nn.ReLU())


class _TwoConv3d(nn.Module):
    def __init__(self, cin, cout, first_stride):
        super().__init__()
        self.conv1 = _conv_block_3d(cin, cout, first_stride)
        self.conv2 = _conv_block_3d(cout, cout, 1)

    def forward(self, x):
        return self.conv2(self.conv1(x))


class _Up3d(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.upsample_conv = nn.ConvTranspose3d(cin, cout, 2, stride=2, padding=0, bias=True)
        self.conv1 = _conv_block_3d(2 * cout, cout, 1)
        self.conv2 = _conv_block_3d(cout, cout, 1)

    def forward(self, x, skip):
        x = torch.cat((self.upsample_conv(x), skip), dim=1)
        return self.conv2(self.conv1(x))


class Unet3D(nn.Module):
    def __init__(self, filters=(32, 64, 128, 256, 320), in_channels=1, n_class=3):
        super().__init__()
        f = list(filters)
        self.input_block = _TwoConv3d(in_channels, f[0], 1)
        self.downsample = nn.ModuleList(_TwoConv3d(a, b, 2) for a, b in zip(f[:-1], f[1:]))
        self.bottleneck = _TwoConv3d(f[-1], f[-1], 2)
        ups = [(f[-1], f[-1])] + list(zip(reversed(f[1:]), reversed(f[:-1])))
        self.upsample = nn.ModuleList(_Up3d(a, b) for a, b in ups)
        self.output = nn.Conv3d(f[0], n_class, 1, bias=True)

    def forward(self, x):
        x = self.input_block(x)
        skips = [x]
        for down in self.downsample:
            x = down(x)
            skips.append(x)
        x = self.bottleneck(x)
        for up, skip in zip(self.upsample, reversed(skips)):
            x = up(x, skip)
        return self.output(x)


def dice_ce_loss(logits, label):
    """SPEC §1.4: (mean over batch and classes 1..C-1 of 1 - Dice + CE) / 2."""
    n_class = logits.shape[1]
    target = label.squeeze(1).long()
    onehot = F.one_hot(target, n_class).permute(0, 4, 1, 2, 3).to(logits.dtype)
    prob = torch.softmax(logits, dim=1)
    axes = (2, 3, 4)
    inter = (onehot * prob).sum(axes)
    dice = (2 * inter + 1e-6) / (onehot.sum(axes) + prob.sum(axes) + 1e-6)
    dice_loss = (1 - dice[:, 1:]).mean()
    return (dice_loss + F.cross_entropy(logits, target)) / 2


# ---------------------------------------------------------------- DeepLabv3+ (SPEC §2.2)
class _Width:
    def __init__(self, width):
        self.width = width

    def __call__(self, channels):
        return max(1, int(math.floor(channels * self.width + 0.5)))


class _SepConv(nn.Module):
    def __init__(self, cin, cout, dilation=1, stride=1):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, stride=stride, padding=dilation,
                                   dilation=dilation, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class _XBlock(nn.Module):
    def __init__(self, cin, cout, reps, stride=1, dilation=1, grow_first=True,
                 end_with_relu=True, is_last=False):
        super().__init__()
        self.skip = None
        if cin != cout or stride != 1:
            self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                      nn.BatchNorm2d(cout))
        self.relu = nn.ReLU(inplace=True)
        units = []
        for i in range(reps):
            if grow_first:
                a, b = (cin, cout) if i == 0 else (cout, cout)
            else:
                a, b = (cin, cin) if i < reps - 1 else (cin, cout)
            units += [_SepConv(a, b, dilation), nn.BatchNorm2d(b), self.relu]
        units = units[:-1]  # the final ReLU of the list is removed
        if stride != 1:
            units.append(_SepConv(cout, cout, 1, stride))
        elif is_last:
            units.append(_SepConv(cout, cout, 1, 1))
        self.rep = nn.Sequential(*units)
        self.end_with_relu = end_with_relu

    def forward(self, x):
        out = self.rep(x)
        out += self.skip(x) if self.skip is not None else x  # in place, as the reference
        return self.relu(out) if self.end_with_relu else out


class _Xception(nn.Module):
    def __init__(self, cin, ch):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, ch(32), 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(ch(32))
        self.conv2 = nn.Conv2d(ch(32), ch(64), 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(ch(64))
        self.block1 = _XBlock(ch(64), ch(128), 2, 2, end_with_relu=False)
        self.block2 = _XBlock(ch(128), ch(256), 2, 2)
        self.block3 = _XBlock(ch(256), ch(728), 2, 2, is_last=True)
        self.middle = nn.Sequential(*[_XBlock(ch(728), ch(728), 3) for _ in range(16)])
        self.block20 = _XBlock(ch(728), ch(1024), 2, 1, grow_first=False, end_with_relu=False,
                               is_last=True)
        self.conv3 = _SepConv(ch(1024), ch(1536), 2)
        self.bn3 = nn.BatchNorm2d(ch(1536))
        self.conv4 = _SepConv(ch(1536), ch(1536), 2)
        self.bn4 = nn.BatchNorm2d(ch(1536))
        self.conv5 = _SepConv(ch(1536), ch(2048), 2)
        self.bn5 = nn.BatchNorm2d(ch(2048))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x):
        # The encoder's ReLUs are in place (the reference's shared nn.ReLU(inplace=True)).
        x = F.relu_(self.bn1(self.conv1(x)))
        x = F.relu_(self.bn2(self.conv2(x)))
        x = self.block1(x)
        low_level = F.relu_(x)
        x = self.block3(self.block2(x))
        x = self.block20(self.middle(x))
        x = F.relu_(self.bn3(self.conv3(x)))
        x = F.relu_(self.bn4(self.conv4(x)))
        return F.relu_(self.bn5(self.conv5(x))), low_level


def _conv_bn_relu(cin, cout, k, dilation=1):
    # ASPP, projection, low-level and decoder ReLUs are nn.ReLU() (not in place) in the reference.
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=dilation * (k // 2),
                                   dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class _Aspp(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.branches = nn.ModuleList([_conv_bn_relu(cin, cout, 1)] +
                                      [_conv_bn_relu(cin, cout, 3, r) for r in (6, 12, 18)])
        for b in self.branches:
            nn.init.kaiming_normal_(b[0].weight)
        self.pool_conv = nn.Conv2d(cin, cout, 1, bias=False)
        self.pool_weight = nn.Parameter(torch.ones(cout, 1, 1))
        self.pool_bias = nn.Parameter(torch.zeros(cout, 1, 1))
        self.project = _conv_bn_relu(5 * cout, cout, 1)

    def forward(self, x):
        pooled = self.pool_conv(F.adaptive_avg_pool2d(x, 1))
        pooled = F.relu(pooled * self.pool_weight + self.pool_bias)
        # The reference tiles by the constant (1, 1, 48, 72); the actual size here (patched).
        pooled = pooled.expand(-1, -1, x.shape[2], x.shape[3])
        return self.project(torch.cat([b(x) for b in self.branches] + [pooled], dim=1))


def _deconv_bn_relu(cin, cout):
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1,
                                            bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class DeepLabV3Plus(nn.Module):
    def __init__(self, width=1.0, in_channels=16, n_classes=3):
        super().__init__()
        ch = _Width(width)
        self.xception = _Xception(in_channels, ch)
        self.aspp = _Aspp(ch(2048), ch(256))
        self.low_level = _conv_bn_relu(ch(128), ch(48), 1)
        self.deconv1 = nn.Sequential(_deconv_bn_relu(ch(256), ch(256)),
                                     _deconv_bn_relu(ch(256), ch(256)))
        self.decoder = nn.Sequential(_conv_bn_relu(ch(256) + ch(48), ch(256), 3),
                                     _conv_bn_relu(ch(256), ch(256), 3),
                                     nn.Conv2d(ch(256), ch(256), 1, bias=True))
        self.deconv2 = _deconv_bn_relu(ch(256), ch(256))
        self.last_deconv = nn.ConvTranspose2d(ch(256), n_classes, 3, stride=2, padding=1,
                                              output_padding=1, bias=False)

    def forward(self, x):
        features, low_level = self.xception(x)
        x = self.deconv1(self.aspp(features))
        x = self.decoder(torch.cat((x, self.low_level(low_level)), dim=1))
        return self.last_deconv(self.deconv2(x))


DEEPCAM_CLASS_WEIGHTS = (1.0017299121, 2.6146112240, 1.7164197480)


def deepcam_ce_loss(logits, label):
    """SPEC §2.3: weighted per-pixel CE, then a plain mean over all pixels."""
    weight = torch.tensor(DEEPCAM_CLASS_WEIGHTS, dtype=logits.dtype)
    return F.cross_entropy(logits, label, weight=weight, reduction="none").mean()


# ---------------------------------------------------------------- nnU-Net 2D (SPEC §3.5)
def unet2d_strides(patch, max_halvings=5):
    """get_unet_params at isotropic spacing: halve while every axis is >= 8, at most 5 times."""
    sizes, strides = list(patch), [(1, 1)]
    while len(strides) - 1 < max_halvings:
        stride = tuple(2 if s >= 8 else 1 for s in sizes)
        if stride == (1, 1):
            break
        sizes = [s / st for s, st in zip(sizes, stride)]
        strides.append(stride)
    return strides


def _conv_layer_2d(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.InstanceNorm2d(cout, eps=1e-5, affine=True, track_running_stats=False),
        nn.LeakyReLU(0.01, inplace=True))


def _conv_block_2d(cin, cout, stride):
    return nn.Sequential(_conv_layer_2d(cin, cout, stride), _conv_layer_2d(cout, cout, 1))


class _Up2d(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.transp_conv = nn.ConvTranspose2d(cin, cout, stride, stride=stride, bias=True)
        self.conv_block = _conv_block_2d(2 * cout, cout, 1)

    def forward(self, x, skip):
        return self.conv_block(torch.cat((self.transp_conv(x), skip), dim=1))


class Unet2D(nn.Module):
    def __init__(self, patch=(192, 160), in_channels=4, n_class=4):
        super().__init__()
        strides = unet2d_strides(patch)
        stages = len(strides)
        f = [min(2 ** (5 + i), 512) for i in range(stages)]
        self.input_block = _conv_block_2d(in_channels, f[0], strides[0])
        self.downsamples = nn.ModuleList(
            _conv_block_2d(f[i - 1], f[i], strides[i]) for i in range(1, stages - 1))
        self.bottleneck = _conv_block_2d(f[-2], f[-1], strides[-1])
        self.upsamples = nn.ModuleList(
            _Up2d(f[i], f[i - 1], strides[i]) for i in range(stages - 1, 0, -1))
        self.output_block = nn.Conv2d(f[0], n_class, 1, bias=True)
        self.heads = nn.ModuleList(nn.Conv2d(f[i], n_class, 1, bias=True)
                                   for i in range(1, stages - 1))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, a=0.01)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.input_block(x)
        skips = [x]
        for down in self.downsamples:
            x = down(x)
            skips.append(x)
        x = self.bottleneck(x)
        decoder_outputs = []
        for up, skip in zip(self.upsamples, reversed(skips)):
            x = up(x, skip)
            decoder_outputs.append(x)
        outputs = [self.output_block(x)]
        if self.training:
            for head, out in zip(self.heads, decoder_outputs[-3:-1][::-1]):
                outputs.append(head(out))
        return outputs


def nnunet_dice_ce_loss(logits, label):
    """SPEC §3.6: batch Dice over the foreground classes (smoothing 1e-5) + CE, summed."""
    n_class = logits.shape[1]
    target = label.squeeze(1).long()
    onehot = F.one_hot(target, n_class).permute(0, 3, 1, 2)[:, 1:].to(logits.dtype)
    prob = torch.softmax(logits, dim=1)[:, 1:]
    axes = (0, 2, 3)
    inter = (prob * onehot).sum(axes)
    dice = (2 * inter + 1e-5) / (prob.sum(axes) + onehot.sum(axes) + 1e-5)
    return (1 - dice).mean() + F.cross_entropy(logits, target)


def deep_supervision_loss(outputs, label):
    norm = 2 - 2 ** -len(outputs)
    total = 0
    for i, out in enumerate(outputs):
        lab = label if out.shape[2:] == label.shape[2:] else \
            F.interpolate(label.float(), size=out.shape[2:]).to(label.dtype)
        total = total + nnunet_dice_ce_loss(out, lab) * (2 ** -i / norm)
    return total
