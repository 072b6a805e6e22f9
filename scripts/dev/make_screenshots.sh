#!/usr/bin/env bash
# Regenerates the README's screenshots with the app itself (no display needed):
# the main window through `weightscope FILE --screenshot`, and a heatmap with
# publication options through `weightscope export`. Usage: make_screenshots.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${1:-$root/build}/app/weightscope"
sample="$root/resources/samples/sample_model.pt"
out="$root/resources/screenshots"
export XDG_CONFIG_HOME="$(mktemp -d)" # default settings, not the user's
unset DISPLAY WAYLAND_DISPLAY
"$bin" "$sample" --screenshot "$out/main-window.png" --tensor block.linear1.weight 2>/dev/null
"$bin" "$sample" --screenshot "$out/analysis.png" --tensor block.self_attn.in_proj_weight \
    --size 1400x900 2>/dev/null
"$bin" export "$sample" block.self_attn.in_proj_weight -o "$out/heatmap-options.png" \
    --scale symlog --linthresh 0.05 --percentile 1:99 --width 5in --height 3.8in --dpi 200 \
    --title "in_proj_weight, symlog, 1-99 %" \
    2>/dev/null
rm -rf "$XDG_CONFIG_HOME"
