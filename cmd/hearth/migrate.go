package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"hearth/instance/config"
	"hearth/instance/store"

	"github.com/jackc/pgx/v5/pgconn"
)

// migrateStore copies the instance from its SQLite file (in the data
// directory) into the empty PostgreSQL database at dsn: hearth admin
// migrate-store. The SQLite file is opened read-only; the target gets
// this build's schema, then every row in one transaction, or nothing.
func migrateStore(ctx context.Context, cfg *config.Config, dsn string, stdout io.Writer) error {
	if err := checkPostgresDSN(dsn); err != nil {
		return err
	}
	src, err := store.OpenSource(ctx, cfg.DatabasePath())
	if err != nil {
		return err
	}
	defer src.Close()
	// A clean stop checkpoints the WAL and removes it: one with pages in
	// it means Hearth is (most likely) still running on the file.
	if st, err := os.Stat(cfg.DatabasePath() + "-wal"); err == nil && st.Size() > 0 {
		fmt.Fprintln(stdout, "Hearth seems to be running on this file: the copy is of this moment, and what it writes from now on will not be in PostgreSQL. Stop it first, unless this is a rehearsal.")
	}
	dst, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		return hidePassword(err, dsn)
	}
	defer dst.Close()
	report, err := dst.CopyFrom(ctx, src)
	if err != nil {
		return hidePassword(err, dsn)
	}
	width := 0
	for _, t := range report.Tables {
		width = max(width, len(t.Table))
	}
	fmt.Fprintf(stdout, "copied %s (schema %d) into PostgreSQL; rows per table, counted on both sides:\n", cfg.DatabasePath(), src.Version())
	for _, t := range report.Tables {
		fmt.Fprintf(stdout, "  %-*s %d\n", width, t.Table, t.Rows)
	}
	fmt.Fprintf(stdout, "%d rows in %d tables, in %.1f s.\n", report.Rows, len(report.Tables), report.Took.Seconds())
	if report.AnalyzeErr != nil {
		fmt.Fprintf(stdout, "The copy is complete, but gathering statistics failed (%v): run ANALYZE in the database before starting hearth.\n",
			hidePassword(report.AnalyzeErr, dsn))
	}
	fmt.Fprintln(stdout, `Next: set [store] driver = "postgres" and dsn in the configuration (or HEARTH_STORE_DSN), then start hearth.`)
	return nil
}

// checkPostgresDSN refuses, in one line, what is no PostgreSQL address.
func checkPostgresDSN(dsn string) error {
	if _, err := pgconn.ParseConfig(dsn); err != nil || !(strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") || strings.Contains(dsn, "=")) {
		return errors.New("--to: give a PostgreSQL connection string, such as postgres://hearth@localhost/hearth")
	}
	return nil
}

// hidePassword keeps the password of dsn out of err's text, so the
// operator's terminal, and whatever records it, never shows it; and puts
// the text on one line (pgx gives one line per address it tried).
func hidePassword(err error, dsn string) error {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), ":\n", ": ")), " ")
	var pw string
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		pw, _ = u.User.Password()
	}
	if c, perr := pgconn.ParseConfig(dsn); perr == nil && c.Password != "" {
		pw = c.Password
	}
	if pw != "" {
		msg = strings.ReplaceAll(msg, pw, "********")
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}
