"""The architectures' parameter counts against the numbers their papers and Keras' table state."""
from reference import applications as A


def test_vgg16_convolutions_by_hand():
    # Configuration D, block by block: (3·3·c_in + 1)·c_out for each convolution.
    by_hand = ((27 + 1) * 64 + (576 + 1) * 64
               + (576 + 1) * 128 + (1152 + 1) * 128
               + (1152 + 1) * 256 + 2 * (2304 + 1) * 256
               + (2304 + 1) * 512 + 2 * (4608 + 1) * 512
               + 3 * (4608 + 1) * 512)
    assert A.vgg_convolution_parameters("VGG16") == by_hand


def test_vgg_totals_round_to_the_documented_sizes():
    # The paper's Table 2 gives 138M (VGG16) and 144M (VGG19); Keras' table 138.4M and 143.7M.
    for name in ("VGG16", "VGG19"):
        total = A.vgg_convolution_parameters(name) + A.TOP_PARAMETERS[name]
        assert round(total / 1e6, 1) == A.DOCUMENTED_MILLIONS[name], (name, total)
    # VGG19 adds three 3×3 convolutions: one of 256 channels and two of 512.
    extra = (9 * 256 + 1) * 256 + 2 * (9 * 512 + 1) * 512
    assert A.vgg_convolution_parameters("VGG19") - A.vgg_convolution_parameters("VGG16") == extra


def test_tops_by_hand():
    assert A.vgg_top_parameters() == 25088 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    assert A.TOP_PARAMETERS["ResNet50"] == 2_049_000 and A.TOP_PARAMETERS["MobileNetV2"] == 1_281_000
    assert set(A.TOP_PARAMETERS) == set(A.DOCUMENTED_MILLIONS)
