package main

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"html"
	"io"
	"strings"
	"time"
)

const (
	width     = 1200.0 // drawing width in pixels
	frameH    = 17     // height of one frame
	minWidth  = 0.3    // frames narrower than this are not drawn
	charWidth = 6.6    // approximate width of one character at font-size 11
	top       = 40     // room for the title
)

// render writes root as a flame graph: the root at the bottom, callees
// above their callers, widths proportional to samples.
func render(w io.Writer, root *node, title, unit string) error {
	depth := maxDepth(root, 0)
	height := top + (depth+1)*frameH + 10
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%d" viewBox="0 0 %.0f %d" font-family="monospace" font-size="11">
<rect width="100%%" height="100%%" fill="#fdfdf5"/>
<text x="%.0f" y="22" font-size="15" text-anchor="middle">%s</text>
<text x="10" y="%d" fill="#555">total %s; hover a frame for its share</text>
`, width+20, height, width+20, height, (width+20)/2, html.EscapeString(title), top-4, html.EscapeString(amount(root.value, unit)))
	var draw func(n *node, x float64, level int)
	draw = func(n *node, x float64, level int) {
		wd := float64(n.value) / float64(root.value) * width
		if wd < minWidth {
			return
		}
		y := height - 10 - (level+1)*frameH
		pct := 100 * float64(n.value) / float64(root.value)
		fmt.Fprintf(b, `<g><title>%s: %s (%.2f%%)</title><rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" rx="2"/>`,
			html.EscapeString(n.name), html.EscapeString(amount(n.value, unit)), pct, 10+x, y, wd, frameH-1, color(n.name))
		if chars := int(wd / charWidth); chars >= 3 {
			label := n.name
			if len(label) > chars {
				label = label[:chars-2] + ".."
			}
			fmt.Fprintf(b, `<text x="%.1f" y="%d">%s</text>`, 13+x, y+12, html.EscapeString(label))
		}
		b.WriteString("</g>\n")
		for _, c := range n.sorted() {
			draw(c, x, level+1)
			x += float64(c.value) / float64(root.value) * width
		}
	}
	draw(root, 0, 0)
	b.WriteString("</svg>\n")
	return b.Flush()
}

func maxDepth(n *node, d int) int {
	m := d
	for _, c := range n.children {
		m = max(m, maxDepth(c, d+1))
	}
	return m
}

// amount prints a sample value in its unit.
func amount(v int64, unit string) string {
	if unit == "nanoseconds" {
		return time.Duration(v).Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%d %s", v, unit)
}

// color gives each function a stable warm colour; the runtime and system
// calls a cooler one, so that time outside Go code stands out.
func color(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	v := h.Sum32()
	if strings.HasPrefix(name, "runtime.") || strings.HasPrefix(name, "syscall.") {
		return fmt.Sprintf("rgb(%d,%d,%d)", 90+v%40, 140+v%50, 200+v%50)
	}
	return fmt.Sprintf("rgb(%d,%d,%d)", 205+v%50, 80+v%130, 30+v%40)
}
