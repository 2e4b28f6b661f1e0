package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// profiler takes CPU and allocation profiles of the hearth under test
// through its metrics_profiling endpoint, one of each per burst, into dir.
type profiler struct {
	dir, addr string
}

func newProfiler(dir string) (*profiler, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return &profiler{dir: dir, addr: fmt.Sprintf("127.0.0.1:%d", port)}, nil
}

// config is the top-level configuration that turns the profiles on.
func (p *profiler) config() string {
	return fmt.Sprintf("metrics_listen = %q\nmetrics_profiling = true\n", p.addr)
}

// ingestFor estimates how long a burst of n requests lasts at about a
// third of rate: the profile should cover most of it, not the idle after.
func ingestFor(n int, rate float64) time.Duration {
	if rate <= 0 {
		return time.Second
	}
	d := time.Duration(float64(n) / (rate / 3) * float64(time.Second) * 0.8)
	return max(time.Second, min(d, 20*time.Second))
}

// start begins a CPU profile and an allocation profile of about d named
// name; the function it returns waits for them and writes them (nil
// profiler: nothing).
func (p *profiler) start(name string, d time.Duration) func() {
	if p == nil {
		return func() {}
	}
	secs := strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second)))
	var wg sync.WaitGroup
	for kind, file := range map[string]string{"profile": name + ".pprof", "allocs": name + ".allocs.pprof"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.fetch("/debug/pprof/"+kind+"?seconds="+secs, filepath.Join(p.dir, file)); err != nil {
				fmt.Fprintf(os.Stderr, "profile %s of %s: %v\n", kind, name, err)
				return
			}
			fmt.Fprintf(os.Stderr, "  %s of %s (%s s): %s\n", kind, name, secs, filepath.Join(p.dir, file))
		}()
	}
	return wg.Wait
}

// fetch writes what the node serves at path to the file out.
func (p *profiler) fetch(path, out string) error {
	resp, err := http.Get("http://" + p.addr + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// machineIdle starts counting the machine's idle CPU time (/proc/stat);
// the function it returns gives the idle share since then (0 if unknown).
func machineIdle() func() float64 {
	read := func() (idle, total float64) {
		b, err := os.ReadFile("/proc/stat")
		if err != nil {
			return 0, 0
		}
		line, _, _ := strings.Cut(string(b), "\n")
		for i, f := range strings.Fields(line)[1:] {
			v, _ := strconv.ParseFloat(f, 64)
			total += v
			if i == 3 || i == 4 { // idle, iowait
				idle += v
			}
		}
		return idle, total
	}
	i0, t0 := read()
	return func() float64 {
		i1, t1 := read()
		if t1 <= t0 {
			return 0
		}
		return (i1 - i0) / (t1 - t0)
	}
}
