// Package progress draws a one-line progress bar on a terminal for the
// command line's long runs (docent import, docent migrate); written
// anywhere else, it says nothing.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

const width = 40

// Bar is a progress bar on w, redrawn in place.
type Bar struct {
	w    io.Writer
	on   bool
	unit string // after the bar: "3 of 10 records"; "" shows none
	long int    // the longest line drawn, for Clear
}

// New returns a bar on w, drawn only when w is a terminal; unit, when not
// empty, names what is counted after the percentage.
func New(w io.Writer, unit string) *Bar {
	f, ok := w.(*os.File)
	return &Bar{w: w, on: ok && term.IsTerminal(int(f.Fd())), unit: unit}
}

// Show draws done of total; a total of 0 draws nothing.
func (b *Bar) Show(done, total int64) {
	if !b.on || total <= 0 {
		return
	}
	frac := min(float64(done)/float64(total), 1)
	filled := int(frac * width)
	line := fmt.Sprintf("[%s%s] %3.0f%%", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), 100*frac)
	if b.unit != "" {
		line += fmt.Sprintf(" %d of %d %s", done, total, b.unit)
	}
	b.long = max(b.long, len(line))
	fmt.Fprint(b.w, "\r"+line)
}

// Clear wipes the bar's line, if one was drawn.
func (b *Bar) Clear() {
	if b.on && b.long > 0 {
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", b.long))
	}
}
