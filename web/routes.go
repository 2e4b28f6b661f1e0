package web

import (
	"net/http"
	"net/url"

	"github.com/gorilla/mux"
)

// Register adds the HTML routes to r. Routes are closed by default: a
// visitor reaches only the routes publicRoute names, and every other route
// needs a signed-in member. requireMember enforces that for the whole
// router, so a route added without a thought is closed, never open. What a
// member may do beyond that (coordinator, admin, safeguarding lead) is the
// domain's decision: instance.Service refuses with ErrForbidden, and
// handlers hold no role checks.
func (s *Server) Register(r *mux.Router) {
	r.Use(s.requireMember)
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	r.PathPrefix("/static/").Handler(s.serveStatic()).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/", h(s.home)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/conduct", h(s.conduct)).Methods(http.MethodGet)
	r.Handle("/robots.txt", h(s.robots)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/setup", h(s.setup)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/join", h(s.join)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/login", h(s.login)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/confirm-email", h(s.confirmEmail)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/logout", h(s.logout)).Methods(http.MethodPost)
	r.Handle("/settings/profile", h(s.profile)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/settings/password", h(s.password)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/groups", h(s.groupList)).Methods(http.MethodGet)
	r.Handle("/groups/new", h(s.groupNew)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/groups/{handle}", h(s.groupShow)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/groups/{handle}/edit", h(s.groupEdit)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/groups/{handle}/images", h(s.groupImages)).Methods(http.MethodPost)
	r.Handle(mediaRoute, h(s.media)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/groups/{handle}/join", h(s.groupJoin)).Methods(http.MethodPost)
	r.Handle("/groups/{handle}/leave", h(s.groupLeave)).Methods(http.MethodPost)
	r.Handle("/members/{handle}", h(s.memberShow)).Methods(http.MethodGet)
	r.Handle("/groups/{handle}/follow", h(s.followGroup)).Methods(http.MethodPost)
	r.Handle("/groups/{handle}/following/{id:[0-9]+}/remove", h(s.unfollowGroup)).Methods(http.MethodPost)
	r.Handle("/neighbours", h(s.neighbours)).Methods(http.MethodGet)
	r.Handle("/neighbours/{id:[0-9]+}", h(s.neighbour)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/admin/applications", h(s.applications)).Methods(http.MethodGet)
	r.Handle("/admin/applications/{id:[0-9]+}/{decision:approve|reject}", h(s.decideApplication)).Methods(http.MethodPost)
	r.Handle("/admin/invites", h(s.invites)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/admin/members", h(s.adminMembers)).Methods(http.MethodGet)
	r.Handle("/admin/members/{id:[0-9]+}", h(s.memberAdmin)).Methods(http.MethodGet)
	r.Handle("/admin/members/{id:[0-9]+}/roles", h(s.setRoles)).Methods(http.MethodPost)
	r.Handle("/admin/members/{id:[0-9]+}/suspend", h(s.suspend)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/admin/members/{id:[0-9]+}/reinstate", h(s.reinstate)).Methods(http.MethodPost)
	r.Handle("/admin/members/{id:[0-9]+}/helper-friend", h(s.helperFriend)).Methods(http.MethodPost)
	r.Handle("/coordinate", h(s.coordinate)).Methods(http.MethodGet)
	r.Handle("/language", h(s.language)).Methods(http.MethodPost)
	r.Handle("/about/following", h(s.aboutFollowing)).Methods(http.MethodGet)
	r.Handle("/calendar", h(s.calendarHelp)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/calendar/{token:[A-Za-z0-9_-]{32}}.ics", h(s.personalFeed)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/settings/calendar", h(s.calendarLink)).Methods(http.MethodPost)
	s.registerItems(r)
	s.registerModeration(r)
	s.registerMail(r)
	s.registerDecide(r)
	s.registerNotify(r)
	s.registerBoard(r)
	s.registerImpact(r)
	s.registerIntake(r)
	s.registerPush(r)
	s.registerContact(r)
	s.registerGuests(r)
	s.registerOps(r)
	s.registerOverflow(r)
	r.NotFoundHandler = s.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusNotFound, "error.not_found")
	}))
	r.MethodNotAllowedHandler = s.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusMethodNotAllowed, "error.method")
	}))
}

// publicRoute is the allow-list: the route templates a visitor may reach
// (reading public posts and groups, joining, signing in). Everything else
// needs a signed-in member. Opening a route means adding it here, where a
// reviewer sees it.
func publicRoute(template string) bool {
	switch template {
	case "/static/", "/", "/conduct", "/robots.txt", "/setup", "/join", "/login", "/confirm-email", "/logout",
		"/groups", "/groups/{handle}", mediaRoute,
		"/calendar.ics", "/actions/{id:[0-9]+}.ics", "/calendar", "/calendar/{token:[A-Za-z0-9_-]{32}}.ics", "/about/following", "/language",
		"/{kinds:needs|offers|actions}/{id:[0-9]+}",
		"/unsubscribe", "/forgot-password", "/reset-password", "/reset-code",
		"/panels/{id:[0-9]+}", "/panels/{id:[0-9]+}/guest", "/panels/{id:[0-9]+}/record.json", "/panels/{id:[0-9]+}/verify",
		"/verify-draw", "/notices/{id:[0-9]+}", "/polls/{id:[0-9]+}",
		"/noticeboard", "/groups/{handle}/noticeboard", "/qr/{kinds:needs|offers|actions}/{id:[0-9]+}.svg",
		"/feed.atom", "/groups/{handle}/feed.atom", "/feeds/{token:[A-Za-z0-9_-]{32}}.atom", "/impact", "/impact.csv",
		"/sw.js", "/manifest.webmanifest", "/icons/{size:192|512}.png",
		"/actions/{id:[0-9]+}/guest", "/guest-places/{step:confirm|cancel}", "/healthz", "/readyz":
		return true
	}
	return false
}

// mediaRoute serves group images (public, as the groups are: other
// servers fetch them for the group's avatar and header).
const mediaRoute = "/media/{hash:[0-9a-f]{64}}.{ext:png|jpg}"

// requireMember sends a visitor to the sign-in page from every route that
// publicRoute does not name. It runs on the whole router, after the route
// matched, so it knows which route it guards.
func (s *Server) requireMember(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tpl := routeTemplate(r)
		if slot, ok := r.Context().Value(routeSlotKey{}).(*routeSlot); ok {
			slot.template = tpl
		}
		if viewerFrom(r) == nil && !publicRoute(tpl) {
			s.toLogin(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// routeTemplate is the matched route's path template, or "" (which no
// allow-list entry matches) when there is none.
func routeTemplate(r *http.Request) string {
	route := mux.CurrentRoute(r)
	if route == nil {
		return ""
	}
	t, err := route.GetPathTemplate()
	if err != nil {
		return ""
	}
	return t
}

// toLogin sends a visitor to the sign-in page, coming back afterwards to
// the page they asked for (a form they posted cannot be replayed, so after
// a POST they come back to the home page).
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	to := "/login"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if next := safeNext(r.URL.RequestURI()); next != "/" {
			to += "?next=" + url.QueryEscape(next)
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
