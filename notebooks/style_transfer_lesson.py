# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # How to Generate Art: neural style transfer, one step at a time
#
# This notebook follows the 2017 video "How to Generate Art" and the Keras tutorial it
# builds, in the same order, one step per cell. We paint a photo of a cat in the style of a
# painting with the method of Gatys, Ecker and Bethge (2015): start from noise and change its
# pixels until
#
# * its **VGG16 features** at one layer match the photo's (content loss),
# * its **Gram matrices** at five layers match the painting's (style loss), and
# * neighbouring pixels do not jump about (total variation loss).
#
# Every formula comes from [`style_transfer.py`](../style_transfer.py), the runnable script
# beside this notebook: the notebook calls its functions and prints their code, so you read
# each one where it is used. There is one copy of the maths, and it is the one the script runs.
#
# Run it with **Run > Run All Cells**. The pictures are small (192 pixels) so that it
# finishes in about five minutes on two CPU cores; the script makes large ones.

# %% [markdown]
# ## Setting up
#
# The tutorial's `K.placeholder` and `K.gradients` belong to TensorFlow's *graph mode*: we first
# describe the whole computation, then run it many times. TensorFlow 2 runs eagerly by default,
# so `st.use_graph_mode()` switches it back before anything else is built. `K` is the Keras 2
# backend (from the `tf-keras` package) that the tutorial was written against. The lesson is
# `style_transfer.py` (`st`); what is not the lesson (reading any picture file, finding the
# weights, drawing the comparison sheet) comes from the `painter` package beside it.
#
# `SIZE` is the longer side of the pictures in pixels and `ITERATIONS` how many times we stop to
# look at the picture. (`make test` runs this notebook at a tiny size through the environment
# variables below; you can ignore them.)

# %%
import inspect
import io
import os
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
from IPython.display import Image, Markdown, display

sys.path.insert(0, str(Path.cwd().parent))  # this notebook is in notebooks/, the script one up
# The package beside the lesson reads pictures, finds VGG16's weights and draws the sheets.
from painter import files, pictures, startup, weights
with startup.quiet_native_stderr():  # TensorFlow's start-up notices (CUDA, oneDNN), parked
    import style_transfer as st
from tf_keras import backend as K

st.use_graph_mode()

SIZE = int(os.environ.get("STYLE_NOTEBOOK_SIZE", 192))
ITERATIONS = int(os.environ.get("STYLE_NOTEBOOK_ITERATIONS", 10))
IMAGES = Path(st.__file__).parent / "images"


def show(function):
    """Print the code of one of style_transfer.py's functions, to read it in place."""
    display(Markdown(f"```python\n{inspect.getsource(function)}```"))


def picture(image, zoom=2, format="jpeg"):
    """Show an RGB array, `zoom` times larger on screen so that small pictures are easy to see."""
    buffer = io.BytesIO()
    PIL.Image.fromarray(image).save(buffer, format=format, quality=90)
    display(Image(data=buffer.getvalue(), format=format, width=zoom * image.shape[1]))


# %% [markdown]
# ## 1. The photo and the painting
#
# The *content* image is the photo we repaint; the *style* image is the painting whose manner
# we copy. The result keeps the photo's shape (its aspect ratio) with `SIZE` pixels on its longer
# side, and the painting is resized to the same shape, because in the tutorial all three
# pictures go through the network together, as one batch.

# %%
content = files.load_image(IMAGES / "chelsea.png")
style = files.load_image(IMAGES / "swirls.png")
shape = st.result_shape(content, SIZE)
height, width = shape
print(f"photo {content.shape[1]}x{content.shape[0]}, painting {style.shape[1]}x{style.shape[0]}"
      f" -> result {width}x{height} pixels")

figure, axes = plt.subplots(1, 2, figsize=(8, 3), dpi=80)
titles = ["the photo (content)", "the painting (style)"]
for ax, image, title in zip(axes, [content, style], titles):
    ax.imshow(image)
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. Preprocessing: the way VGG16 saw its training pictures
#
# We will measure pictures with VGG16, a network trained in 2014 to name the objects in
# ImageNet's photos. It was trained with the Caffe library, which reads pictures as **BGR**
# (blue, green, red: the reverse of the usual order) and subtracts the **mean ImageNet pixel**
# from every pixel, so the numbers are centred on zero. The network only understands pictures
# prepared the same way: give it RGB and it sees a blue cat. `preprocess` does exactly that
# (and adds a batch dimension); `deprocess` undoes it to turn numbers back into a picture.

# %%
show(st.preprocess)
show(st.deprocess)

# %%
content_array = st.preprocess(content, shape)
style_array = st.preprocess(style, shape)
print("shape of a preprocessed image (batch, height, width, channels):", content_array.shape)
print("the photo's mean per channel, blue green red:", content_array.mean(axis=(0, 1, 2)).round(1))
back = st.deprocess(content_array.ravel(), shape)
print("deprocess(preprocess(photo)) is the photo again, to within a rounding:",
      np.abs(back.astype(int) - st.resize(content, shape).astype(int)).max() <= 1)

# %% [markdown]
# ## 3. Variables, a placeholder, and one batch
#
# The photo and the painting never change while we paint, so they go into the graph as
# **variables** (`K.variable`): values the graph holds. The picture we are making changes at
# every step of the optimisation, so it is a **placeholder** (`K.placeholder`): an empty slot
# that we fill with new pixels each time we run the graph.
#
# `K.concatenate` stacks the three into **one batch** of three images, so that one pass
# through VGG16 gives the features of all of them: index 0 is the photo, 1 the painting,
# 2 the picture being painted.

# %%
content_image = K.variable(content_array)
style_image = K.variable(style_array)
combination_image = K.placeholder((1, height, width, 3))

input_tensor = K.concatenate([content_image, style_image, combination_image], axis=0)
print("the batch:", K.int_shape(input_tensor))

# %% [markdown]
# ## 4. VGG16 without its head
#
# Why a network trained to name objects? To recognise cats and cars, VGG16 learnt a ladder of
# detectors: its first layers respond to edges and colours, the middle ones to textures and
# patterns, the deep ones to parts of objects. Comparing two pictures by these *features*
# says whether they look alike far better than comparing their pixels.
#
# We load it **headless** (`include_top=False`): without the final layers that turn features
# into one of 1000 labels. We want the features, not the label, and without those layers the
# network takes pictures of any size. Its weights are ImageNet's, and stay fixed: we never
# train the network, we change the picture.
#
# Each block is two or three convolutions (`conv`) followed by a pooling layer that halves the
# picture's width and height. The layer names are the ones the losses below pick from.

# %%
show(st.vgg16)

# %%
weights_path = weights.resolve_weights("imagenet")
with startup.quiet_native_stderr():  # TensorFlow looks for a GPU here, and says so at length
    model = st.vgg16(input_tensor, weights_path)
model.summary()

outputs_dict = {layer.name: layer.output for layer in model.layers}

# %% [markdown]
# ## 5. Content loss
#
# The content loss is the squared distance between the photo's features and the picture's
# features at one layer. The tutorial chose `block2_conv2`, a fairly shallow layer: the picture
# must keep the photo's shapes and edges, but not its exact colours or textures, which leaves
# room for the painting's.
#
# To see what the loss measures, we run it on two pictures: the starting noise (far from the
# photo: a large loss) and the photo itself (a loss of zero).

# %%
show(st.content_loss)

# %%
content_features = outputs_dict[st.CONTENT_LAYER][0, :, :, :]      # the photo's
combination_features = outputs_dict[st.CONTENT_LAYER][2, :, :, :]  # the picture's
content_part = st.content_loss(content_features, combination_features)

noise = st.random_start(shape, seed=0)  # the tutorial's start: random pixels
measure_content = K.function([combination_image], [content_part])
print(f"content loss of the noise: {measure_content([noise])[0]:.4g}")
print(f"content loss of the photo: {measure_content([content_array])[0]:.4g}")

# %% [markdown]
# ## 6. The Gram matrix: style without the layout
#
# At one layer, each of the picture's positions has one number per channel (64 channels in
# block 1, up to 512 in block 5): how strongly each feature is there. The **Gram matrix**
# multiplies every channel with every other channel and sums over all positions. Entry (i, j)
# is large when features i and j tend to appear *together*, wherever that is.
#
# Summing over the positions throws away *where* things are and keeps *which features go
# together*: blue next to yellow, curved strokes of a certain width. That is what we call style.
# A Gram matrix is channels x channels, whatever the picture's size.
#
# Below are the painting's Gram matrices at a shallow layer (colours and fine strokes) and at
# a deeper one (larger patterns), next to the photo's. They are different pictures: the style
# loss will make the result's look like the painting's. (A log scale, because a few entries are
# much larger than the rest.)

# %%
show(st.gram_matrix)

# %%
shown_layers = ["block1_conv2", "block3_conv3"]
grams = {(who, layer): st.gram_matrix(outputs_dict[layer][index, :, :, :])
         for who, index in [("painting", 1), ("photo", 0)] for layer in shown_layers}
values = K.function([combination_image], list(grams.values()))([noise])

figure, axes = plt.subplots(1, 4, figsize=(13, 3.4), dpi=80)
for ax, (who, layer), gram in zip(axes, grams, values):
    ax.imshow(np.log1p(np.maximum(gram, 0) / gram.max() * 1e3), cmap="magma")
    ax.set_title(f"{who}, {layer}\n{gram.shape[0]} x {gram.shape[1]}")
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 7. Style loss
#
# The style loss at one layer is the squared distance between the painting's Gram matrix and
# the picture's. The tutorial adds it up over five layers, from `block1_conv2` (brush marks) to
# `block5_conv3` (large motifs), so the picture copies the painting at every scale.
#
# The painting's Gram matrices never change, so we compute them once, here, as tensors of the
# graph; `style_loss` compares them with the picture's. Measured below, layer by layer: the
# noise and the photo are far from the painting's style, the painting itself is at zero.

# %%
show(st.style_loss)

# %%
style_grams = {layer: st.gram_matrix(outputs_dict[layer][1, :, :, :])
               for layer in st.STYLE_LAYERS}                                  # the painting's
combination = {layer: outputs_dict[layer][2, :, :, :]
               for layer in [st.CONTENT_LAYER, *st.STYLE_LAYERS]}             # the picture's
style_parts = [st.style_loss(style_grams[layer], combination[layer], height, width)
               for layer in st.STYLE_LAYERS]

measure_style = K.function([combination_image], style_parts)
print(f"{'style loss of':15}" + "".join(f"{layer:>14}" for layer in st.STYLE_LAYERS))
for name, x in [("the noise", noise), ("the photo", content_array), ("the painting", style_array)]:
    print(f"{name:15}" + "".join(f"{value:14.3g}" for value in measure_style([x])))

# %% [markdown]
# ## 8. Total variation loss
#
# Left to the first two losses alone, the picture fills with fine speckle: tiny pixel-to-pixel
# changes that VGG16 barely notices. The total variation loss adds up the differences between
# each pixel and its neighbours to the right and below, so it is small for a smooth picture and
# large for noise.

# %%
show(st.total_variation_loss)

# %%
tv_part = st.total_variation_loss(combination_image, height, width)
measure_tv = K.function([combination_image], [tv_part])
for name, x in [("the noise", noise), ("the photo", content_array), ("the painting", style_array)]:
    print(f"total variation loss of {name}: {measure_tv([x])[0]:.4g}")

# %% [markdown]
# ## 9. The loss: one number to make small
#
# The loss is the weighted sum of the three: `content_weight` (0.025) for looking like the
# photo, `style_weight` (5.0, shared by the five layers) for feeling like the painting and
# `tv_weight` (1.0) for smoothness. These are the tutorial's numbers; changing them changes
# the balance between photo and painting. `total_loss` returns the weighted parts, whose sum is
# the loss (the script also uses it to blend several paintings, hence the lists).
#
# One thing the tutorial did not do: its numbers were chosen for a 512-pixel picture, and its
# content and total variation losses add up over the pixels while the style loss does not. At
# our 192 pixels the photo would count about 7 times less, and the cat would wash away. So the
# script scales those two weights to mean what they mean at 512 pixels, whatever the size:

# %%
show(st.loss_weights_for_size)
show(st.total_loss)

# %% [markdown]
# The weights, the layers and the rest of the loss's settings travel together in one object,
# `LossSettings`, whose defaults are the tutorial's numbers; `Features` bundles the tensors that
# steps 3 to 7 made (the picture, the photo's features, the painting's Gram matrices, the
# picture's features).

# %%
settings = st.LossSettings()
print(settings)
features = st.Features(combination_image, content_features, [style_grams], combination,
                       photo=content_image)
parts = st.total_loss(features, settings, size_scale=st.SIZE / max(height, width))
loss = sum(parts.values())

# %% [markdown]
# ## 10. `K.gradients`: which way to change each pixel
#
# `K.gradients(loss, combination_image)` asks TensorFlow for the derivative of the loss with
# respect to every pixel of the picture: back-propagation, as in training, except that it runs
# all the way back to the input and the network's weights stay as they are. The gradient says,
# for each pixel, which way to nudge it to lower the loss.
#
# `K.function` wraps the graph into something we can call: give it a picture, get back the
# loss, the gradient, and (for us to watch) the loss's parts, all from one run.

# %%
grads = K.gradients(loss, combination_image)
f_outputs = K.function([combination_image], [loss] + grads + list(parts.values()))

start_loss, start_gradient, *start_parts = f_outputs([noise])
print(f"loss of the noise: {start_loss:.4g}, of which "
      + ", ".join(f"{name} {value:.3g}" for name, value in zip(parts, start_parts)))
print("the gradient has one number per pixel and channel:", start_gradient.shape)

# %% [markdown]
# The script builds this same graph in one call, `st.build_loss_and_grads`, which we use for
# the challenge at the end. It gives the same loss:

# %%
with startup.quiet_native_stderr():
    script_graph = st.build_loss_and_grads(content_array, [style_array], weights_path)
script_loss = script_graph.f_outputs([noise])[0]
print(f"the script's loss of the noise: {script_loss:.4g}; the same: "
      f"{np.isclose(script_loss, start_loss, rtol=1e-5)}")
assert np.isclose(script_loss, start_loss, rtol=1e-5)

# %% [markdown]
# ## 11. The Evaluator
#
# We hand the picture to scipy's optimiser, `fmin_l_bfgs_b`, which wants the loss and the
# gradient from **two separate functions**, each given the picture as one flat vector of
# float64 numbers. But one run of the graph gives both. So the `Evaluator` runs the graph when
# asked for the loss, **keeps the gradient**, and hands it over when asked for the gradient of
# the same picture: half the work of running VGG16 twice. It also remembers the best picture so
# far, and calls a function of ours after every evaluation, if we give it one: below, to keep
# the loss and its parts for the plot at the end.

# %%
show(st.Evaluator)

# %%
evaluator = st.Evaluator(f_outputs, shape, list(parts))
evaluator.loss(noise.ravel())
evaluator.grads(noise.ravel())
print("asked for the loss and the gradient; the graph ran", evaluator.evaluations, "time")

# %% [markdown]
# ## 12. The loop: L-BFGS paints the picture
#
# **L-BFGS** is a classic optimiser for smooth problems with many unknowns (here every pixel
# and channel: tens of thousands of numbers). Like gradient descent it follows the gradient,
# but it also remembers the last few steps to estimate how the slope bends, and so takes far
# better steps, with no learning rate to tune.
#
# The tutorial calls it ten times for 20 evaluations each, only so that it can stop and save
# the picture in between (`optimize_restarted`). Each restart forgets what L-BFGS had learnt
# about the slope, so the script instead runs one L-BFGS for all the evaluations and stops to
# report every 20 (`optimize_continuous`): the same pictures along the way, a lower loss at the
# end. After every 20 evaluations we show the best picture so far.

# %%
show(st.optimize_restarted)
show(st.optimize_continuous)

# %%
print("The start: noise")
picture(st.deprocess(noise.ravel(), shape))

history = []  # every evaluation's loss and parts, for the plot


def record(evaluator):
    history.append({"loss": evaluator.loss_value, **evaluator.part_values})


evaluator = st.Evaluator(f_outputs, shape, list(parts), on_evaluation=record)
started = time.time()


def on_iteration(i):
    print(f"Iteration {i}/{ITERATIONS}: loss {evaluator.best_loss:.4g}, "
          f"{time.time() - started:.0f} s so far")
    picture(st.deprocess(evaluator.best_x, shape))


st.optimize_continuous(evaluator, noise, ITERATIONS, on_iteration)
result = st.deprocess(evaluator.best_x, shape)

# %% [markdown]
# The photo, the painting, and the result side by side. Then the loss at every evaluation, in
# its parts: the style part falls fastest at first, then the three settle into a balance.

# %%
picture(pictures.comparison_sheet([content, style, result], 2 * height), zoom=1)
labels = {"content": "content", "style 1": "style", "total variation": "total variation"}
picture(pictures.loss_plot(history, [0], labels), zoom=1, format="png")

# %% [markdown]
# ## The challenge: two paintings at once
#
# The video ends with a challenge: blend two styles. Each painting has its own Gram matrices,
# so the style loss gets one term per painting, each counted by its share (here half and half).
# `build_loss_and_grads` takes a list of paintings and their shares, and does steps 3 to 10 in
# one call. Two changes from the run above, each for a reason:
#
# * **Start from the photo** instead of noise: it already has the cat's shapes, so the
#   paintings' styles arrive in fewer iterations.
# * **`fast=True`** in the settings: the photo's features and the paintings' Gram matrices never change, so the
#   script computes them once and sends only the picture through VGG16 at each evaluation,
#   instead of the tutorial's batch (now four images). The same loss, for a fraction of the work.

# %%
mosaic = files.load_image(IMAGES / "mosaic.png")
paintings = [style, mosaic]
BLEND_ITERATIONS = max(1, ITERATIONS // 2)

K.clear_session()  # the first picture's graph is done with
with startup.quiet_native_stderr():
    graph = st.build_loss_and_grads(content_array, [st.preprocess(p, shape) for p in paintings],
                                    weights_path, st.LossSettings(style_blend=(1, 1), fast=True))
print("the loss's parts:", graph.parts)

evaluator = st.Evaluator(graph.f_outputs, shape, graph.parts)
started = time.time()


def on_blend_iteration(i):
    print(f"Iteration {i}/{BLEND_ITERATIONS}: loss {evaluator.best_loss:.4g}, "
          f"{time.time() - started:.0f} s so far")
    picture(st.deprocess(evaluator.best_x, shape))


st.optimize_continuous(evaluator, content_array.astype(np.float64), BLEND_ITERATIONS,
                       on_blend_iteration)
blend = st.deprocess(evaluator.best_x, shape)
picture(pictures.comparison_sheet([content, *paintings, blend], 2 * height), zoom=1)

# %% [markdown]
# ## What next
#
# * Change the weights in step 9 (say `settings = st.LossSettings(content_weight=1.0)`), then
#   run from there down to the loop again (select step 9's cell, then **Run > Run Selected
#   Cell and All Below**): more of the cat, less of the swirls.
# * Try other layers: `--content-layer block4_conv2` (the paper's choice) on the command line
#   below leaves the painting more freedom.
# * Paint your own pictures, larger, from the command line:
#   `python style_transfer.py my_photo.jpg my_painting.jpg --size 512 --fast`
#   (see the README for every option).
