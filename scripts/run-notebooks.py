#!/usr/bin/python3
"""Execute every notebook in notebooks/ headlessly with the creditflow kernel (tslab started at the
repository root: tslab compiles only files under the kernel's working directory, and the notebooks
import ./src). Executed copies go to out/notebooks/. Exits 1 if any cell fails.

Usage: python3 scripts/run-notebooks.py [name.ipynb ...]
"""
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
nb_dir = os.path.join(root, "notebooks")
out_dir = os.path.join(root, "out", "notebooks")
os.makedirs(out_dir, exist_ok=True)
os.environ["PATH"] = os.path.join(root, "node_modules", ".bin") + os.pathsep + os.environ.get("PATH", "")

names = sys.argv[1:] or sorted(f for f in os.listdir(nb_dir) if f.endswith(".ipynb") and not f.startswith("_"))
failed = 0
for name in names:
    path = os.path.join(nb_dir, os.path.basename(name))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="creditflow", timeout=900, resources={"metadata": {"path": root}})
    t0 = time.time()
    try:
        client.execute()
        status = "ok"
    except CellExecutionError as e:
        status = "FAILED"
        failed += 1
        print(str(e)[:4000], file=sys.stderr)
    nbformat.write(nb, os.path.join(out_dir, os.path.basename(name)))
    print(f"notebook {name}: {status} ({time.time() - t0:.1f} s)", flush=True)

print(f"{len(names) - failed} notebooks ok, {failed} failed")
sys.exit(1 if failed else 0)
