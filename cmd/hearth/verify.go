package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"hearth/instance"
	"hearth/web"
)

// verifyDraw is `hearth verify-draw FILE`: it re-runs a panel's draw from
// its published record (the JSON file downloadable from the panel's page)
// and says whether the fingerprint, the seed and the panel all match. It
// needs no database: anyone can run it. Exit status 0 means everything
// matches, 1 that something does not, 2 a bad command line.
func verifyDraw(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify-draw", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hearth verify-draw FILE   (the draw record from a panel's page; - reads standard input)")
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	var data []byte
	var err error
	if name := fs.Arg(0); name == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, 64<<20))
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return fmt.Errorf("verify-draw: %w", err)
	}
	tr, err := web.Translator()
	if err != nil {
		return err
	}
	say := func(key string, args ...any) string { return tr("en", key, args...) }
	rec, err := instance.ParseRecord(data)
	if err != nil {
		return fmt.Errorf("verify-draw: %s: %s", fs.Arg(0), say("drawcheck.not_a_record"))
	}
	c := instance.VerifyDraw(rec)
	if rec.Title != "" {
		fmt.Fprintf(stdout, "panel:        %s %s\n", rec.Title, rec.Panel)
	}
	fmt.Fprintf(stdout, "method:       %s %d\n", rec.Algorithm, rec.AlgorithmVersion)
	fmt.Fprintf(stdout, "volunteers:   %d for %d seats\n", len(rec.Volunteers), rec.Size)
	fmt.Fprintf(stdout, "fingerprint:  %s (published)\n", rec.VolunteersSHA256)
	if c.ComputedHash != "" {
		fmt.Fprintf(stdout, "              %s (worked out from the list)\n", c.ComputedHash)
	}
	switch rec.SeedMethod {
	case instance.SeedSecret:
		fmt.Fprintf(stdout, "seed:         secret, committed to as %s\n", rec.SeedCommitment)
	case instance.SeedPublic:
		fmt.Fprintf(stdout, "seed:         public: %s\n", rec.SeedSource)
	}
	if c.Drawn {
		fmt.Fprintf(stdout, "seed used:    %s\n", rec.Seed)
		fmt.Fprintf(stdout, "published:    %s\n", strings.Join(rec.Selected, " "))
		fmt.Fprintf(stdout, "re-run:       %s\n", strings.Join(c.Rerun, " "))
	}
	if !c.OK() {
		for _, p := range c.Problems {
			fmt.Fprintln(stdout, "PROBLEM:      "+say(p.Code, p.Args...))
		}
		return errors.New("verify-draw: the draw does not check out")
	}
	if c.Drawn {
		fmt.Fprintln(stdout, "OK:           "+say("drawcheck.ok_drawn", len(c.Rerun)))
	} else {
		fmt.Fprintln(stdout, "OK:           "+say("drawcheck.ok_committed"))
	}
	if rec.SeedMethod == instance.SeedPublic {
		fmt.Fprintln(stdout, "              "+say("drawcheck.public_check"))
	}
	return nil
}
