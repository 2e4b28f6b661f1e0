package store

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// memberColumn names a column that refers to a member: a foreign key to
// members, or an integer column named for one.
var memberColumn = regexp.MustCompile(`^(member|author|voter|reporter|helper)_id$`)

// erasure says, for every column that refers to a member, what deleting
// their account does to the rows naming them. "gone": afterwards no row
// names the member. Anything else is the reason a row is kept; it may
// only point at the member's own row, which is anonymised (checked
// below). A new column referring to members fails the test until it is
// handled in DeleteAccount and listed here.
var erasure = map[string]string{
	"sessions.member_id":           "gone",
	"member_roles.member_id":       "gone",
	"group_members.member_id":      "gone",
	"interests.member_id":          "gone",
	"attendees.member_id":          "gone",
	"notifications.member_id":      "gone",
	"notifications.actor_id":       "gone",
	"neighbour_replies.member_id":  "gone",
	"email_tokens.member_id":       "gone",
	"mail_queue.member_id":         "gone",
	"notice_prefs.member_id":       "gone",
	"password_resets.member_id":    "gone",
	"member_categories.member_id":  "gone",
	"digests.member_id":            "gone",
	"calendar_feeds.member_id":     "gone",
	"atom_feeds.member_id":         "gone",
	"push_subscriptions.member_id": "gone",
	"push_queue.member_id":         "gone",
	"need_messages.author_id":      "gone",
	"series_regulars.member_id":    "gone",
	"poll_votes.member_id":         "gone",
	"proposal_answers.member_id":   "gone",
	"budget_ballots.voter_id":      "gone", // unlinked, the ballot still counted: the rule of CloseRound
	"budget_voters.member_id":      "gone",
	"panel_volunteers.member_id":   "gone", // open panel: withdrawn; drawn: kept unlinked for the draw record
	"concerns.reporter_id":         "gone",
	"budget_projects.author_id":    "gone", // in a round not yet voting; see the kept case below
	// Kept: history whose author now reads "Deleted member".
	"items.author_id":             "retracted (deleted_at set), kept as a tombstone for federation",
	"items.claimed_by":            "the requester's record of who helped",
	"items.taken_by":              "the offerer's record of who took it",
	"responses.author_id":         "body erased, deleted_at set",
	"responses.removed_by":        "moderation history",
	"invites.created_by":          "invitation history",
	"invites.used_by":             "invitation history",
	"reports.reporter_id":         "moderation history (the reporter's details are theirs in the export)",
	"reports.member_id":           "a report about the member stays for moderators",
	"reports.resolved_by":         "moderation history",
	"moderation_log.actor_id":     "moderation history",
	"blocked_domains.created_by":  "moderation history",
	"blocked_actors.created_by":   "moderation history",
	"verifications.member_id":     "safeguarding record of a check",
	"verifications.verified_by":   "safeguarding record of a check",
	"verifications.revoked_by":    "safeguarding record of a check",
	"concern_log.actor_id":        "safeguarding history",
	"password_resets.created_by":  "who issued a reset, for coordinators",
	"budget_rounds.created_by":    "public history of a decision",
	"panels.created_by":           "public history of a decision",
	"decide_log.actor_id":         "public history of a decision",
	"proposals.created_by":        "public history of a decision",
	"need_messages.helper_id":     "the requester's own messages to a helper who left",
	"budget_projects.reviewed_by": "public history of a decision",
}

// keptProjects: a project in a round whose voting has begun stays (its
// votes are in the ballots), its author anonymised with the member.
const keptProjects = `SELECT count(*) FROM budget_projects p JOIN budget_rounds r ON r.id = p.round_id
	WHERE p.author_id = ?1 AND r.voting_from > ?2 AND r.closed_at IS NULL`

func memberRefColumns(t *testing.T, s *Store) []string {
	t.Helper()
	q := `SELECT m.name, c.name, c.type, EXISTS (SELECT 1 FROM pragma_foreign_key_list(m.name) f
		WHERE f."table" = 'members' AND f."from" = c.name)
		FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND m.name <> 'members'`
	if s.e == postgresEngine { // the same from PostgreSQL's catalogue, BIGINT named as SQLite's INTEGER
		q = `SELECT c.table_name, c.column_name, CASE WHEN c.data_type = 'bigint' THEN 'INTEGER' ELSE c.data_type END,
			EXISTS (SELECT 1 FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
				WHERE k.contype = 'f' AND k.conrelid = to_regclass(quote_ident(c.table_name)) AND k.confrelid = 'members'::regclass
				AND a.attname = c.column_name)
			FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
			WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> 'members'`
	}
	rows, err := s.db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var table, col, typ string
		var fk bool
		if err := rows.Scan(&table, &col, &typ, &fk); err != nil {
			t.Fatal(err)
		}
		if fk || (typ == "INTEGER" && memberColumn.MatchString(col)) {
			out = append(out, table+"."+col)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// Deleting an account leaves no row naming the member, in every table that
// refers to members, except the kept history above, which points at the
// anonymised member row.
func TestDeleteAccountErasesEveryMemberTable(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	cols := memberRefColumns(t, s)
	for _, c := range cols {
		if _, ok := erasure[c]; !ok {
			t.Errorf("%s refers to a member: handle it in DeleteAccount (and ExportMember) and list it in erasure", c)
		}
	}
	for c := range erasure {
		if i := sort.SearchStrings(cols, c); i == len(cols) || cols[i] != c {
			t.Errorf("erasure lists %s, which is no longer a member column", c)
		}
	}
	gid, err := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "V", Main: true, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	olga, err := s.CreateMember(ctx, member("olga", "olga@example.org", instance.StatusActive), "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	mia, err := s.CreateMember(ctx, member("mia", "mia@example.org", instance.StatusActive), "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	seedMemberRows(t, s, gid, olga, mia)
	for c, rule := range erasure {
		if rule == "gone" && countNaming(t, s, c, mia) == 0 {
			t.Errorf("the test seeds no row of %s naming the member", c)
		}
	}
	round, err := s.RoundByID(ctx, 800)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAccount(ctx, mia, t0, &instance.ModLog{Action: "delete account", Subject: "@mia", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for c, rule := range erasure {
		n := countNaming(t, s, c, mia)
		switch {
		case c == "budget_projects.author_id":
			if k := count(t, s, keptProjects, mia, ts(t0)); k != 0 {
				t.Errorf("%d projects of the member's in a round not yet voting were kept", k)
			}
			if n != 1 {
				t.Errorf("the member's project in a round being voted on: %d rows, want it kept (its votes are in ballots)", n)
			}
		case rule == "gone" && n != 0:
			t.Errorf("%s: %d rows still name the deleted member", c, n)
		}
	}
	m, err := s.MemberByID(ctx, mia)
	if err != nil {
		t.Fatal(err)
	}
	if m.DisplayName != "Deleted member" || m.Email != "" {
		t.Errorf("kept rows point at a member who is not anonymised: %+v", m)
	}
	if n := count(t, s, `SELECT count(*) FROM responses WHERE author_id = ? AND (body <> '' OR deleted_at IS NULL)`, mia); n != 0 {
		t.Errorf("%d replies kept their text", n)
	}
	if n := count(t, s, `SELECT count(*) FROM items WHERE author_id = ? AND deleted_at IS NULL`, mia); n != 0 {
		t.Errorf("%d items were not retracted", n)
	}
	// The ballot stays, unlinked, so the count shown and the count at
	// closing agree with the choices made.
	if n := count(t, s, `SELECT count(*) FROM budget_ballots b JOIN budget_choices c ON c.token = b.token WHERE b.round_id = 800 AND b.voter_id IS NULL`); n != 1 {
		t.Errorf("the deleted member's ballot: %d unlinked ballots with their choice, want 1", n)
	}
	after, err := s.RoundByID(ctx, 800)
	if err != nil {
		t.Fatal(err)
	}
	if after.Ballots != round.Ballots || after.Ballots != 1 {
		t.Errorf("ballots shown went from %d to %d, want 1 throughout", round.Ballots, after.Ballots)
	}
	// A drawn panel keeps its volunteer, unlinked (the published draw
	// record counts them); an open panel loses them.
	if n := count(t, s, `SELECT count(*) FROM panel_volunteers WHERE panel_id = 1001 AND member_id IS NULL`); n != 1 {
		t.Errorf("drawn panel: %d unlinked volunteers, want 1", n)
	}
	if n := count(t, s, `SELECT count(*) FROM panel_volunteers WHERE panel_id = 1000`); n != 0 {
		t.Errorf("open panel: %d volunteers left, want 0", n)
	}
}

// countNaming counts the rows of "table.column" naming the member.
func countNaming(t *testing.T, s *Store, tableColumn string, memberID int64) int {
	t.Helper()
	i := strings.IndexByte(tableColumn, '.')
	return count(t, s, `SELECT count(*) FROM "`+tableColumn[:i]+`" WHERE "`+tableColumn[i+1:]+`" = ?`, memberID)
}

// seedMemberRows gives mia a row in every table naming a member (olga
// owns what mia takes part in).
func seedMemberRows(t *testing.T, s *Store, gid, olga, mia int64) {
	t.Helper()
	past, now, later := ts(t0.Add(-48*time.Hour)), ts(t0), ts(t0.Add(48*time.Hour))
	// Each statement uses some of the six parameters: PostgreSQL needs to
	// know every parameter's type, so a CTE names them all.
	const params = `WITH p AS (SELECT CAST(?1 AS BIGINT), CAST(?2 AS BIGINT), CAST(?3 AS TEXT), CAST(?4 AS BIGINT), CAST(?5 AS TEXT), CAST(?6 AS TEXT)) `
	for _, q := range []string{
		`INSERT INTO group_members (group_id, member_id, joined_at) VALUES (?4, ?1, ?5) ON CONFLICT DO NOTHING`,
		`INSERT INTO member_roles (member_id, role) VALUES (?1, 'member') ON CONFLICT DO NOTHING`,
		`INSERT INTO sessions (token_hash, member_id, created_at, expires_at) VALUES ('s1', ?1, ?5, ?6)`,
		`INSERT INTO items (id, kind, group_id, author_id, title, visibility, state, created_at, updated_at, claimed_by)
			VALUES (100, 'need', ?4, ?2, 'Lift', 'village', 'claimed', ?5, ?5, ?1)`,
		`INSERT INTO items (id, kind, group_id, author_id, title, visibility, state, created_at, updated_at, taken_by)
			VALUES (101, 'offer', ?4, ?2, 'Chairs', 'village', 'taken', ?5, ?5, ?1)`,
		`INSERT INTO items (id, kind, group_id, author_id, title, visibility, state, created_at, updated_at, starts_at, ends_at)
			VALUES (102, 'action', ?4, ?2, 'Litter pick', 'village', 'scheduled', ?5, ?5, ?6, ?6)`,
		`INSERT INTO items (id, kind, group_id, author_id, title, visibility, state, created_at, updated_at)
			VALUES (103, 'poll', ?4, ?2, 'Which day?', 'village', 'open', ?5, ?5)`,
		`INSERT INTO items (id, kind, group_id, author_id, title, visibility, state, created_at, updated_at)
			VALUES (104, 'need', ?4, ?1, 'Shopping', 'village', 'open', ?5, ?5)`,
		`INSERT INTO action_slots (id, item_id, name, capacity, position) VALUES (200, 102, 'Bags', 2, 0)`,
		`INSERT INTO attendees (item_id, slot_id, member_id, status, created_at) VALUES (102, 200, ?1, 'going', ?5)`,
		`INSERT INTO interests (item_id, member_id, created_at) VALUES (100, ?1, ?5)`,
		`INSERT INTO responses (item_id, author_id, body, created_at, updated_at) VALUES (100, ?1, 'On my way', ?5, ?5)`,
		`INSERT INTO notifications (member_id, item_id, code, created_at) VALUES (?1, 100, 'x', ?5)`,
		`INSERT INTO notifications (member_id, item_id, code, created_at, actor_id, actor_name) VALUES (?2, 100, 'x', ?5, ?1, 'mia')`,
		`INSERT INTO remote_items (id, ap_id, actor, published_at, updated_at) VALUES (300, 'https://next.example/n/1', 'https://next.example/u', ?5, ?5)`,
		`INSERT INTO neighbour_replies (remote_item_id, member_id, body, created_at) VALUES (300, ?1, 'I can', ?5)`,
		`INSERT INTO email_tokens (token_hash, member_id, link, expires_at) VALUES ('e1', ?1, 'l', ?6)`,
		`INSERT INTO mail_queue (member_id, to_address, subject, body_text, message_id, next_attempt_at, created_at)
			VALUES (?1, 'mia@example.org', 's', 'b', 'm1', ?5, ?5)`,
		`INSERT INTO notice_prefs (member_id, kind, frequency) VALUES (?1, 'reply', 'now')`,
		`INSERT INTO password_resets (token_hash, member_id, kind, created_by, created_at, expires_at) VALUES ('r1', ?1, 'link', ?2, ?5, ?6)`,
		`INSERT INTO member_categories (member_id, category) VALUES (?1, 'food')`,
		`INSERT INTO digests (member_id, frequency, sent_for) VALUES (?1, 'daily', ?5)`,
		`INSERT INTO calendar_feeds (member_id, token, created_at) VALUES (?1, 'c1', ?5)`,
		`INSERT INTO atom_feeds (member_id, token, created_at) VALUES (?1, 'a1', ?5)`,
		`INSERT INTO push_subscriptions (id, member_id, endpoint, p256dh, auth, created_at) VALUES (400, ?1, 'https://push.example/1', 'p', 'a', ?5)`,
		`INSERT INTO push_queue (subscription_id, member_id, kind, payload, next_attempt_at, created_at) VALUES (400, ?1, 'reply', '{}', ?5, ?5)`,
		`INSERT INTO need_messages (item_id, author_id, helper_id, body, created_at) VALUES (100, ?1, ?1, 'Which door?', ?5)`,
		`INSERT INTO need_messages (item_id, author_id, helper_id, body, created_at) VALUES (100, ?2, ?1, 'The blue one', ?5)`,
		`INSERT INTO action_series (id, rule, first_at, minutes, made_until, created_at) VALUES (500, 'weekly', ?5, 60, ?6, ?5)`,
		`UPDATE items SET series_id = 500 WHERE id = 102`,
		`INSERT INTO series_regulars (series_id, member_id, created_at) VALUES (500, ?1, ?5)`,
		`INSERT INTO polls (item_id, results, closes_at) VALUES (103, 'after_vote', ?6)`,
		`INSERT INTO poll_options (id, item_id, position, name) VALUES (600, 103, 0, 'Saturday')`,
		`INSERT INTO poll_votes (item_id, option_id, member_id, created_at) VALUES (103, 600, ?1, ?5)`,
		`INSERT INTO proposals (id, group_id, created_by, title, created_at, closes_at) VALUES (700, ?4, ?2, 'Buy a van', ?5, ?6)`,
		`INSERT INTO proposal_answers (proposal_id, member_id, answer, updated_at) VALUES (700, ?1, 'agree', ?5)`,
		`INSERT INTO budget_rounds (id, group_id, created_by, title, budget, currency, mode, visibility, created_at, review_from, voting_from, results_at)
			VALUES (800, ?4, ?2, 'Spring', 1000, 'EUR', 'approval', 'village', ?3, ?3, ?3, ?6)`,
		`INSERT INTO budget_rounds (id, group_id, created_by, title, budget, currency, mode, visibility, created_at, review_from, voting_from, results_at)
			VALUES (801, ?4, ?2, 'Autumn', 1000, 'EUR', 'approval', 'village', ?3, ?3, ?6, ?6)`,
		`INSERT INTO budget_projects (id, round_id, author_id, title, cost, created_at, review) VALUES (900, 800, ?1, 'Benches', 100, ?3, 'eligible')`,
		`INSERT INTO budget_projects (id, round_id, author_id, title, cost, created_at) VALUES (901, 801, ?1, 'Planters', 100, ?3)`,
		`INSERT INTO budget_ballots (token, round_id, voter_id) VALUES ('b1', 800, ?1)`,
		`INSERT INTO budget_choices (token, project_id) VALUES ('b1', 900)`,
		`INSERT INTO budget_voters (round_id, member_id) VALUES (800, ?1)`,
		`INSERT INTO panels (id, group_id, created_by, title, size, ends_at, state, created_at) VALUES (1000, ?4, ?2, 'Jury', 3, ?6, 'open', ?3)`,
		`INSERT INTO panels (id, group_id, created_by, title, size, ends_at, state, created_at) VALUES (1001, ?4, ?2, 'Old jury', 3, ?3, 'drawn', ?3)`,
		`INSERT INTO panel_volunteers (panel_id, code, member_id, created_at) VALUES (1000, 'v1', ?1, ?3)`,
		`INSERT INTO panel_volunteers (panel_id, code, member_id, created_at, selected) VALUES (1001, 'v2', ?1, ?3, 1)`,
		`INSERT INTO concerns (reporter_id, about, details, status, created_at) VALUES (?1, 'x', 'y', 'open', ?5)`,
	} {
		if _, err := s.wr.ExecContext(context.Background(), params+q, mia, olga, past, gid, now, later); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// The export shows the member their part in deciding together: each poll
// once with every option they chose, their answers with the proposal's
// title, their panels, their standing places and whether they have
// private feeds.
func TestExportHoldsDecisionsAndFeeds(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	gid, err := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "V", Main: true, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	olga, err := s.CreateMember(ctx, member("olga", "olga@example.org", instance.StatusActive), "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	mia, err := s.CreateMember(ctx, member("mia", "mia@example.org", instance.StatusActive), "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	seedMemberRows(t, s, gid, olga, mia)
	for _, q := range []string{
		`INSERT INTO poll_options (id, item_id, position, name) VALUES (601, 103, 1, 'Sunday')`,
		`INSERT INTO poll_votes (item_id, option_id, member_id, created_at) VALUES (103, 601, ?1, ?2)`,
		`UPDATE proposal_answers SET answer = 'block', reason = 'Too dear' WHERE member_id = ?1`,
		`UPDATE series_regulars SET slot_name = 'Bags' WHERE member_id = ?1`,
	} {
		if _, err := s.wr.ExecContext(context.Background(), `WITH p AS (SELECT CAST(?1 AS BIGINT), CAST(?2 AS TEXT)) `+q, mia, ts(t0)); err != nil {
			t.Fatal(err)
		}
	}
	ex, err := s.ExportMember(ctx, mia)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.PollVotes) != 1 || ex.PollVotes[0].PollTitle != "Which day?" || strings.Join(ex.PollVotes[0].Options, ",") != "Saturday,Sunday" ||
		ex.PollVotes[0].PollPath != "/polls/103" {
		t.Errorf("poll votes: %+v", ex.PollVotes)
	}
	if len(ex.ProposalAnswers) != 1 || ex.ProposalAnswers[0].ProposalTitle != "Buy a van" || ex.ProposalAnswers[0].Answer != instance.ConsentBlock ||
		ex.ProposalAnswers[0].Reason != "Too dear" {
		t.Errorf("proposal answers: %+v", ex.ProposalAnswers)
	}
	if len(ex.Panels) != 2 || ex.Panels[0].PanelTitle != "Jury" || ex.Panels[0].Selected || ex.Panels[1].PanelTitle != "Old jury" || !ex.Panels[1].Selected {
		t.Errorf("panels: %+v", ex.Panels)
	}
	if len(ex.StandingPlaces) != 1 || ex.StandingPlaces[0].ActionTitle != "Litter pick" || ex.StandingPlaces[0].Role != "Bags" ||
		ex.StandingPlaces[0].ActionPath != "/actions/102" {
		t.Errorf("standing places: %+v", ex.StandingPlaces)
	}
	if !ex.PrivateFeed || !ex.CalendarFeed {
		t.Errorf("feeds: private %v, calendar %v, want both", ex.PrivateFeed, ex.CalendarFeed)
	}
	// Nothing of olga's: she has none of these.
	if ex, err := s.ExportMember(ctx, olga); err != nil || len(ex.PollVotes)+len(ex.ProposalAnswers)+len(ex.Panels)+len(ex.StandingPlaces) != 0 || ex.PrivateFeed {
		t.Errorf("olga's export holds mia's decisions: %+v, %v", ex, err)
	}
}
