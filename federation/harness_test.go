package federation

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"hearth/instance"
	"hearth/instance/store"
	"hearth/instance/store/storetest"
)

var ctx = context.Background()

// node is one Hearth instance under test: store, domain service and
// federation, served over real HTTP on loopback (no web interface).
type node struct {
	t     *testing.T
	st    *store.Store
	svc   *instance.Service
	fed   *Federation
	srv   *httptest.Server
	url   string
	admin *instance.Member
	// down makes the node answer every request with 503, as a server
	// being restarted does; hits counts the requests it received.
	down atomic.Bool
	hits atomic.Int64
}

func newNode(t *testing.T, opts ...func(*Options)) *node {
	t.Helper()
	return newNodeWith(t, nil, opts...)
}

// newNodeWith is newNode with the domain service's options changed by
// svcOpts (hold words, say).
func newNodeWith(t *testing.T, svcOpts func(*instance.Options), opts ...func(*Options)) *node {
	t.Helper()
	st := storetest.Open(t)
	so := instance.Options{Store: st, Registration: instance.RegistrationOpen}
	if svcOpts != nil {
		svcOpts(&so)
	}
	svc, err := instance.New(so)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureMainGroup(ctx, "village", "Testham village"); err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, st: st, svc: svc}
	var handler http.Handler = http.NotFoundHandler()
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.hits.Add(1)
		if n.down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(n.srv.Close)
	n.url = n.srv.URL
	o := Options{Store: st, Service: svc, BaseURL: n.url, Version: "test", SiteName: "Testham", AllowPrivateAddresses: true,
		Translate: translator(t)}
	for _, fn := range opts {
		fn(&o)
	}
	n.fed = New(o)
	handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.fed.Match(r) {
			n.fed.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})
	n.admin, err = svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "cora", DisplayName: "Cora Coordinator",
		Password: "correct horse battery", Roles: []instance.Role{instance.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// settle runs the workers until there is nothing left to do.
func (n *node) settle() {
	n.t.Helper()
	for i := 0; i < 10; i++ {
		a, err := n.fed.ProcessInbox(ctx)
		if err != nil {
			n.t.Fatal(err)
		}
		b, err := n.fed.PublishEvents(ctx)
		if err != nil {
			n.t.Fatal(err)
		}
		c, err := n.fed.Deliver(ctx)
		if err != nil {
			n.t.Fatal(err)
		}
		if a+b+c == 0 {
			return
		}
	}
}

func (n *node) group() string { return n.url + "/groups/village" }

func (n *node) postNeed(visibility string) *instance.Item {
	n.t.Helper()
	it, err := n.svc.CreateItem(ctx, n.admin, instance.ItemInput{Kind: instance.KindNeed, Title: "A lift to the surgery",
		Description: "Tuesday at *10:30*", Category: "lifts", Area: "Mill Lane", Visibility: visibility,
		Address: "4 Mill Lane SECRET", Contact: "01234 567890"})
	if err != nil {
		n.t.Fatal(err)
	}
	return it
}
