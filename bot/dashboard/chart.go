package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Series is one line of a chart.
type Series struct {
	Name   string
	Values []float64
}

// Charts are drawn on the server as SVG: no script, no CDN, and the page
// works offline. Every value is a <circle class="pt"> (with a <title>
// giving it), so a chart's points can be counted and read.
const (
	chartW, chartH                       = 720, 220
	padL, padR, padT, padB               = 44, 12, 12, 28
	plotW, plotH                         = chartW - padL - padR, chartH - padT - padB
	maxSeries                            = 3
	labelEvery                           = 7
	emptyChart             template.HTML = `<p class="note">No data yet.</p>`
)

// niceMax rounds the largest value up to a round number for the axis.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	step := 1.0
	for step*10 < v {
		step *= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*step >= v {
			return m * step
		}
	}
	return 10 * step
}

// LineChart draws series over labels (one point per label), naming
// every few points on the axis, as many as fit.
func LineChart(id string, labels []string, series []Series) template.HTML {
	return LineChartTicks(id, labels, nil, series)
}

// labelWidth is about how wide a label of n characters is drawn on the
// axis, in the chart's units, with room around it.
func labelWidth(n int) float64 { return float64(n)*6.5 + 12 }

// axisTicks names every few labels: every 7th (a week of days), or fewer
// where the labels would overlap, and the last when it is not too close.
func axisTicks(labels []string) []string {
	widest := 0
	for _, l := range labels {
		widest = max(widest, len([]rune(l)))
	}
	every := labelEvery
	if len(labels) > 1 {
		step := float64(plotW) / float64(len(labels)-1)
		every = max(every, int(math.Ceil(labelWidth(widest)/step)))
	}
	ticks := make([]string, len(labels))
	last := len(labels) - 1
	for i, l := range labels {
		if i%every == 0 || i == last && last%every >= every/2 {
			ticks[i] = l
		}
	}
	return ticks
}

// LineChartTicks draws series over labels (one point per label), with
// ticks[i] under point i on the axis where it is not "" (nil: as
// LineChart names them).
func LineChartTicks(id string, labels, ticks []string, series []Series) template.HTML {
	if len(labels) == 0 || len(series) == 0 {
		return emptyChart
	}
	if ticks == nil {
		ticks = axisTicks(labels)
	}
	series = series[:min(len(series), maxSeries)]
	top := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			top = max(top, v)
		}
	}
	top = niceMax(top)
	x := func(i int) float64 {
		if len(labels) == 1 {
			return padL + plotW/2
		}
		return padL + float64(i)*plotW/float64(len(labels)-1)
	}
	y := func(v float64) float64 { return padT + plotH - v/top*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="%s" viewBox="0 0 %d %d" role="img" aria-label="%s">`, html.EscapeString(id), chartW, chartH, html.EscapeString(id))
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padL, chartW-padR, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-6, y(v)+4, num(v))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>`, padL, chartW-padR, padT+plotH, padT+plotH)
	for i, l := range ticks {
		if l != "" && i < len(labels) {
			fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(i), chartH-8, html.EscapeString(l))
		}
	}
	for si, s := range series {
		var pts []string
		for i := range labels {
			v := 0.0
			if i < len(s.Values) {
				v = s.Values[i]
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
		}
		fmt.Fprintf(&b, `<polyline class="s%d" points="%s"/>`, si, strings.Join(pts, " "))
		for i, l := range labels {
			v := 0.0
			if i < len(s.Values) {
				v = s.Values[i]
			}
			fmt.Fprintf(&b, `<circle class="pt s%d" data-series="%s" data-value="%s" cx="%.1f" cy="%.1f" r="3"><title>%s %s: %s</title></circle>`,
				si, html.EscapeString(s.Name), num(v), x(i), y(v), html.EscapeString(l), html.EscapeString(s.Name), num(v))
		}
	}
	b.WriteString(`</svg>`)
	b.WriteString(legend(series))
	return template.HTML(b.String())
}

// BarChart draws one bar per label.
func BarChart(id string, labels []string, values []float64) template.HTML {
	if len(labels) == 0 {
		return emptyChart
	}
	top := 0.0
	for _, v := range values {
		top = max(top, v)
	}
	top = niceMax(top)
	slot := float64(plotW) / float64(len(labels))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="%s" viewBox="0 0 %d %d" role="img" aria-label="%s">`, html.EscapeString(id), chartW, chartH, html.EscapeString(id))
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>`, padL, chartW-padR, padT+plotH, padT+plotH)
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		yy := padT + plotH - v/top*plotH
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-6, yy+4, num(v))
	}
	for i, l := range labels {
		v := 0.0
		if i < len(values) {
			v = values[i]
		}
		h := v / top * plotH
		x := padL + float64(i)*slot + slot*0.15
		fmt.Fprintf(&b, `<rect class="bar s%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s</title></rect>`,
			i%maxSeries, x, padT+plotH-h, slot*0.7, h, html.EscapeString(l), num(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x+slot*0.35, chartH-8, html.EscapeString(l))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func legend(series []Series) string {
	var b strings.Builder
	b.WriteString(`<div class="legend">`)
	for i, s := range series {
		fmt.Fprintf(&b, `<span><i class="k%d"></i>%s</span>`, i, html.EscapeString(s.Name))
	}
	b.WriteString(`</div>`)
	return b.String()
}

func num(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}
