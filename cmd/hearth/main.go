// Command hearth runs a Hearth instance and administers it.
//
//	hearth                         same as hearth serve
//	hearth serve [-config FILE]    run the instance
//	hearth version                 print the version
//	hearth admin COMMAND [flags]   administer (works while the instance runs)
//	hearth verify-draw FILE        check a panel's draw from its published record
//
// main only wires things together: flags → config → store → services →
// HTTP server. The logic lives in instance, web and federation.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=1.2.3"; a
// plain build reports the VCS revision when it has one.
var version = "dev"

func versionString() string {
	if version != "dev" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return version
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// errUsage marks a bad command line; the message has been printed.
var errUsage = errors.New("usage")

const usage = `Usage:
  hearth [serve] [-config FILE]   run the instance (default: http://127.0.0.1:8080, data in ./hearth-data)
  hearth version                  print the version
  hearth admin COMMAND [flags]    administer the instance; run "hearth admin help" for the commands
  hearth verify-draw FILE         re-run a panel's draw from its published record and check it

Configuration: -config FILE, or HEARTH_CONFIG; HEARTH_LISTEN, HEARTH_BASE_URL,
HEARTH_DATA_DIR and HEARTH_STORE_DSN override the file. See config.example.toml.
`

// run is main without the process: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "" || args[0][0] != '-') {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(args, stderr)
	case "version":
		fmt.Fprintln(stdout, "hearth", versionString())
	case "admin":
		err = admin(args, stdin, stdout, stderr)
	case "verify-draw":
		err = verifyDraw(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "hearth: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		return 2
	default:
		fmt.Fprintln(stderr, "hearth:", err)
		return 1
	}
}

// newFlags makes a flag set that reports errors on stderr and never exits.
func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := fs.String("config", "", "configuration file (default: $HEARTH_CONFIG, or built-in defaults)")
	return fs, cfg
}

// parseFlags parses and refuses stray positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "hearth %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}
