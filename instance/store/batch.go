package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
)

// A batch is one write transaction shared by every store call made with
// its context (Store.Batch): the inbox worker handles a chunk of one
// actor's activities, through the domain, in one transaction instead of
// one or more each. The domain's code is unchanged: its reads go through
// the batch and see the batch's earlier writes, its transactions become
// savepoints.
//
// Measured (BenchmarkInboxWorker, SQLite): a reply stored in 330 µs, of
// which a commit (the WAL write) was 68 µs; on PostgreSQL each commit is
// also a round trip under the one write lock.
type batch struct {
	s  *Store
	tx *Tx
	// depth is how many savepoints are open, for their names.
	depth int
	// local holds read statements prepared in this transaction (ones not
	// yet prepared on the writer; see stmt).
	local map[string]*sql.Stmt
}

type batchKey struct{}

// batchIn is the batch ctx carries on this store, or nil.
func (s *Store) batchIn(ctx context.Context) *batch {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok && b.s == s {
		return b
	}
	return nil
}

// Batch runs fn with a context whose store calls all run in one write
// transaction, committed when fn returns nil and rolled back otherwise.
// Within it, reads see the batch's writes and each store transaction is a
// savepoint. Every other writer waits while a batch runs (SQLite has one
// writer; on PostgreSQL the batch holds the write lock), so fn must be
// short and must not wait for the network, and it must not hand ctx to
// another goroutine (the transaction is one connection). Inside a batch,
// Batch is fn.
func (s *Store) Batch(ctx context.Context, fn func(context.Context) error) error {
	if s.batchIn(ctx) != nil {
		return fn(ctx)
	}
	var b *batch
	err := s.tx(context.WithoutCancel(ctx), func(tx *Tx) error {
		b = &batch{s: s, tx: tx}
		return fn(context.WithValue(ctx, batchKey{}, b))
	})
	if b != nil {
		// What the batch prepared for itself is prepared on the writer
		// now it is free, so the next batch reuses it.
		for q := range b.local {
			s.wr.stmt(context.WithoutCancel(ctx), q)
		}
	}
	return err
}

// Step runs fn as one step of the batch ctx carries, under a savepoint: a
// step that fails is undone alone and the batch goes on. Outside a batch
// it is fn.
func (s *Store) Step(ctx context.Context, fn func(context.Context) error) error {
	b := s.batchIn(ctx)
	if b == nil {
		return fn(ctx)
	}
	return b.savepoint(ctx, 0, func() error { return fn(ctx) })
}

// savepoint runs fn under a savepoint of the batch, taking the PostgreSQL
// advisory lock first when it is not the write lock the batch holds. When
// fn fails its writes are rolled back (and on PostgreSQL the transaction,
// which an error aborts, is usable again).
func (b *batch) savepoint(ctx context.Context, lock int64, fn func() error) error {
	// The savepoint's own statements are not the step's to cancel: a
	// step cut short by its deadline must still be rolled back.
	sctx := context.WithoutCancel(ctx)
	b.depth++
	defer func() { b.depth-- }()
	name := "step" + strconv.Itoa(b.depth)
	if _, err := b.tx.ExecContext(sctx, "SAVEPOINT "+name); err != nil {
		return err
	}
	err := func() error {
		if lock != 0 && lock != writeLock && b.s.e == postgresEngine {
			if _, err := b.tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", lock); err != nil {
				return err
			}
		}
		return fn()
	}()
	if err != nil {
		if _, rerr := b.tx.ExecContext(sctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	if _, rerr := b.tx.ExecContext(sctx, "RELEASE SAVEPOINT "+name); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// stmt is query's statement in the batch's transaction: one prepared on
// the writer before, or else one prepared in the transaction and kept for
// the rest of the batch. (A statement prepared on SQLite's reader pool
// cannot run on the writer's connection.)
func (b *batch) stmt(ctx context.Context, query string) *sql.Stmt {
	for _, p := range []*prepared{b.s.wr, b.s.rd} {
		if p.db != b.s.w {
			continue
		}
		if st, ok := p.stmts.Load(query); ok {
			return b.tx.tx.StmtContext(ctx, st.(*sql.Stmt))
		}
	}
	if st, ok := b.local[query]; ok {
		return st
	}
	if len(b.local) >= maxPrepared {
		return nil
	}
	st, err := b.tx.tx.PrepareContext(ctx, b.s.e.rebind(query))
	if err != nil {
		return nil // the plain query reports the error
	}
	if b.local == nil {
		b.local = map[string]*sql.Stmt{}
	}
	b.local[query] = st
	return st
}

func (b *batch) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := b.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, b.s.e.args(query, args)...)
	}
	return b.tx.QueryContext(ctx, query, args...)
}

func (b *batch) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := b.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, b.s.e.args(query, args)...)
	}
	return b.tx.QueryRowContext(ctx, query, args...)
}

func (b *batch) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := b.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, b.s.e.args(query, args)...)
	}
	return b.tx.ExecContext(ctx, query, args...)
}
