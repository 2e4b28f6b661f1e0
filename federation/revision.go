package federation

import (
	"strconv"
	"strings"
	"time"

	"hearth/instance"
)

// An item made public again after it was withdrawn (made village-only,
// held or hidden: a Delete went out) is published as new: Mastodon
// ignores a Create for an object id it already has
// (create.rb#find_existing_status) and refuses one it holds a Tombstone
// for (create.rb#tombstone_exists?, written by every Delete it receives),
// so the same id would never show again. Each Delete starts a new
// revision; revision N > 0 is published under the item's page with ?r=N.
// Its `published` is the time its Create went out: Mastodon puts a post in
// home timelines only within hours of its `published`
// (Status#within_realtime_window?), so an item that waited (village-only
// for a week, or held) still lands at the top of its followers' timelines.

// itemObject is the id of an item's Note in a revision.
func (u uris) itemObject(it *instance.Item, revision int) string {
	if revision <= 0 {
		return u.item(it)
	}
	return u.item(it) + "?r=" + strconv.Itoa(revision)
}

// itemRevision reads the revision an item IRI names: 0 for the page
// itself, N for ?r=N; false for any other query.
func itemRevision(query string) (int, bool) {
	if query == "" {
		return 0, true
	}
	v, ok := strings.CutPrefix(query, "r=")
	n, err := strconv.Atoi(v)
	if !ok || err != nil || n <= 0 || strconv.Itoa(n) != v {
		return 0, false
	}
	return n, true
}

// itemPublished is the `published` of an item's current revision.
func itemPublished(it *instance.Item, fed *instance.ItemFederation) time.Time {
	if !fed.PublishedAt.IsZero() {
		return fed.PublishedAt
	}
	return it.CreatedAt
}

// revise gives an item's Note the id and times of its revision: `updated`
// only for a change after it was published.
func (f *Federation) revise(note revisable, it *instance.Item, revision int, published time.Time) {
	setID(note, f.uris.itemObject(it, revision))
	setPublished(note, published)
	if it.UpdatedAt.After(published) {
		setUpdated(note, it.UpdatedAt)
	} else {
		note.SetActivityStreamsUpdated(nil)
	}
}
