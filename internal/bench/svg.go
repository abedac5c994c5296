package bench

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// A tiny SVG line-chart renderer: the report needs two charts and no
// plotting library on the approved list is light enough to be worth a
// dependency for them.

// series is one line of a chart.
type series struct {
	name   string
	color  string
	points [][2]float64
}

// tick is an axis label at a position.
type tick struct {
	at    float64
	label string
}

const (
	chartW, chartH                 = 720, 360
	padL, padR, padT, padB         = 70, 20, 40, 50
	plotW, plotH           float64 = chartW - padL - padR, chartH - padT - padB
)

// lineChart renders the series as an SVG. xTicks may be nil (then five
// evenly spaced ticks are drawn); y always starts at 0.
func lineChart(title, xLabel, yLabel string, xTicks []tick, ss []series) string {
	xmin, xmax, ymax := math.Inf(1), math.Inf(-1), 0.0
	for _, s := range ss {
		for _, p := range s.points {
			xmin, xmax, ymax = math.Min(xmin, p[0]), math.Max(xmax, p[0]), math.Max(ymax, p[1])
		}
	}
	if math.IsInf(xmin, 0) {
		xmin, xmax = 0, 1
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	ystep := niceStep(ymax / 5)
	ymax = math.Max(ystep*math.Ceil(ymax/ystep), ystep)
	x := func(v float64) float64 { return padL + (v-xmin)/(xmax-xmin)*plotW }
	y := func(v float64) float64 { return padT + plotH - v/ymax*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`, chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`, padL, html.EscapeString(title))
	for v := 0.0; v <= ymax*1.0001; v += ystep {
		fmt.Fprintf(&b, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`,
			padL, padL+plotW, y(v), y(v), padL-6, y(v)+4, formatNum(v))
	}
	if xTicks == nil {
		step := niceStep((xmax - xmin) / 5)
		for v := math.Ceil(xmin/step) * step; v <= xmax; v += step {
			xTicks = append(xTicks, tick{v, formatNum(v)})
		}
	}
	for _, t := range xTicks {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`,
			x(t.at), x(t.at), padT, padT+plotH, x(t.at), padT+plotH+16, html.EscapeString(t.label))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`, padL, padT, plotW, plotH)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, padL+plotW/2, chartH-10, html.EscapeString(xLabel))
	fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">%s</text>`, padT+plotH/2, html.EscapeString(yLabel))
	for i, s := range ss {
		var pts strings.Builder
		for _, p := range s.points {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(p[0]), y(p[1]))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, s.color, strings.TrimSpace(pts.String()))
		lx := padL + 10 + float64(i)*150
		fmt.Fprintf(&b, `<rect x="%.0f" y="%d" width="12" height="3" fill="%s"/><text x="%.0f" y="%d">%s</text>`, lx, padT+12, s.color, lx+16, padT+16, html.EscapeString(s.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func formatNum(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 1000:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 1:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
	default:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), ".")
	}
}
