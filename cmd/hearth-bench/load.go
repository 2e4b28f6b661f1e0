package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// result is one throughput or latency measurement.
type result struct {
	requests int
	errors   int
	elapsed  time.Duration
	lat      []time.Duration
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	i := int(float64(len(r.lat)-1) * p)
	return r.lat[i]
}

func newClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost: conns, IdleConnTimeout: 30 * time.Second}}
}

// hammer runs req on conc workers for d (bounded by time) and measures.
func hammer(conc int, d time.Duration, req func(c *http.Client, i int64) (*http.Request, error)) result {
	deadline := time.Now().Add(d)
	var n atomic.Int64
	return hammerN(conc, func(c *http.Client) (*http.Request, error) {
		if time.Now().After(deadline) {
			return nil, errDone
		}
		return req(c, n.Add(1))
	})
}

// sequential makes n requests one after another and measures latency.
func sequential(n int, req func(c *http.Client, i int64) (*http.Request, error)) result {
	c := newClient(1)
	r := result{}
	start := time.Now()
	for i := 0; i < n; i++ {
		rq, err := req(c, int64(i))
		if err != nil {
			r.errors++
			continue
		}
		t0 := time.Now()
		resp, err := c.Do(rq)
		if err != nil {
			r.errors++
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			r.errors++
		}
		r.lat = append(r.lat, time.Since(t0))
	}
	r.requests, r.elapsed = len(r.lat), time.Since(start)
	return r
}

func get(url string) func(*http.Client, int64) (*http.Request, error) {
	return func(*http.Client, int64) (*http.Request, error) {
		r, err := http.NewRequest(http.MethodGet, url, nil)
		if err == nil {
			r.Header.Set("Accept", "application/activity+json")
		}
		return r, err
	}
}

// serveBare is the reference: the least a Go HTTP server can do, run as
// its own process like hearth.
func serveBare(addr string) {
	body := []byte(`{"subject":"acct:village@127.0.0.1","links":[{"rel":"self","type":"application/activity+json","href":"http://127.0.0.1/groups/village"}]}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			io.Copy(io.Discard, r.Body) // the POST reference reads the body and answers 202
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(os.Stderr, srv.ListenAndServe())
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitHealthy(ctx context.Context, url string, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for time.Since(start) < limit {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Since(start), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("%s did not answer within %s", url, limit)
}

// memory reads a process's resident set (VmRSS) and its peak (VmHWM), in MiB.
func memory(pid int) (rss, peak float64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return rss, peak
}

var errDone = fmt.Errorf("done")

// hammerN sends requests on conc workers until next reports errDone (a
// bounded count) and measures.
func hammerN(conc int, next func(c *http.Client) (*http.Request, error)) result {
	c := newClient(conc)
	var errs atomic.Int64
	var mu sync.Mutex
	var lats []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for {
				rq, err := next(c)
				if err == errDone {
					break
				}
				if err != nil {
					errs.Add(1)
					continue
				}
				t0 := time.Now()
				resp, err := c.Do(rq)
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 400 {
					errs.Add(1)
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return result{requests: len(lats), errors: int(errs.Load()), elapsed: time.Since(start), lat: lats}
}
