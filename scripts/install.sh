#!/usr/bin/env bash
# Create .venv/ with the whole toolchain: torch, mmcv (built from source with its compiled ops,
# cached outside the repo), mmengine, mmdet and the rest of requirements.txt, then vnvc itself.
# Idempotent: a second run only checks that everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0
VENV=.venv
WHEEL_CACHE="${VNVC_WHEEL_CACHE:-$HOME/.cache/vnvc/wheels}"
PY="$VENV/bin/python"
STAMP="$VENV/.vnvc-installed"

stamp_key() { cat requirements.txt setup.py native/CMakeLists.txt scripts/install.sh 2>/dev/null | sha1sum | cut -c1-16; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp_key)" ]; then
  exit 0
fi

# torch's x86_64 wheel is a CUDA build (about 5.5 GB unpacked); with the rest, a new .venv needs about 7 GB.
NEED_GB=8
if ! "$PY" -c "import torch" 2>/dev/null; then
  free_gb=$(df -Pk . | awk 'NR==2 {print int($4 / 1048576)}')
  if [ "$free_gb" -lt "$NEED_GB" ]; then
    echo "[install] error: $VENV/ needs about $NEED_GB GB of free disk and $(pwd) has $free_gb GB; free some space" \
      "(old clones, pip caches) and run again" >&2
    exit 1
  fi
fi

[ -x "$PY" ] || python3 -m venv "$VENV"
pip() { "$PY" -m pip --disable-pip-version-check -q "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; return "${PIPESTATUS[0]}"; }

echo "[install] torch $TORCH_VERSION, torchvision $TORCHVISION_VERSION and the pinned requirements"
pip install "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION" -r requirements.txt wheel
# mmcv 2.1.0's build needs setuptools<70; torch declares >=77 but does not need it at run time.
pip install --no-deps "setuptools<70"
# mmengine and trackeval ask for opencv-python, which clashes with the headless build (both own cv2/)
# and needs libGL; keep only the headless one.
if "$PY" -m pip show opencv-python >/dev/null 2>&1; then
  pip uninstall -y opencv-python
  pip install --force-reinstall --no-deps "$(grep '^opencv-python-headless==' requirements.txt)"
fi

if ! "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
  mkdir -p "$WHEEL_CACHE"
  torch_tag=$("$PY" -c "import torch, sys; print(f'torch{torch.__version__.split(\"+\")[0]}-py{sys.version_info[0]}{sys.version_info[1]}')")
  cached=$(ls "$WHEEL_CACHE"/$torch_tag/mmcv-$MMCV_VERSION-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$cached" ]; then
    echo "[install] building mmcv $MMCV_VERSION with compiled ops (about 20 minutes on 2 cores, once per machine)"
    build=$(mktemp -d)
    trap 'rm -rf "$build"' EXIT
    pip download --no-deps --no-binary :all: -d "$build" "mmcv==$MMCV_VERSION"
    tar -xzf "$build"/mmcv-$MMCV_VERSION.tar.gz -C "$build"
    # torch >= 2.10 headers need C++20.
    sed -i -E 's/-std=c\+\+1[47]/-std=c++20/g' "$build/mmcv-$MMCV_VERSION/setup.py"
    (cd "$build/mmcv-$MMCV_VERSION" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
      "$OLDPWD/$PY" -m pip wheel -q --no-build-isolation --no-deps -w "$build/dist" .)
    mkdir -p "$WHEEL_CACHE/$torch_tag"
    cp "$build"/dist/mmcv-*.whl "$WHEEL_CACHE/$torch_tag/"
    cached=$(ls "$WHEEL_CACHE"/$torch_tag/mmcv-$MMCV_VERSION-*.whl | head -1)
  fi
  echo "[install] mmcv from $cached"
  pip install --no-deps "$cached"
  pip install addict yapf
fi

if [ -f setup.py ]; then
  echo "[install] vnvc (editable, builds native/)"
  pip install --no-build-isolation --no-deps -e .
fi

"$PY" -c "import torch, mmcv.ops, mmdet, mmengine; print('[install] ok: torch', torch.__version__, 'mmcv', mmcv.__version__, 'mmdet', mmdet.__version__)"
stamp_key > "$STAMP"
