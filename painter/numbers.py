"""The lesson's numbers and VGG16's layer names, for what answers before TensorFlow loads.

style_transfer.py imports TensorFlow at its top, as the tutorial did, so the command lines'
--help and their usage errors cannot import it (5 s). They show these instead, and
tests/test_layers.py fails if any of them differs from the lesson's own.
"""
CONTENT_WEIGHT = 0.025
STYLE_WEIGHT = 5.0
TV_WEIGHT = 1.0
ITERATIONS = 10
EVALS_PER_ITERATION = 20
SIZE = 512
CONTENT_LAYER = "block2_conv2"
STYLE_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
VGG16_LAYERS = ["block1_conv1", "block1_conv2", "block1_pool",
                "block2_conv1", "block2_conv2", "block2_pool",
                "block3_conv1", "block3_conv2", "block3_conv3", "block3_pool",
                "block4_conv1", "block4_conv2", "block4_conv3", "block4_pool",
                "block5_conv1", "block5_conv2", "block5_conv3", "block5_pool"]

# VGG16 halves a picture five times: a side under 32 pixels would vanish before block 5.
SMALLEST_SIDE = 32
