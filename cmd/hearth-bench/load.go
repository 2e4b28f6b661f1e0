package main

import (
	"bufio"
	"context"
	"crypto/rsa"
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
	size     int64 // bytes in the last answer's body (sequential)
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
// With addrs, the connections are spread over those addresses (several
// nodes of one instance), each request keeping its URL's Host.
func hammer(conc int, d time.Duration, req func() (*http.Request, error), addrs ...string) result {
	deadline := time.Now().Add(d)
	return hammerN(conc, func() (*http.Request, error) {
		if time.Now().After(deadline) {
			return nil, errDone
		}
		return req()
	}, addrs...)
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
		r.size, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			r.errors++
		}
		r.lat = append(r.lat, time.Since(t0))
	}
	r.requests, r.elapsed = len(r.lat), time.Since(start)
	return r
}

func get(url string) func() (*http.Request, error) {
	return func() (*http.Request, error) {
		r, err := http.NewRequest(http.MethodGet, url, nil)
		if err == nil {
			r.Header.Set("Accept", "application/activity+json")
		}
		return r, err
	}
}

// bareHandler answers GETs with a small JSON document and POSTs with 202
// after reading them; a POST to /verify must also carry a valid Digest and
// signature by key, or it gets 401.
func bareHandler(key *rsa.PublicKey) http.Handler {
	body := []byte(`{"subject":"acct:village@127.0.0.1","links":[{"rel":"self","type":"application/activity+json","href":"http://127.0.0.1/groups/village"}]}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			b, err := io.ReadAll(r.Body)
			if err == nil && r.URL.Path == "/verify" {
				if key == nil {
					err = fmt.Errorf("no key")
				} else {
					err = verify(r, b, key)
				}
			}
			if err != nil {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
}

// serveBare is the reference: the least a Go HTTP server can do, run as
// its own process like hearth. A POST to /verify also checks the Digest
// and the draft-cavage signature with keyFile's public key: the least an
// inbox that verifies each activity once can do.
func serveBare(addr, keyFile string) {
	var key *rsa.PublicKey
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if key, err = parsePublicKey(b); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	h := bareHandler(key)
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

// hammerN sends requests on conc keep-alive connections until next
// reports errDone (a bounded count) and measures.
//
// Each worker writes its request to its own connection and reads the
// answer with http.ReadResponse, like wrk or hey: net/http's Transport
// (a read and a write goroutine per connection, a pool, channels) costs
// about as much CPU per request as the server it measures, and here the
// load generator shares the cores with the server.
func hammerN(conc int, next func() (*http.Request, error), addrs ...string) result {
	var errs atomic.Int64
	var mu sync.Mutex
	var lats []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var c rawConn
			if len(addrs) > 0 {
				c.addr = addrs[w%len(addrs)]
			}
			defer c.close()
			var local []time.Duration
			for {
				rq, err := next()
				if err == errDone {
					break
				}
				if err != nil {
					errs.Add(1)
					continue
				}
				t0 := time.Now()
				status, err := c.do(rq)
				if err != nil || status >= 400 {
					errs.Add(1)
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	return result{requests: len(lats), errors: int(errs.Load()), elapsed: time.Since(start), lat: lats}
}

// rawConn is one HTTP/1.1 keep-alive connection, dialled on first use and
// again after the server closes it.
type rawConn struct {
	addr string // dial this instead of the request's host, if set
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
}

func (c *rawConn) do(req *http.Request) (int, error) {
	if c.conn == nil {
		addr := c.addr
		if addr == "" {
			addr = req.URL.Host
		}
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		c.conn, c.br, c.bw = conn, bufio.NewReader(conn), bufio.NewWriter(conn)
	}
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := req.Write(c.bw); err != nil {
		c.close()
		return 0, err
	}
	if err := c.bw.Flush(); err != nil {
		c.close()
		return 0, err
	}
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		c.close()
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		c.close()
	}
	return resp.StatusCode, err
}

func (c *rawConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// cpuTime reads a process's user+system CPU time from /proc/PID/stat
// (pid 0: this process). Clock ticks are 100 per second on Linux.
func cpuTime(pid int) time.Duration {
	p := "self"
	if pid != 0 {
		p = strconv.Itoa(pid)
	}
	b, err := os.ReadFile("/proc/" + p + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
