# cu2cpp.py (tests/gpu/emu) — rewrites a .cu file for the SIMT emulator: every
# kernel<<<grid, block, smem, stream>>>(args) launch becomes
# emu_launch(grid, block, smem, [=]() { kernel(args); }) and the dynamic
# shared array becomes the emulator's buffer. Output on stdout.
import re, sys
src = open(sys.argv[1]).read()
def split_top(s):
    parts, depth, cur = [], 0, ''
    for ch in s:
        if ch in '([': depth += 1
        if ch in ')]': depth -= 1
        if ch == ',' and depth == 0: parts.append(cur); cur = ''
        else: cur += ch
    parts.append(cur); return [p.strip() for p in parts]
out, i = '', 0
pat = re.compile(r'(\w+(?:<\w+>)?)<<<(.*?)>>>\(', re.S)
while True:
    m = pat.search(src, i)
    if not m: out += src[i:]; break
    out += src[i:m.start()]
    # find matching paren for args
    j, depth = m.end(), 1
    while depth:
        if src[j] == '(': depth += 1
        elif src[j] == ')': depth -= 1
        j += 1
    args = src[m.end():j-1]
    cfg = split_top(m.group(2))
    grid, block = cfg[0], cfg[1]; smem = cfg[2] if len(cfg) > 2 else '0'
    out += 'emu_launch(dim3(%s), dim3(%s), %s, [=]() { %s(%s); })' % (grid, block, smem, m.group(1), args)
    i = j
out = out.replace('extern __shared__ float sm[];', 'EXTERN_SHARED_FLOAT(sm);')
print(out)
