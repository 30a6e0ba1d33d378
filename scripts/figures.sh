#!/usr/bin/env bash
# Regenerate the README's headline figures (committed under docs/figures/) at the experiments'
# default sizes: URFB Fig. 12 (seconds), DFC Fig. 3 and the SAL plasticity ablation (each up to
# about 30 minutes on 2 cores). Needs Debian's chromium for the PNGs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cf() { node bin/creditflow.cjs "$@"; }
mkdir -p docs/figures
cf reproduce fig12 --out out/figures/fig12
cp out/figures/fig12/fig12.png docs/figures/fig12.png
cf reproduce dfc-fig3 --out out/figures/dfc-fig3
cp out/figures/dfc-fig3/fig3.png docs/figures/dfc-fig3.png
cf reproduce sal-ablation --out out/figures/sal-ablation
cp out/figures/sal-ablation/ablation.png docs/figures/sal-ablation.png
cp out/figures/sal-ablation/ablation-final.png docs/figures/sal-ablation-final.png
cf report --out out/figures
echo "figures: docs/figures/{fig12,dfc-fig3,sal-ablation,sal-ablation-final}.png (report: out/figures/index.html)"
