package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"hearth/instance"
	"hearth/instance/config"
)

const adminUsage = `Usage: hearth admin COMMAND [-config FILE] [flags]

Commands (they work whether or not the instance is running):
  create-member --handle H --name N [--email E] [--role R[,R…]]
                 create an active member; the password is read from standard
                 input, or generated and printed once when none is given
  create-group  --handle H --name N [--description D]
  set-role      --handle H --role R[,R…]   replace a member's roles
                 (roles: member, helper, coordinator, safeguarding_lead,
                 admin; verified_helper comes only from a recorded check)
  reset-password --handle H  password from stdin, or a one-off code (24 h)
  suspend       --handle H [--reason R]   suspend a member: sessions end,
                 posts are withdrawn; the reason goes in the moderation log
  reinstate     --handle H   lift a suspension
  list-members  [--status S] list members (pending, active, rejected, suspended)
  backup        FILE         write a consistent copy of the database (safe while running)
  test-email    --to ADDRESS send a test message through the [smtp] settings
  check                      run SQLite's integrity and foreign-key checks
  migrate-store --to DSN     copy the SQLite file into an empty PostgreSQL database
`

func admin(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, adminUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	cmd, args := args[0], args[1:]
	fs, cfgPath := newFlags("admin "+cmd, stderr)
	var (
		handle = fs.String("handle", "", "handle (username) of the member or group")
		name   = fs.String("name", "", "display name")
		email  = fs.String("email", "", "email address")
		role   = fs.String("role", "", "role or comma-separated roles")
		desc   = fs.String("description", "", "group description")
		status = fs.String("status", "active", "member status to list")
		to     = fs.String("to", "", "address for test-email; PostgreSQL connection string for migrate-store")
		reason = fs.String("reason", "", "why (for the moderation log)")
	)
	var positional []string
	switch cmd {
	case "create-member", "create-group", "set-role", "suspend", "reinstate", "list-members", "check", "test-email", "reset-password", "migrate-store":
		if err := parseFlags(fs, args); err != nil {
			return err
		}
	case "backup":
		if err := fs.Parse(args); err != nil {
			return errUsage
		}
		positional = fs.Args()
		if len(positional) != 1 {
			fmt.Fprintln(stderr, "hearth admin backup: give exactly one FILE to write the backup to")
			return errUsage
		}
	default:
		fmt.Fprintf(stderr, "hearth admin: unknown command %q\n\n%s", cmd, adminUsage)
		return errUsage
	}
	required := map[string][]string{
		"create-member": {"handle", "name"}, "create-group": {"handle", "name"},
		"set-role": {"handle", "role"}, "suspend": {"handle"}, "reinstate": {"handle"}, "test-email": {"to"}, "migrate-store": {"to"},
		"reset-password": {"handle"},
	}
	for _, f := range required[cmd] {
		if fs.Lookup(f).Value.String() == "" {
			fmt.Fprintf(stderr, "hearth admin %s: --%s is required\n", cmd, f)
			return errUsage
		}
	}
	roles, err := parseRoles(*role)
	if err != nil {
		fmt.Fprintf(stderr, "hearth admin %s: %v\n", cmd, err)
		return errUsage
	}

	cfg, err := config.Load(*cfgPath, nil)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if cmd == "migrate-store" {
		// Not through openApp: that would migrate and write the source.
		return migrateStore(ctx, cfg, *to, stdout)
	}
	// Administration logs only problems: its output is for the operator.
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := openApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	// The command line acts as the operator: whoever can run it can read
	// the database anyway. This is the only place that identity is made.
	op := instance.Operator()

	switch cmd {
	case "create-member":
		pw, generated, err := readPassword(stdin)
		if err != nil {
			return err
		}
		m, err := a.svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: *handle, DisplayName: *name, Email: *email, Password: pw, Roles: roles})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "created member @%s (%s) with roles %s\n", m.Handle, m.DisplayName, joinRoles(m.Roles))
		if generated {
			fmt.Fprintf(stdout, "password: %s\n(shown once: give it to them and ask them to change it after signing in)\n", pw)
		}
	case "create-group":
		g, err := a.svc.CreateGroup(ctx, op, instance.GroupInput{Handle: *handle, Name: *name, Description: *desc})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "created group @%s (%s): %s/groups/%s\n", g.Handle, g.Name, cfg.BaseURL, g.Handle)
	case "set-role":
		m, err := a.svc.Member(ctx, *handle)
		if err != nil {
			return describe(err, "member @"+*handle)
		}
		if err := a.svc.SetRoles(ctx, op, m.ID, roles); err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "@%s now has roles %s (their sessions were ended)\n", m.Handle, joinRoles(roles))
	case "suspend", "reinstate":
		m, err := a.svc.Member(ctx, *handle)
		if err != nil {
			return describe(err, "member @"+*handle)
		}
		if cmd == "suspend" {
			err = a.svc.Suspend(ctx, op, m.ID, *reason)
		} else {
			err = a.svc.Reinstate(ctx, op, m.ID)
		}
		if err != nil {
			return describe(err, fmt.Sprintf("@%s is %s", m.Handle, m.Status))
		}
		fmt.Fprintf(stdout, "@%s: %s\n", m.Handle, map[string]string{
			"suspend": "suspended (their sessions ended and their posts were withdrawn)", "reinstate": "reinstated"}[cmd])
	case "reset-password":
		pw, err := readLine(stdin)
		if err != nil {
			return err
		}
		if pw != "" {
			m, err := a.svc.SetPasswordByOperator(ctx, op, *handle, pw)
			if err != nil {
				return describe(err, "member @"+*handle)
			}
			fmt.Fprintf(stdout, "password of @%s set; all of their sessions were ended\n", m.Handle)
			return nil
		}
		rc, err := a.svc.MakeResetCode(ctx, op, *handle)
		if err != nil {
			return describe(err, "member @"+*handle)
		}
		m := rc.Member
		fmt.Fprintf(stdout, "reset code for @%s: %s\nvalid once, until %s; they enter it with their username at %s/reset-code\n",
			m.Handle, rc.Code, rc.ExpiresAt.In(cfg.Location()).Format("Mon 2 Jan 2006 15:04 MST"), cfg.BaseURL)
	case "list-members":
		list, err := a.svc.Members(ctx, op, instance.Status(*status))
		if err != nil {
			return err
		}
		for _, m := range list {
			fmt.Fprintf(stdout, "@%s\t%s\t%s\t%s\n", m.Handle, m.DisplayName, m.Email, joinRoles(m.Roles))
		}
	case "backup":
		if err := a.store.Backup(ctx, positional[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "backup written to %s\n", positional[0])
	case "test-email":
		m := mailer(cfg)
		if m == nil {
			return errors.New("email is not set up: fill in [smtp] host and from in the configuration")
		}
		// Sent at once, not through the queue: the operator wants to see
		// the relay's answer.
		if err := m.Send(ctx, &instance.Email{To: *to, Subject: "Hearth test message",
			Text: "This is a test message from " + cfg.BaseURL + ". Email works.\n"}); err != nil {
			return err
		}
		if err := a.store.RecordMailWorks(ctx, time.Now().UTC()); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "test message sent to %s\n", *to)
	case "check":
		problems, err := a.store.Check(ctx)
		if err != nil {
			return err
		}
		for _, p := range problems {
			fmt.Fprintln(stdout, p)
		}
		if len(problems) > 0 {
			return fmt.Errorf("database check found %d problems", len(problems))
		}
		fmt.Fprintln(stdout, "database ok")
	}
	return nil
}

func parseRoles(s string) ([]instance.Role, error) {
	var roles []instance.Role
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		r, ok := instance.ParseRole(part)
		if !ok {
			return nil, fmt.Errorf("unknown role %q (roles: member, helper, verified_helper, coordinator, safeguarding_lead, admin)", part)
		}
		roles = append(roles, r)
	}
	return roles, nil
}

func joinRoles(roles []instance.Role) string {
	parts := make([]string, len(roles))
	for i, r := range roles {
		parts[i] = string(r)
	}
	return strings.Join(parts, ",")
}

// readPassword reads one line from stdin when something was piped in;
// from a terminal or an empty input it generates a password instead.
func readPassword(stdin io.Reader) (pw string, generated bool, err error) {
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return instance.RandomToken(12), true, nil
		}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("reading the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return instance.RandomToken(12), true, nil
	}
	return line, false, nil
}

// readLine reads one line from stdin when something was piped in; from a
// terminal, or an empty input, it returns "".
func readLine(stdin io.Reader) (string, error) {
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return "", nil
		}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// describe turns a domain error into a one-line message for the operator.
func describe(err error, what ...string) error {
	fields := instance.Fields(err)
	if len(fields) > 0 {
		var parts []string
		for _, name := range []string{"handle", "display_name", "email", "password", "name", "description"} {
			if fe, ok := fields[name]; ok {
				parts = append(parts, fmt.Sprintf("%s: %s", flagName(name), adminMessages[fe.Code]))
			}
		}
		return errors.New(strings.Join(parts, "; "))
	}
	subject := strings.Join(what, " ")
	var p *instance.Problem
	switch {
	case errors.Is(err, instance.ErrNotFound):
		return fmt.Errorf("%s: not found", subject)
	case errors.As(err, &p) && errors.Is(err, instance.ErrConflict):
		return fmt.Errorf("%s: that change does not apply", subject)
	case errors.As(err, &p) && adminMessages[p.Code] != "":
		return fmt.Errorf("refused: %s", adminMessages[p.Code])
	case errors.As(err, &p):
		return fmt.Errorf("refused (%s)", p.Code)
	}
	return err
}

func flagName(field string) string {
	if field == "display_name" {
		return "--name"
	}
	return "--" + field
}

// adminMessages are the command line's wording of validation codes. The
// command line is for operators and stays English.
var adminMessages = map[string]string{
	"err.required":        "is required",
	"err.invalid_utf8":    "is not valid UTF-8",
	"err.control_chars":   "contains control characters",
	"err.bidi":            "contains bidirectional control characters",
	"err.too_long":        "is too long",
	"err.handle_format":   "use lowercase letters, digits and _ (with . or - between)",
	"err.handle_reserved": "is reserved",
	"err.handle_taken":    "is already taken by a member or group",
	"err.email_format":    "is not an email address",
	"err.email_taken":     "is already used by another member",
	"err.password_short":  fmt.Sprintf("must be at least %d characters", instance.MinPassword),
	"err.password_common": "is one of the most common passwords: choose another",

	// Refusals.
	"members.verified_by_check": "verified_helper comes only from a recorded safety check: record one on the member's page (Members)",
}
