package web

import (
	"net/http"

	"github.com/gorilla/mux"

	"hearth/instance"
)

type groupListPage struct {
	page
	Groups []*instance.Group
}

func (s *Server) groupList(w http.ResponseWriter, r *http.Request) error {
	groups, err := s.svc.Groups(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "groups", &groupListPage{page: s.pageBase(r, "groups.title"), Groups: groups})
}

// groupItems is how many open posts a group's page shows; the home page
// filtered by the group has the rest.
const groupItems = 10

type groupPage struct {
	formPage
	Items     []*instance.Item // the group's open posts, newest first
	More      bool             // there are more than Items
	Group     *instance.Group
	IsMember  bool
	Members   []*instance.Member
	Address   string
	Following []*instance.Following
	// Followers, for coordinators: how many follow the group from other
	// servers, and which servers.
	Followers *instance.FollowerStats
	// Trust, for coordinators: the groups that follow this one back, and
	// how far each is trusted with needs nobody here can help with.
	Trust []trustRow
}

func (s *Server) groupShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderGroup(w, r, mux.Vars(r)["handle"], nil)
}

// renderGroup shows a group page; formErr is a problem with the follow
// form, shown beside its field.
func (s *Server) renderGroup(w http.ResponseWriter, r *http.Request, handle string, formErr error) error {
	g, err := s.svc.Group(r.Context(), handle)
	if err != nil {
		return err
	}
	p := &groupPage{formPage: formPage{page: s.pageBase(r, "group.title", g.Name), Form: newForm(r)}, Group: g,
		Address: "@" + g.Handle + "@" + hostOf(s.opt.BaseURL)}
	p.Title = g.Name
	p.Feeds = []feedLink{s.groupFeedLink(&p.page, g)}
	if p.Items, err = s.svc.Items(r.Context(), p.Viewer, instance.ItemFilter{GroupID: g.ID, Current: true, Limit: groupItems + 1}); err != nil {
		return err
	}
	if len(p.Items) > groupItems {
		p.Items, p.More = p.Items[:groupItems], true
	}
	if p.Viewer.IsCoordinator() {
		if p.Following, err = s.svc.Following(r.Context(), g); err != nil {
			return err
		}
		if p.Followers, err = s.svc.GroupFollowers(r.Context(), p.Viewer, g); err != nil {
			return err
		}
		if p.Trust, err = s.trustRows(r, p.Viewer, g); err != nil {
			return err
		}
	}
	if p.Viewer != nil {
		if p.IsMember, err = s.svc.IsGroupMember(r.Context(), g, p.Viewer); err != nil {
			return err
		}
		if p.Members, err = s.svc.GroupMembers(r.Context(), p.Viewer, g); err != nil {
			return err
		}
	}
	status := http.StatusOK
	if formErr != nil {
		p.fail(formErr, "address")
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "group", p)
}

type groupFormPage struct {
	formPage
	Editing bool
	Handle  string
	// Group is the group being edited (its images), nil for a new one.
	Group *instance.Group
}

func (s *Server) groupNew(w http.ResponseWriter, r *http.Request) error {
	m := viewerFrom(r)
	if err := s.svc.MayManageGroups(m); err != nil {
		return err
	}
	p := &groupFormPage{formPage: formPage{page: s.pageBase(r, "groupform.new_title"), Form: newForm(r)}}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "group_form", p)
	}
	f := r.PostForm
	g, err := s.svc.CreateGroup(r.Context(), m, instance.GroupInput{Handle: f.Get("handle"), Name: f.Get("name"),
		Description: f.Get("description"), Rules: f.Get("rules")})
	if err == nil {
		return s.redirect(w, r, "/groups/"+g.Handle, "flash.group_created")
	}
	if !p.fail(err, "handle", "name", "description", "rules") {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "group_form", p)
}

func (s *Server) groupEdit(w http.ResponseWriter, r *http.Request) error {
	m := viewerFrom(r)
	if err := s.svc.MayManageGroups(m); err != nil {
		return err
	}
	g, err := s.svc.Group(r.Context(), mux.Vars(r)["handle"])
	if err != nil {
		return err
	}
	p := s.groupEditPage(r, g)
	if r.Method == http.MethodGet {
		fillProfile(p.Form.Values, g)
		return s.render(w, r, http.StatusOK, "group_form", p)
	}
	f := r.PostForm
	err = s.svc.UpdateGroup(r.Context(), m, g.Handle, instance.GroupInput{Name: f.Get("name"), Description: f.Get("description"),
		Rules: f.Get("rules"), Fields: formFields(f)})
	if err == nil {
		return s.redirect(w, r, "/groups/"+g.Handle, "flash.saved")
	}
	if !p.fail(err, profileOrder...) {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "group_form", p)
}

func (s *Server) groupJoin(w http.ResponseWriter, r *http.Request) error {
	h := mux.Vars(r)["handle"]
	if err := s.svc.JoinGroup(r.Context(), viewerFrom(r), h); err != nil {
		return err
	}
	return s.redirect(w, r, "/groups/"+h, "flash.group_joined")
}

func (s *Server) groupLeave(w http.ResponseWriter, r *http.Request) error {
	h := mux.Vars(r)["handle"]
	if err := s.svc.LeaveGroup(r.Context(), viewerFrom(r), h); err != nil {
		return err
	}
	return s.redirect(w, r, "/groups/"+h, "flash.group_left")
}

type memberPage struct {
	page
	Member *instance.Member
	Groups []*instance.Group
}

// memberShow is a member's profile, visible to other members only: a
// village noticeboard does not publish its residents to the web.
func (s *Server) memberShow(w http.ResponseWriter, r *http.Request) error {
	m, err := s.svc.MemberProfile(r.Context(), viewerFrom(r), mux.Vars(r)["handle"])
	if err != nil {
		return err
	}
	groups, err := s.svc.MemberGroups(r.Context(), m)
	if err != nil {
		return err
	}
	p := &memberPage{page: s.pageBase(r, "member.title"), Member: m, Groups: groups}
	p.Title = m.DisplayName
	return s.render(w, r, http.StatusOK, "member", p)
}

type aboutFollowingPage struct {
	page
	Example string
}

// aboutFollowing is "What's this?" for a group's address: following a
// group from Mastodon and similar sites, in plain words.
func (s *Server) aboutFollowing(w http.ResponseWriter, r *http.Request) error {
	groups, err := s.svc.Groups(r.Context())
	if err != nil {
		return err
	}
	p := &aboutFollowingPage{page: s.pageBase(r, "following_help.title"), Example: "@village@" + hostOf(s.opt.BaseURL)}
	for _, g := range groups {
		if g.Main {
			p.Example = "@" + g.Handle + "@" + hostOf(s.opt.BaseURL)
		}
	}
	return s.render(w, r, http.StatusOK, "about_following", p)
}

type coordinatePage struct {
	page
	Summary *instance.StaffSummary
}

// coordinate gathers the pages of the people who look after the site
// (applications, members, invites, moderation, the log, safeguarding,
// email), with what waits on each, so the header keeps one link for them.
func (s *Server) coordinate(w http.ResponseWriter, r *http.Request) error {
	sum, err := s.svc.StaffSummary(r.Context(), viewerFrom(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "coordinate", &coordinatePage{page: s.pageBase(r, "coordinate.title"), Summary: sum})
}
