package federation

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
)

// refusalLog is a slog handler that records the reason of every refusal
// federation logs, so tests assert why a request was refused, not only
// its status code.
type refusalLog struct {
	mu      sync.Mutex
	reasons []refusal
}

func (l *refusalLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *refusalLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *refusalLog) WithGroup(string) slog.Handler            { return l }

func (l *refusalLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "inbound request refused" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "reason" {
			l.mu.Lock()
			l.reasons = append(l.reasons, refusal(a.Value.String()))
			l.mu.Unlock()
		}
		return true
	})
	return nil
}

// take returns the reasons logged since the last call.
func (l *refusalLog) take() []refusal {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.reasons
	l.reasons = nil
	return out
}

// expect fails the test unless exactly the given reasons were logged
// since the last take.
func (l *refusalLog) expect(t *testing.T, what string, want ...refusal) {
	t.Helper()
	if got := l.take(); !slices.Equal(got, want) {
		t.Errorf("%s: refused for %v, want %v", what, got, want)
	}
}

// withRefusals makes a node log into l.
func withRefusals(l *refusalLog) func(*Options) {
	return func(o *Options) { o.Logger = slog.New(l) }
}
