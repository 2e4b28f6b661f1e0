package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"hearth/instance"
)

// BenchmarkConcurrentSignIns sends 100 sign-ins at once, each a wrong
// password for a different account from a different address (so no
// throttle stops them before Argon2), and reports the process's peak
// resident memory while they run and how the requests were answered.
// Memory is what it measures; the time per operation is incidental.
//
//	go test -run xxx -bench ConcurrentSignIns -benchtime 1x ./web
func BenchmarkConcurrentSignIns(b *testing.B) {
	h := newHarness(&testing.T{}, instance.RegistrationOpen)
	const n = 100
	for i := 0; i < b.N; i++ {
		resetPeakRSS(b)
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for j := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				form := url.Values{"login": {fmt.Sprintf("nobody%d-%d", i, j)}, "password": {"a wrong password"}}
				req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				req.RemoteAddr = fmt.Sprintf("198.51.%d.%d:1234", j/250, j%250)
				rec := httptest.NewRecorder()
				h.h.ServeHTTP(rec, req)
				statuses[j] = rec.Code
			}()
		}
		wg.Wait()
		b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MiB")
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		b.ReportMetric(float64(count[http.StatusUnauthorized]), "checked")
		b.ReportMetric(float64(count[http.StatusServiceUnavailable]), "busy")
		b.ReportMetric(float64(n-count[http.StatusUnauthorized]-count[http.StatusServiceUnavailable]), "other")
	}
}

// resetPeakRSS sets the kernel's high-water mark of resident memory back to
// the current figure (Linux ≥ 4.0), so peakRSS measures what follows.
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS here: %v", err)
	}
}

// peakRSS is VmHWM from /proc/self/status, in bytes.
func peakRSS(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(string(rest)), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}
