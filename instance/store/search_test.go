package store

import (
	"context"
	"slices"
	"testing"

	"hearth/instance"
)

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"shoping", "shopping", 1}, {"shopping", "shopping", 0}, {"recieve", "receive", 1}, {"prescripton", "prescriptions", 2},
		{"ladder", "lather", 2}, {"dog", "cat", 3}, {"café", "cafe", 1},
	} {
		if got := editDistance(c.a, c.b, 2); got != min(c.want, 3) {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// Search, on either engine: every word must match, as the start of an
// indexed word or, for a word no indexed word starts with, as a word
// within one slip (two from eight letters); private fields are not
// searched, deleted items not found, and punctuation alone finds nothing.
func TestSearchItems(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	gid, err := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "V", Main: true, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	mid, err := s.CreateMember(ctx, member("ann", "", instance.StatusActive), "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	add := func(title, description, category, address string) int64 {
		id, err := s.CreateItem(ctx, &instance.Item{Kind: instance.KindNeed, GroupID: gid, AuthorID: mid, Title: title,
			Description: description, Category: category, Address: address, Visibility: instance.VisibilityPublic,
			State: instance.StateOpen, CreatedAt: t0, UpdatedAt: t0}, instance.Notices{})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	shopping := add("Shopping from the village shop", "Bread and milk", "shopping", "12 Secretgarden Road")
	shipping := add("Shipping boxes to give away", "", "lending", "")
	prescription := add("Prescription bags", "From the surgery", "lending", "")
	gone := add("Ladder to lend", "", "lending", "")
	if err := s.DeleteItem(ctx, gone, t0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    string
		want []int64
	}{
		{"shop", []int64{shopping}},
		{"SHOPPING", []int64{shopping}},
		{"shoping", []int64{shopping}},          // one letter dropped
		{"shoping boxes", nil},                  // every word must match
		{"villaeg shoping", []int64{shopping}},  // two slips, one in each word
		{"prescripton", []int64{prescription}},  // eleven letters: up to two
		{"surgery bags", []int64{prescription}}, // title and description
		{"shipping", []int64{shipping}},         // a real word is not corrected
		{"secretgarden", nil},                   // the address is private
		{"ladder", nil},                         // deleted
		{`"shop*" (`, []int64{shopping}},        // syntax characters are dropped
		{"!!! ???", nil},                        // nothing left to search
	} {
		items, err := s.ListItems(ctx, instance.ItemFilter{Query: c.q, Limit: 10})
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		var got []int64
		for _, it := range items {
			got = append(got, it.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("search %q: items %v, want %v", c.q, got, c.want)
		}
	}
}
