#!/usr/bin/env bash
# Writes the chart fonts of this directory: DejaVu Sans and DejaVu Sans Bold, as Debian's
# fonts-dejavu-core ships them, cut down to the characters of ../chart-fonts.ts, without hinting
# (resvg does not hint). resvg reads a font file whole each time it looks up a glyph, some 500
# times a chart: 760 KB each time for the full face, ~55 KB for these (docs/reports.md, "Static
# charts"). The PNGs are the same bytes: bench/chart-fonts.ts compares every chart of the catalogue.
# A maintainer's tool, not run by the build: the fonts are committed. Needs python3-fonttools.
set -euo pipefail
cd "$(dirname "$0")"
SOURCE=/usr/share/fonts/truetype/dejavu
unicodes=$(node --import tsx --input-type=module -e "import('../chart-fonts.ts').then((m) => console.log(m.unicodesArgument()))")
for face in DejaVuSans DejaVuSans-Bold; do
  python3 -m fontTools.subset "$SOURCE/$face.ttf" --unicodes="$unicodes" --layout-features='*' --name-IDs='*' \
    --name-languages='*' --notdef-outline --no-hinting --output-file="$face.ttf"
done
cp /usr/share/doc/fonts-dejavu-core/copyright LICENSE-DejaVu
