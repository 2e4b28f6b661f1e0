package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"hearth/instance"
)

// ActorKey returns a local actor's key pair, or ErrNotFound.
func (s *Store) ActorKey(ctx context.Context, actor instance.Signer) (privatePEM, publicPEM string, err error) {
	err = s.rd.QueryRowContext(ctx, `SELECT private_pem, public_pem FROM actor_keys WHERE actor = ?`, actor).Scan(&privatePEM, &publicPEM)
	return privatePEM, publicPEM, notFound(err)
}

// SaveActorKey stores a key pair unless the actor already has one (two
// requests racing to create a key both end up with the stored one).
func (s *Store) SaveActorKey(ctx context.Context, actor instance.Signer, privatePEM, publicPEM string, now time.Time) error {
	_, err := s.wr.ExecContext(ctx, `INSERT INTO actor_keys (actor, private_pem, public_pem, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		actor, privatePEM, publicPEM, ts(now))
	return wrapf(err, "store: save key of %s", actor)
}

const remoteActorColumns = `id, type, username, host, name, url, inbox, shared_inbox, key_id, public_key_pem, fetched_at`

func scanRemoteActor(row scanner) (*instance.RemoteActor, error) {
	var a instance.RemoteActor
	var fetched string
	if err := row.Scan(&a.ID, &a.Type, &a.Username, &a.Host, &a.Name, &a.URL, &a.Inbox, &a.SharedInbox, &a.KeyID, &a.PublicKeyPEM, &fetched); err != nil {
		return nil, err
	}
	a.FetchedAt = parseTS(fetched)
	return &a, nil
}

// RemoteActor returns a cached remote actor by id.
func (s *Store) RemoteActor(ctx context.Context, id string) (*instance.RemoteActor, error) {
	a, err := scanRemoteActor(s.rd.QueryRowContext(ctx, `SELECT `+remoteActorColumns+` FROM remote_actors WHERE id = ?`, id))
	return a, notFound(err)
}

// RemoteActorByKeyID returns the cached actor owning a key id.
func (s *Store) RemoteActorByKeyID(ctx context.Context, keyID string) (*instance.RemoteActor, error) {
	a, err := scanRemoteActor(s.rd.QueryRowContext(ctx, `SELECT `+remoteActorColumns+` FROM remote_actors WHERE key_id = ?`, keyID))
	return a, notFound(err)
}

// SaveRemoteActor caches a remote actor.
func (s *Store) SaveRemoteActor(ctx context.Context, a *instance.RemoteActor) error {
	_, err := s.wr.ExecContext(ctx, `INSERT INTO remote_actors (`+remoteActorColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET type = excluded.type, username = excluded.username, host = excluded.host, name = excluded.name,
		url = excluded.url, inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, key_id = excluded.key_id,
		public_key_pem = excluded.public_key_pem, fetched_at = excluded.fetched_at`,
		a.ID, a.Type, a.Username, a.Host, a.Name, a.URL, a.Inbox, a.SharedInbox, a.KeyID, a.PublicKeyPEM, ts(a.FetchedAt))
	return wrapf(err, "store: save remote actor %s", a.ID)
}

// AddFollower records (or refreshes) a follower; a repeated Follow leaves
// one row.
func (s *Store) AddFollower(ctx context.Context, f *instance.Follower) error {
	_, err := s.wr.ExecContext(ctx, `INSERT INTO followers (group_id, actor_id, host, inbox, shared_inbox, follow_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (group_id, actor_id) DO UPDATE SET inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, follow_id = excluded.follow_id`,
		f.GroupID, f.ActorID, f.Host, f.Inbox, f.SharedInbox, f.FollowID, ts(f.CreatedAt))
	return wrapf(err, "store: add follower %s of group %d", f.ActorID, f.GroupID)
}

// RemoveFollower removes actorID from a group's followers (groupID 0: from
// every group). It reports how many rows went.
func (s *Store) RemoveFollower(ctx context.Context, groupID int64, actorID string) (int64, error) {
	query, args := `DELETE FROM followers WHERE actor_id = ?`, []any{actorID}
	if groupID != 0 {
		query += ` AND group_id = ?`
		args = append(args, groupID)
	}
	res, err := s.wr.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, wrapf(err, "store: remove follower %s of group %d", actorID, groupID)
	}
	return res.RowsAffected()
}

// RemoveFollowerByFollowID removes the follower created by a Follow id,
// if actorID made it.
func (s *Store) RemoveFollowerByFollowID(ctx context.Context, followID, actorID string) (int64, error) {
	res, err := s.wr.ExecContext(ctx, `DELETE FROM followers WHERE follow_id = ? AND actor_id = ?`, followID, actorID)
	if err != nil {
		return 0, wrapf(err, "store: remove follower by follow %s", followID)
	}
	return res.RowsAffected()
}

// RemoveFollowersOnDomain severs every follower on a blocked domain (and
// its subdomains).
func (s *Store) RemoveFollowersOnDomain(ctx context.Context, domain string) (int64, error) {
	res, err := s.wr.ExecContext(ctx, `DELETE FROM followers WHERE host = ? OR host LIKE ?`, domain, "%."+domain)
	if err != nil {
		return 0, wrapf(err, "store: remove followers on %s", domain)
	}
	return res.RowsAffected()
}

// ListFollowers pages a group's followers by id.
func (s *Store) ListFollowers(ctx context.Context, groupID, afterID int64, limit int) ([]*instance.Follower, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT id, group_id, actor_id, host, inbox, shared_inbox, follow_id, created_at FROM followers
		WHERE group_id = ? AND id > ? ORDER BY id LIMIT ?`, groupID, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*instance.Follower
	for rows.Next() {
		var f instance.Follower
		var created string
		if err := rows.Scan(&f.ID, &f.GroupID, &f.ActorID, &f.Host, &f.Inbox, &f.SharedInbox, &f.FollowID, &created); err != nil {
			return nil, err
		}
		f.CreatedAt = parseTS(created)
		out = append(out, &f)
	}
	return out, rows.Err()
}

// FollowIsCurrent implements federation.Store.
func (s *Store) FollowIsCurrent(ctx context.Context, followID, actorID string) (bool, error) {
	var n int
	err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM followers WHERE follow_id = ? AND actor_id = ?`, followID, actorID).Scan(&n)
	return n > 0, wrapf(err, "store: follow %s by %s", followID, actorID)
}

// CountFollowers counts a group's followers.
func (s *Store) CountFollowers(ctx context.Context, groupID int64) (int, error) {
	var n int
	err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM followers WHERE group_id = ?`, groupID).Scan(&n)
	return n, err
}

// FollowerInboxes returns where to deliver to a group's followers: one
// shared inbox per server that has one, personal inboxes otherwise.
func (s *Store) FollowerInboxes(ctx context.Context, groupID int64) ([]string, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT DISTINCT CASE WHEN shared_inbox <> '' THEN shared_inbox ELSE inbox END
		FROM followers WHERE group_id = ? ORDER BY 1`, groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var in string
		if err := rows.Scan(&in); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// NextFedEvents returns unprocessed federation events that are due at
// now (not waiting to be retried), oldest first.
func (s *Store) NextFedEvents(ctx context.Context, now time.Time, limit int) ([]*instance.FedEvent, error) {
	return queryAll(ctx, s.rd, func(row scanner) (*instance.FedEvent, error) {
		var e instance.FedEvent
		var created string
		err := row.Scan(&e.ID, &e.Subject, &e.SubjectID, &created, &e.Attempts)
		e.CreatedAt = parseTS(created)
		return &e, err
	}, `SELECT id, subject, subject_id, created_at, attempts FROM fed_events
		WHERE processed_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?`, ts(now), limit)
}

// RetryFedEvent records a failed attempt at an event and when to try
// again; follow, when not nil, saves that follow's state with it (its
// server is not answering), in the same transaction.
func (s *Store) RetryFedEvent(ctx context.Context, id int64, cause string, next time.Time, follow *instance.Following) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE fed_events SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, claimed_until = NULL
			WHERE id = ? AND processed_at IS NULL`, ts(next), cause, id); err != nil {
			return err
		}
		return updateFollowing(ctx, tx, follow)
	}), "store: retry fed event %d", id)
}

// GiveUpFedEvent ends an event that kept failing, keeping its last error;
// follow, when not nil, is saved with it (a follow that failed).
func (s *Store) GiveUpFedEvent(ctx context.Context, id int64, cause string, now time.Time, follow *instance.Following) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE fed_events SET attempts = attempts + 1, processed_at = ?, last_error = ?
			WHERE id = ? AND processed_at IS NULL`, ts(now), cause, id); err != nil {
			return err
		}
		return updateFollowing(ctx, tx, follow)
	}), "store: give up fed event %d", id)
}

// Publish writes an instance.Publication and marks its event processed,
// in one transaction.
func (s *Store) Publish(ctx context.Context, p *instance.Publication, now time.Time) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		for _, o := range append([]*instance.OutboxEntry{p.Outbox}, p.Also...) {
			if o == nil {
				continue
			}
			// A Delete takes the object's earlier activities out of the
			// public outbox; the Delete itself stays fetchable.
			if o.Type == "Delete" && o.ObjectID != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE outbox SET public = 0 WHERE object_id = ?`, o.ObjectID); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (actor, activity_id, object_id, type, body, public, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (activity_id) DO NOTHING`, o.Actor, o.ActivityID, o.ObjectID, o.Type, string(o.Body), o.Public && o.Type != "Delete", ts(o.CreatedAt)); err != nil {
				return err
			}
		}
		if err := insertDeliveries(ctx, tx, p.Deliveries, now); err != nil {
			return err
		}
		switch p.SetFederated {
		case instance.SubjectItem:
			// A Create records its revision's publication time; a Delete
			// ends the revision (the next Create gets a new id).
			q := `UPDATE items SET federated = 1, fed_published_at = CASE WHEN federated = 0 THEN ?2 ELSE fed_published_at END WHERE id = ?1`
			if !p.Federated {
				q = `UPDATE items SET federated = 0, fed_revision = fed_revision + federated, fed_withdrawn_at = ?3 WHERE id = ?1`
			}
			if _, err := tx.ExecContext(ctx, q, p.SubjectID, nullTS(p.ItemPublishedAt), ts(now)); err != nil {
				return err
			}
		case instance.SubjectResponse:
			if _, err := tx.ExecContext(ctx, `UPDATE responses SET federated = ? WHERE id = ?`, p.Federated, p.SubjectID); err != nil {
				return err
			}
		case "":
		default:
			return fmt.Errorf("cannot mark a %q federated", p.SetFederated)
		}
		if err := updateFollowing(ctx, tx, p.Following); err != nil {
			return err
		}
		for _, o := range p.Overflows {
			if _, err := tx.ExecContext(ctx, `UPDATE overflows SET state = ?, withdrawn_at = CASE WHEN ? = 'withdrawn' THEN ? END
				WHERE id = ? AND state = ?`, o.To, o.To, ts(now), o.ID, o.From); err != nil {
				return err
			}
		}
		if p.ForgetFollowing != 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM following WHERE id = ?`, p.ForgetFollowing); err != nil {
				return err
			}
		}
		if p.EventID != 0 {
			_, err := tx.ExecContext(ctx, `UPDATE fed_events SET processed_at = ? WHERE id = ?`, ts(now), p.EventID)
			return err
		}
		return nil
	}), "store: publish event %d", p.EventID)
}

// ListOutbox pages an actor's published activities, newest first.
func (s *Store) ListOutbox(ctx context.Context, actor string, beforeID int64, limit int) ([]*instance.OutboxEntry, error) {
	if beforeID <= 0 {
		beforeID = 1 << 62
	}
	rows, err := s.rd.QueryContext(ctx, `SELECT id, actor, activity_id, type, body, public, created_at FROM outbox
		WHERE actor = ? AND public = 1 AND id < ? ORDER BY id DESC LIMIT ?`, actor, beforeID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*instance.OutboxEntry
	for rows.Next() {
		var o instance.OutboxEntry
		var body, created string
		if err := rows.Scan(&o.ID, &o.Actor, &o.ActivityID, &o.Type, &body, &o.Public, &created); err != nil {
			return nil, err
		}
		o.Body, o.CreatedAt = []byte(body), parseTS(created)
		out = append(out, &o)
	}
	return out, rows.Err()
}

// CountOutbox counts an actor's public activities.
func (s *Store) CountOutbox(ctx context.Context, actor string) (int, error) {
	var n int
	err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE actor = ? AND public = 1`, actor).Scan(&n)
	return n, err
}

// OutboxActivity returns one published activity by id.
func (s *Store) OutboxActivity(ctx context.Context, activityID string) (*instance.OutboxEntry, error) {
	var o instance.OutboxEntry
	var body, created string
	err := s.rd.QueryRowContext(ctx, `SELECT id, actor, activity_id, type, body, public, created_at FROM outbox WHERE activity_id = ?`, activityID).
		Scan(&o.ID, &o.Actor, &o.ActivityID, &o.Type, &body, &o.Public, &created)
	if err != nil {
		return nil, notFound(err)
	}
	o.Body, o.CreatedAt = []byte(body), parseTS(created)
	return &o, nil
}

// LastAnnounce returns actor's latest Announce of an object, or
// ErrNotFound.
func (s *Store) LastAnnounce(ctx context.Context, actor, objectID string) (*instance.OutboxEntry, error) {
	var o instance.OutboxEntry
	var body, created string
	err := s.rd.QueryRowContext(ctx, `SELECT id, actor, activity_id, object_id, type, body, public, created_at FROM outbox
		WHERE actor = ? AND object_id = ? AND type = 'Announce' ORDER BY id DESC LIMIT 1`, actor, objectID).
		Scan(&o.ID, &o.Actor, &o.ActivityID, &o.ObjectID, &o.Type, &body, &o.Public, &created)
	if err != nil {
		return nil, notFound(err)
	}
	o.Body, o.CreatedAt = []byte(body), parseTS(created)
	return &o, nil
}

// ItemFederation returns where an item stands with other servers.
func (s *Store) ItemFederation(ctx context.Context, id int64) (*instance.ItemFederation, error) {
	var f instance.ItemFederation
	var published, withdrawn string
	err := s.rd.QueryRowContext(ctx, `SELECT federated, fed_revision, COALESCE(fed_published_at, ''), COALESCE(fed_withdrawn_at, '')
		FROM items WHERE id = ?`, id).Scan(&f.Federated, &f.Revision, &published, &withdrawn)
	if err != nil {
		return nil, notFound(err)
	}
	f.PublishedAt, f.WithdrawnAt = parseTS(published), parseTS(withdrawn)
	return &f, nil
}

// ResponseFederated reports whether a Create for a response has gone out.
func (s *Store) ResponseFederated(ctx context.Context, id int64) (bool, error) {
	var f bool
	err := s.rd.QueryRowContext(ctx, `SELECT federated FROM responses WHERE id = ?`, id).Scan(&f)
	return f, notFound(err)
}

// GroupByID returns a group by id.
func (s *Store) GroupByID(ctx context.Context, id int64) (*instance.Group, error) {
	g, err := scanGroup(s.rd.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.id = ?`, id))
	return s.withFields(ctx, g, err)
}

// SaveRemoteResponse stores a reply from the fediverse to one of our items
// (or, when the same Note id arrives again from its author, updates it,
// unless what is kept is a newer version); n is written only with a new
// reply.
func (s *Store) SaveRemoteResponse(ctx context.Context, r *instance.Response, n instance.Notices) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		stmt, err := s.wr.inTx(ctx, tx, insertRemoteReply)
		if err != nil {
			return err
		}
		defer stmt.Close()
		var id int64
		err = stmt.QueryRowContext(ctx, r.ItemID, r.RemoteActor, r.Author, r.AuthorHandle, r.APID, r.ContentHTML, ts(r.CreatedAt),
			ts(r.UpdatedAt), r.Held).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			// The same Note again: an update by its author, telling nobody.
			_, err := tx.ExecContext(ctx, `UPDATE responses SET content_html = ?, updated_at = ?, remote_name = ?, held = CASE WHEN ? <> 0 THEN 1 ELSE held END
				WHERE ap_id = ? AND remote_actor = ? AND deleted_at IS NULL AND updated_at <= ?`,
				r.ContentHTML, ts(r.UpdatedAt), r.Author, r.Held, r.APID, r.RemoteActor, ts(r.UpdatedAt))
			return err
		}
		if err != nil {
			return err
		}
		return s.tell(ctx, tx, withAnchor(n, instance.AnchorNewResponse, id), r.UpdatedAt)
	}), "store: save remote reply %s on item %d", r.APID, r.ItemID)
}

// insertRemoteReply stores a new remote reply (prepared at Open; an id
// seen before changes nothing here).
const insertRemoteReply = `INSERT INTO responses (item_id, remote_actor, remote_name, remote_handle, ap_id, content_html, body,
	created_at, updated_at, federated, held) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, 1, ?)
	ON CONFLICT (ap_id) WHERE ap_id IS NOT NULL DO NOTHING RETURNING id`

// RemoteResponseByAPID implements instance.Store.
func (s *Store) RemoteResponseByAPID(ctx context.Context, apID string) (*instance.Response, error) {
	r, err := scanResponse(s.rd.QueryRowContext(ctx, `SELECT `+responseColumns+` FROM responses r LEFT JOIN members m ON m.id = r.author_id
		WHERE r.ap_id = ?`, apID))
	return r, notFound(err)
}

// UpdateRemoteResponse implements instance.Store.
func (s *Store) UpdateRemoteResponse(ctx context.Context, apID, actor, html string, held bool, updated time.Time) (bool, error) {
	res, err := s.wr.ExecContext(ctx, `UPDATE responses SET content_html = ?, updated_at = ?, held = CASE WHEN ? <> 0 THEN 1 ELSE held END
		WHERE ap_id = ? AND remote_actor = ? AND deleted_at IS NULL`, html, ts(updated), held, apID, actor)
	if err != nil {
		return false, wrapf(err, "store: update remote reply %s", apID)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// DeleteRemoteResponse deletes a remote reply if actor wrote it.
func (s *Store) DeleteRemoteResponse(ctx context.Context, apID, actor string, now time.Time) (bool, error) {
	res, err := s.wr.ExecContext(ctx, `UPDATE responses SET deleted_at = ?, content_html = '' WHERE ap_id = ? AND remote_actor = ? AND deleted_at IS NULL`,
		ts(now), apID, actor)
	if err != nil {
		return false, wrapf(err, "store: delete remote reply %s", apID)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// DeleteRemoteActorContent removes everything a deleted remote actor left:
// replies, neighbour items and follows of our groups.
func (s *Store) DeleteRemoteActorContent(ctx context.Context, actor string, now time.Time) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		for _, q := range []string{
			`UPDATE responses SET deleted_at = ?1, content_html = '' WHERE remote_actor = ?2 AND deleted_at IS NULL`,
			`UPDATE remote_items SET deleted_at = ?1, content_html = '' WHERE actor = ?2 AND deleted_at IS NULL`,
			`DELETE FROM followers WHERE actor_id = ?2`,
			`DELETE FROM remote_actors WHERE id = ?2`,
		} {
			if _, err := tx.ExecContext(ctx, q, ts(now), actor); err != nil {
				return err
			}
		}
		return nil
	}), "store: delete content of remote actor %s", actor)
}

// MemberHasPublicResponses reports whether a member has written a reply on
// a public item (only such members get a fediverse Person actor).
func (s *Store) MemberHasPublicResponses(ctx context.Context, memberID int64) (bool, error) {
	var n int
	err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM responses r JOIN items i ON i.id = r.item_id
		WHERE r.author_id = ? AND i.visibility = 'public' AND r.deleted_at IS NULL`, memberID).Scan(&n)
	if err != nil {
		return false, err
	}
	if n > 0 {
		return true, nil
	}
	err = s.rd.QueryRowContext(ctx, `SELECT count(*) FROM neighbour_replies WHERE member_id = ? AND held = 0`, memberID).Scan(&n)
	return n > 0, err
}

// CountLocalItems counts live items, for NodeInfo.
func (s *Store) CountLocalItems(ctx context.Context) (int, error) {
	var n int
	err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE deleted_at IS NULL`).Scan(&n)
	return n, err
}
