package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// A batch is one write transaction shared by every store call made with
// its context (Store.Batch): the inbox worker handles a chunk of one
// actor's activities, through the domain, in one transaction instead of
// one or more each. The domain's code is unchanged: its reads go through
// the batch and see the batch's earlier writes, its transactions run in
// the batch's, and each activity is a step under a savepoint (Step).
//
// Measured (BenchmarkInboxWorker, SQLite): a reply stored in 330 µs, of
// which a commit (the WAL write) was 68 µs; on PostgreSQL each commit is
// also a round trip under the one write lock.
type batch struct {
	s  *Store
	tx *Tx
	// depth is how many savepoints are open, for their names.
	depth int
	// tainted is the error of a store transaction that failed in the
	// current step (inTx).
	tainted error
	// blocked remembers DomainBlocked's and ActorBlocked's answers for
	// the batch (the inbox worker asks them for every activity of one
	// actor): nobody else can block while the batch holds the write lock,
	// and a block made in the batch forgets them (bumpBlocks).
	blocked map[string]bool
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
// Within it, reads see the batch's writes; a store transaction that fails
// fails the batch (or its step), even if its caller carries on. Every
// other writer waits while a batch runs (SQLite has one writer; on
// PostgreSQL the batch holds the write lock, which only the inbox queue's
// writes do without), so fn must be short and must not wait for the
// network, and it must not hand ctx to another goroutine (the transaction
// is one connection). Inside a batch, Batch is fn.
func (s *Store) Batch(ctx context.Context, fn func(context.Context) error) error {
	if s.batchIn(ctx) != nil {
		return fn(ctx)
	}
	var b *batch
	err := s.txAs(context.WithoutCancel(ctx), writeLock, aBatch, func(tx *Tx) error {
		b = &batch{s: s, tx: tx}
		if err := fn(context.WithValue(ctx, batchKey{}, b)); err != nil {
			return err
		}
		if b.tainted != nil {
			return fmt.Errorf("store: a transaction failed in this batch: %w", b.tainted)
		}
		return nil
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
	return b.savepoint(ctx, func() error { return fn(ctx) })
}

// savepoint runs fn under a savepoint of the batch. When fn fails, or a
// store transaction in it did (inTx), its writes are rolled back (and on
// PostgreSQL the transaction, which an error aborts, is usable again).
func (b *batch) savepoint(ctx context.Context, fn func() error) error {
	// The savepoint's own statements are not the step's to cancel: a
	// step cut short by its deadline must still be rolled back.
	sctx := context.WithoutCancel(ctx)
	b.depth++
	defer func() { b.depth-- }()
	name := "step" + strconv.Itoa(b.depth)
	if _, err := b.tx.ExecContext(sctx, "SAVEPOINT "+name); err != nil {
		return err
	}
	outer := b.tainted
	b.tainted = nil
	err := fn()
	if err == nil && b.tainted != nil {
		err = fmt.Errorf("store: a transaction failed in this step: %w", b.tainted)
	}
	b.tainted = outer
	if err == nil {
		// On PostgreSQL a statement that failed (its error handled by the
		// caller) has aborted the transaction: the release fails too,
		// and the step is undone like any failed one.
		if _, err = b.tx.ExecContext(sctx, "RELEASE SAVEPOINT "+name); err == nil {
			return nil
		}
	}
	if _, rerr := b.tx.ExecContext(sctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
		return errors.Join(err, rerr)
	}
	if _, rerr := b.tx.ExecContext(sctx, "RELEASE SAVEPOINT "+name); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// lock takes a PostgreSQL advisory lock other than the write lock the
// batch holds.
func (b *batch) lock(ctx context.Context, lock int64) error {
	if lock == noLock || lock == writeLock || b.s.e != postgresEngine {
		return nil
	}
	_, err := b.tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", lock)
	return err
}

// inTx runs a store transaction's function in the batch, bare: a
// savepoint for each would be two more round trips on PostgreSQL. If it
// fails, the batch is tainted: the step it is part of fails and is undone
// (or the batch, outside a step) whatever its caller does with the error,
// so a failed transaction never leaves half of its writes, and the
// PostgreSQL transaction its error aborted is usable again.
func (b *batch) inTx(ctx context.Context, lock int64, fn func(*Tx) error) error {
	if err := b.lock(ctx, lock); err != nil {
		b.taint(err)
		return err
	}
	if err := fn(b.tx); err != nil {
		b.taint(err)
		return err
	}
	return nil
}

func (b *batch) taint(err error) {
	if b.tainted == nil {
		b.tainted = err
	}
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

// remember answers a question about blocks from the batch's memo, or by
// read, keeping the answer; without a batch (b nil) it reads.
func (b *batch) remember(key string, read func() (bool, error)) (bool, error) {
	if b == nil {
		return read()
	}
	if v, ok := b.blocked[key]; ok {
		return v, nil
	}
	v, err := read()
	if err == nil {
		if b.blocked == nil {
			b.blocked = map[string]bool{}
		}
		b.blocked[key] = v
	}
	return v, err
}
