package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"hearth/instance"
	"hearth/instance/config"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// On shutdown the federation workers (which write to the database) have
// stopped before the database is closed.
func TestShutdownStopsWorkersBeforeClosingTheDatabase(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.BaseURL = "http://127.0.0.1:8080"
	cfg.DataDir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if !cfg.Federation.Enabled {
		t.Fatal("test set-up: federation is off by default")
	}
	logs := &lockedBuffer{}
	_, stop := startServe(t, &cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	out := logs.String()
	workers, closed := strings.Index(out, "federation workers stopped"), strings.Index(out, "database closed")
	if workers < 0 || closed < 0 || workers > closed {
		t.Fatalf("workers stopped at %d, database closed at %d (want both, workers first):\n%s", workers, closed, out)
	}
}

// Closing the app stops its background workers and waits for them before
// the database closes: a worker still busy when shutdown begins can
// finish its write.
func TestCloseWaitsForBackgroundWorkers(t *testing.T) {
	cfg := config.Default()
	cfg.BaseURL = "http://127.0.0.1:8080"
	cfg.DataDir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := openApp(context.Background(), &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopping, release, result := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	a.bg.start(ctx, func(ctx context.Context) {
		<-ctx.Done() // shutdown has begun
		close(stopping)
		<-release
		_, err := a.store.CountMembers(context.Background(), instance.StatusActive) // its last write, say
		result <- err
	})
	closed := make(chan struct{})
	go func() { a.close(); close(closed) }()
	select {
	case <-stopping:
	case <-closed: // closed without stopping the worker
		cancel()
		<-stopping
	}
	close(release)
	<-closed
	if err := <-result; err != nil {
		t.Fatalf("the worker found the database closed under it: %v", err)
	}
}
