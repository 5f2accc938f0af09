#!/bin/sh
# check-layers.sh — fails when an #include in src/ or kernels/ points up the
# layer order. The order is written once, in README.md's Layout section, on
# the line that starts with "main >"; folders on one step share a layer and
# may include each other. Anything included by a path whose first part is not
# a layer (a test helper, a "../" path) is an error too. Run by `make check`.
set -eu
top=${VERSUS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
order=$(sed -n 's/^ *\(main >.*\)$/\1/p' "$top/README.md" | head -n 1)
if [ -z "$order" ]; then
    echo "check-layers: README.md has no layer order line (\"main > cli > ...\")" >&2
    exit 1
fi
cd "$top"
find src kernels -type f \( -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) | sort |
awk -v order="$order" '
BEGIN {
    n = split(order, steps, />/)
    for (i = 1; i <= n; i++) {
        m = split(steps[i], names, /[ \t]+/)
        for (j = 1; j <= m; j++) if (names[j] != "") rank[names[j]] = i
    }
    bad = 0
}
function layer_of(path,   p) {
    if (path == "src/main.c") return "main"
    split(path, p, "/")
    return p[1] == "src" ? p[2] : p[1]
}
FNR == 1 { file = FILENAME; from = layer_of(file) }
/^[ \t]*#[ \t]*include[ \t]*"/ {
    inc = $0
    sub(/^[^"]*"/, "", inc); sub(/".*$/, "", inc)
    if (inc !~ /\//) {
        # a header beside the includer, or the build'"'"'s config.h
        if (inc == "config.h") next
        if ((file ~ /^kernels\// || inc == "kernels.h" || inc ~ /\.cuh$/) && system("test -f kernels/" inc) == 0) to = "kernels"
        else { printf "%s:%d: #include \"%s\": write it as LAYER/FILE.h\n", file, FNR, inc; bad = 1; next }
    } else {
        split(inc, q, "/"); to = q[1]
    }
    if (!(to in rank)) { printf "%s:%d: #include \"%s\": \"%s\" is not a layer of README.md'"'"'s order\n", file, FNR, inc, to; bad = 1; next }
    if (!(from in rank)) { printf "%s: folder \"%s\" is not in README.md'"'"'s layer order\n", file, from; bad = 1; nextfile }
    if (rank[to] < rank[from]) {
        printf "%s:%d: #include \"%s\" points up: %s is above %s (%s)\n", file, FNR, inc, to, from, order
        bad = 1
    }
}
END { exit bad }
' $(find src kernels -type f \( -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) | sort)
echo "check-layers: every include in src/ and kernels/ points down ($order)"
