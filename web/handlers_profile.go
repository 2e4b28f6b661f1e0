package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// A group's profile on its edit page: the fields (with the name,
// description and rules), and the images form, which is the one
// multipart form: it posts to /groups/{handle}/images, the only route
// whose body may be larger than maxFormBytes (uploadRoute).

// profileOrder is the order of the edit page's fields, for the error
// summary.
var profileOrder = []string{"name", "description", "rules",
	"field_name_1", "field_value_1", "field_name_2", "field_value_2", "field_name_3", "field_value_3", "field_name_4", "field_value_4",
	"avatar", "avatar_alt", "header", "header_alt"}

func (s *Server) groupEditPage(r *http.Request, g *instance.Group) *groupFormPage {
	return &groupFormPage{formPage: formPage{page: s.pageBase(r, "groupform.edit_title", g.Name), Form: newForm(r)}, Editing: true,
		Handle: g.Handle, Group: g}
}

// fillProfile puts a group's saved text, fields and alt texts into the
// form (the alt texts only when the form did not bring its own).
func fillProfile(v url.Values, g *instance.Group) {
	for name, img := range map[string]*instance.GroupImage{"avatar_alt": g.Avatar, "header_alt": g.Header} {
		if _, posted := v[name]; !posted && img != nil {
			v.Set(name, img.Alt)
		}
	}
	v.Set("name", g.Name)
	v.Set("description", g.Description)
	v.Set("rules", g.Rules)
	for i, f := range g.Fields {
		v.Set(fmt.Sprintf("field_name_%d", i+1), f.Name)
		v.Set(fmt.Sprintf("field_value_%d", i+1), f.Value)
	}
}

// formFields reads the profile field lines of the form.
func formFields(f url.Values) []instance.ProfileField {
	var out []instance.ProfileField
	for i := 1; i <= instance.MaxGroupFields; i++ {
		out = append(out, instance.ProfileField{Name: f.Get(fmt.Sprintf("field_name_%d", i)), Value: f.Get(fmt.Sprintf("field_value_%d", i))})
	}
	return out
}

// FieldRows numbers the profile field lines for the template.
func (p *groupFormPage) FieldRows() []int {
	out := make([]int, instance.MaxGroupFields)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// ProfileField builds one input of profile field line n: its label
// ("name") or its text ("value").
func (p *groupFormPage) ProfileField(kind string, n int) field {
	f := p.Field(fmt.Sprintf("field_%s_%d", kind, n), "text", "field.profile_"+kind).Opt()
	f.Label = p.T("field.profile_"+kind+"_n", n)
	return f
}

// ImageField builds the file input of the avatar or the header.
func (p *groupFormPage) ImageField(name string) field {
	f := p.Field(name, "file", "field."+name, "field."+name+"_hint").Opt()
	f.Accept = "image/png,image/jpeg,image/gif,image/webp"
	return f
}

// AltField builds the alt text of the avatar or the header: required
// while there is a picture, optional (until one is chosen, as its hint
// says) when there is none.
func (p *groupFormPage) AltField(name string) field {
	f := p.Field(name+"_alt", "textarea", "field."+name+"_alt", "field.alt_hint")
	if p.Group != nil && (name == "avatar" && p.Group.Avatar == nil || name == "header" && p.Group.Header == nil) {
		f = f.Opt()
	}
	f.Rows = 2
	return f
}

// groupImages saves the images form. An upload that is not an image, too
// big, or has no alt text comes back with the message beside its field,
// and nothing is changed.
func (s *Server) groupImages(w http.ResponseWriter, r *http.Request) error {
	m := viewerFrom(r)
	if err := s.svc.MayManageGroups(m); err != nil {
		return err
	}
	g, err := s.svc.Group(r.Context(), mux.Vars(r)["handle"])
	if err != nil {
		return err
	}
	p := s.groupEditPage(r, g)
	// Everything stays in memory (maxUploadBytes is the cap), so no
	// temporary file is left behind.
	if err := r.ParseMultipartForm(maxUploadBytes); err != nil {
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			return &instance.Problem{Kind: instance.ErrInvalid, Code: "error.bad_request"}
		}
		tooBig := []any{instance.MaxImageBytes >> 20}
		err = instance.ValidationErrors{{Field: "avatar", Code: "err.images_too_large", Args: tooBig},
			{Field: "header", Code: "err.images_too_large", Args: tooBig}}
		return s.imagesFailed(w, r, p, g, err)
	}
	in := instance.GroupImagesInput{AvatarAlt: r.PostForm.Get("avatar_alt"), HeaderAlt: r.PostForm.Get("header_alt"),
		RemoveAvatar: r.PostForm.Get("remove_avatar") != "", RemoveHeader: r.PostForm.Get("remove_header") != ""}
	if in.Avatar, err = upload(r, "avatar"); err != nil {
		return err
	}
	if in.Header, err = upload(r, "header"); err != nil {
		return err
	}
	err = s.svc.UpdateGroupImages(r.Context(), m, g.Handle, in)
	if err == nil {
		return s.redirect(w, r, "/groups/"+g.Handle, "flash.images_saved")
	}
	return s.imagesFailed(w, r, p, g, err)
}

// imagesFailed shows the edit page again with the images form's
// problems; the profile form shows what is saved.
func (s *Server) imagesFailed(w http.ResponseWriter, r *http.Request, p *groupFormPage, g *instance.Group, err error) error {
	if !p.fail(err, profileOrder...) {
		return err
	}
	fillProfile(p.Form.Values, g)
	return s.render(w, r, http.StatusUnprocessableEntity, "group_form", p)
}

// upload reads one file of the form (nil when none was chosen), at most
// one byte more than an image may have, so that the domain can say it is
// too large.
func upload(r *http.Request, name string) ([]byte, error) {
	f, _, err := r.FormFile(name)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("web: upload %s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, instance.MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("web: upload %s: %w", name, err)
	}
	return data, nil
}

// media serves a group's image. Its URL names its content hash, so it
// never changes: caches may keep it for a year without asking again.
func (s *Server) media(w http.ResponseWriter, r *http.Request) error {
	v := mux.Vars(r)
	m, err := s.svc.Media(r.Context(), v["hash"])
	if err != nil {
		return err
	}
	if want := map[string]string{"png": "image/png", "jpg": "image/jpeg"}[v["ext"]]; want != m.ContentType {
		return instance.ErrNotFound
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+m.Hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+m.Hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", m.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(m.Data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(m.Data) // the client may have gone
	}
	return nil
}

// LinkText is how a web address is shown: without its scheme or a
// trailing slash.
func (p *page) LinkText(u string) string {
	for _, s := range []string{"https://", "http://"} {
		u = strings.TrimPrefix(u, s)
	}
	return strings.TrimSuffix(u, "/")
}
