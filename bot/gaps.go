package bot

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/docent-bot/docent/bot/lessons"
	"github.com/docent-bot/docent/brain/gaps"
)

// ReportGaps opens Docent as `docent run` would, and returns the gaps the
// lessons module finds, for `docent gaps` and `docent bench`.
func ReportGaps(ctx context.Context, cfg *Config, log *slog.Logger) ([]gaps.Cluster, error) {
	b, err := Open(ctx, cfg, Options{Log: log})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	l, ok := b.Module("lessons").(*lessons.Module)
	if !ok {
		return nil, fmt.Errorf("bot: gaps: the lessons module is not wired")
	}
	return l.Gaps(ctx)
}
