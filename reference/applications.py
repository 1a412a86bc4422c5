"""Parameter counts of the architectures tf.keras.applications offers (三 / （三）2), from their papers
and Keras' documentation, in plain Python: nothing here comes from Keras itself.

VGG16 and VGG19 are configurations D and E of Simonyan & Zisserman, "Very Deep Convolutional Networks
for Large-Scale Image Recognition" (ICLR 2015), Table 1: 3×3 convolutions with biases, max-pooling
('M'), and on top three fully connected layers (4096, 4096, 1000) on the 7×7×512 map of a 224×224
image. The other architectures are checked against the parameter counts in millions that Keras'
applications table lists (https://keras.io/api/applications/), with the top their papers give: a
global average pool and a 1000-way fully connected layer on the last feature map (ResNet, He et al.
2016: 2048 channels; MobileNet, Howard et al. 2017, Table 1: FC 1024 × 1000; MobileNetV2, Sandler et
al. 2018, Table 2: 1 × 1 convolution 1280 → k, i.e. a 1280 × 1000 layer).
"""
from __future__ import annotations

VGG_CONFIGURATIONS = {
    "VGG16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "VGG19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}

# keras.io/api/applications/, column "Parameters" (with the classification top, 1000 classes).
DOCUMENTED_MILLIONS = {
    "VGG16": 138.4, "VGG19": 143.7,
    "ResNet50": 25.6, "ResNet101": 44.7, "ResNet152": 60.4,
    "ResNet50V2": 25.6, "ResNet101V2": 44.7, "ResNet152V2": 60.4,
    "MobileNet": 4.3, "MobileNetV2": 3.5,
}


def dense_parameters(inputs: int, outputs: int) -> int:
    return inputs * outputs + outputs


def vgg_convolution_parameters(name: str, in_channels: int = 3) -> int:
    """The convolutional part (include_top=False): (3·3·c_in + 1)·c_out per convolution."""
    total, channels = 0, in_channels
    for item in VGG_CONFIGURATIONS[name]:
        if item != "M":
            total += (3 * 3 * channels + 1) * item
            channels = item
    return total


def vgg_top_parameters(classes: int = 1000) -> int:
    return dense_parameters(7 * 7 * 512, 4096) + dense_parameters(4096, 4096) + dense_parameters(4096, classes)


# The classification top on the feature map the include_top=False model ends with.
TOP_PARAMETERS = {
    "VGG16": vgg_top_parameters(), "VGG19": vgg_top_parameters(),
    **{name: dense_parameters(2048, 1000) for name in
       ("ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2")},
    "MobileNet": dense_parameters(1024, 1000),
    "MobileNetV2": dense_parameters(1280, 1000),
}
