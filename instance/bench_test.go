package instance_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"hearth/instance"
	"hearth/instance/store"
)

// BenchmarkReceiveReply: a reply from another server, as the inbox
// worker hands it to the domain (stored, and its item's author told).
func BenchmarkReceiveReply(b *testing.B) {
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "hearth.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc, err := instance.New(instance.Options{Store: st, Registration: instance.RegistrationOpen})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.EnsureMainGroup(ctx, "village", "Bench"); err != nil {
		b.Fatal(err)
	}
	m, _ := svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "ann", DisplayName: "Ann", Password: "correct horse battery"})
	m, _ = svc.MemberByID(ctx, m.ID)
	it, err := svc.CreateItem(ctx, m, instance.ItemInput{Kind: instance.KindNeed, Title: "Soup", Category: "food", Area: "Mill Lane"})
	if err != nil {
		b.Fatal(err)
	}
	a := &instance.RemoteActor{ID: "https://gts.example/users/alice", Host: "gts.example", Username: "alice", Name: "Alice"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := svc.ReceiveReply(ctx, it.ID, &instance.RemoteNote{ID: fmt.Sprintf("%s/statuses/%d", a.ID, i), Author: a,
			HTML: "<p>I can help with that</p>"}); err != nil {
			b.Fatal(err)
		}
	}
}
