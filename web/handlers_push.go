package web

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// scriptPolicy is the Content-Security-Policy of the one page that runs a
// script (the notifications page, for "Turn on notifications on this
// device"): our own files only, no inline script, requests only to
// ourselves, and our own service worker.
const scriptPolicy = contentSecurityPolicy + "; script-src 'self'; connect-src 'self'; worker-src 'self'"

// themeColour is the accent of style.css (--accent), for the manifest and
// the browser's toolbar.
const themeColour = "#0b5394"

// registerPush adds Web Push and the web app manifest: the service worker
// and the manifest (public: a phone fetches them without a session), the
// icons, and turning a device on and off.
func (s *Server) registerPush(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	r.Handle("/sw.js", h(s.serviceWorker)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/manifest.webmanifest", h(s.manifest)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/icons/{size:192|512}.png", h(s.icon)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/push/subscribe", h(s.pushSubscribe)).Methods(http.MethodPost)
	r.Handle("/push/unsubscribe", h(s.pushUnsubscribe)).Methods(http.MethodPost)
	r.Handle("/settings/devices/{id:[0-9]+}/remove", h(s.removeDevice)).Methods(http.MethodPost)
}

// serviceWorker serves the service worker from the root, so its scope is
// the whole site. It is fetched again by the browser on every check, so it
// is not cached for long.
func (s *Server) serviceWorker(w http.ResponseWriter, r *http.Request) error {
	body, err := assets.ReadFile("static/sw.js")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Service-Worker-Allowed", "/")
	w.Header().Set("Cache-Control", "no-cache")
	_, err = w.Write(body)
	return err
}

type manifestIcon struct {
	Src     string `json:"src"`
	Sizes   string `json:"sizes"`
	Type    string `json:"type"`
	Purpose string `json:"purpose,omitempty"`
}

// manifest is the web app manifest, so the site can be added to a phone's
// home screen and opens like an app.
func (s *Server) manifest(w http.ResponseWriter, r *http.Request) error {
	short := s.opt.SiteName
	if r := []rune(short); len(r) > 12 {
		short = strings.TrimSpace(string(r[:12]))
	}
	body, err := json.Marshal(map[string]any{
		"name": s.opt.SiteName, "short_name": short, "lang": s.opt.Language, "start_url": "/", "scope": "/",
		"display": "standalone", "background_color": "#ffffff", "theme_color": themeColour,
		"icons": []manifestIcon{{Src: "/icons/192.png", Sizes: "192x192", Type: "image/png"},
			{Src: "/icons/512.png", Sizes: "512x512", Type: "image/png", Purpose: "any maskable"}},
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/manifest+json")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, err = w.Write(body)
	return err
}

func (s *Server) icon(w http.ResponseWriter, r *http.Request) error {
	size, _ := strconv.Atoi(mux.Vars(r)["size"])
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=604800")
	_, err := w.Write(s.icons[size])
	return err
}

// makeIcons draws the home-screen icon at each size: a white house on the
// accent colour, with room around it for the masks phones apply.
func makeIcons(sizes ...int) (map[int][]byte, error) {
	accent := color.RGBA{0x0b, 0x53, 0x94, 0xff}
	out := map[int][]byte{}
	for _, n := range sizes {
		img := image.NewRGBA(image.Rect(0, 0, n, n))
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				c := accent
				fx, fy := float64(x)/float64(n), float64(y)/float64(n)
				// The roof: a triangle from (0.2, 0.5) to (0.8, 0.5), apex (0.5, 0.22).
				roof := fy >= 0.22 && fy <= 0.5 && fx >= 0.5-(fy-0.22)*(0.3/0.28) && fx <= 0.5+(fy-0.22)*(0.3/0.28)
				walls := fx >= 0.28 && fx <= 0.72 && fy >= 0.5 && fy <= 0.78
				door := fx >= 0.44 && fx <= 0.56 && fy >= 0.6 && fy <= 0.78
				if (roof || walls) && !door {
					c = color.RGBA{0xff, 0xff, 0xff, 0xff}
				}
				img.SetRGBA(x, y, c)
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return nil, err
		}
		out[n] = buf.Bytes()
	}
	return out, nil
}

// pushSubscribe stores the subscription the page's script made ("Turn on
// notifications on this device"). It answers 204; the script says so.
func (s *Server) pushSubscribe(w http.ResponseWriter, r *http.Request) error {
	in := instance.PushSubscriptionInput{Endpoint: r.PostForm.Get("endpoint"), P256dh: r.PostForm.Get("p256dh"),
		Auth: r.PostForm.Get("auth"), Device: deviceName(r.UserAgent())}
	if err := s.svc.SubscribePush(r.Context(), viewerFrom(r), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pushUnsubscribe is "Turn off on this device".
func (s *Server) pushUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.UnsubscribePush(r.Context(), viewerFrom(r), r.PostForm.Get("endpoint")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// removeDevice is the settings page's "Remove" beside a device (no
// script needed).
func (s *Server) removeDevice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.RemovePushDevice(r.Context(), viewerFrom(r), id); err != nil {
		return err
	}
	return s.redirect(w, r, "/settings/notifications#devices", "flash.device_removed")
}

// deviceName makes a short label from a browser's User-Agent, for the
// member's list of devices ("Firefox on Android").
func deviceName(ua string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"}, {"Safari/", "Safari"}} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"},
		{"Windows", "Windows"}, {"Mac OS X", "Mac"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " · " + system
	case browser != "":
		return browser
	}
	return system
}
