#!/usr/bin/env bash
# Install the 'creditflow' Jupyter kernel: tslab started at this repository's root, so notebooks
# (in notebooks/) import the project's modules as ./src/... and tslab compiles them.
# Needs Debian's python3-ipykernel (or any Jupyter) and `npm ci` (tslab is a devDependency).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tslab="$root/node_modules/.bin/tslab"
[ -x "$tslab" ] || { echo "notebook-kernel: $tslab is missing; run npm ci first" >&2; exit 1; }
python=/usr/bin/python3
"$python" -c "import jupyter_client" 2>/dev/null || {
  echo "notebook-kernel: Jupyter is not installed for $python; apt-get install -y jupyter-nbconvert python3-ipykernel" >&2; exit 1; }
dir="$("$python" -c "import jupyter_core.paths as p; print(p.jupyter_data_dir())")/kernels/creditflow"
mkdir -p "$dir"
cat > "$dir/kernel.json" <<JSON
{
  "argv": ["/bin/sh", "-c", "cd \"\$1\" && PATH=\"\$1/node_modules/.bin:\$PATH\" exec tslab kernel --config-path \"\$0\"", "{connection_file}", "$root"],
  "display_name": "TypeScript (creditflow)",
  "language": "typescript"
}
JSON
echo "installed Jupyter kernel 'creditflow' -> $dir (runs tslab in $root)"
