// Command perf measures what the generated server costs on top of bare
// net/http, the way issue 17 asks: the same request, the same answer bytes,
// wrk against both, alternating.
//
// It generates a project from a preset (or takes one with -dir), builds its
// server and starts it on 127.0.0.1 with a rate limit high enough never to
// refuse and CORS on. For each path of -paths it records the exact answer
// to a GET: by default GET /api/v1/items/{id} of an item it creates (a JSON
// route served by huma through the whole middleware chain: request id,
// client IP, access log, recovery, security headers, CORS, body limit, rate
// limit, and whatever features add, such as tracing and metrics; and the
// database query), then GET /health/live (the chain without huma, the
// database or the rate limit, which exempts probes: the chain's own cost,
// as issue 17 first measured it). Then it starts a bare net/http server (this program
// again, as "perf bare") that answers every request with exactly those
// bytes: the same status, headers and body. It checks that the two answers
// are byte-identical except for the values that change per request (Date,
// X-Request-Id, RateLimit), and runs wrk against them A B A B, each run
// bounded in time. It prints requests/s and latency percentiles per run and
// the ratios of chain to bare against the targets (>= 0.85x requests/s,
// p99 <= 1.5x).
//
// Usage, from the root of the omnistack repository:
//
//	make perf                         # the api preset
//	make perf PRESET=full             # or PERF_FLAGS='-rounds 6 -duration 15s'
//	go run ./e2e/perf -preset api -rounds 4 -duration 10s -threads 2 -conns 50
//
// The server is configured by the environment, like a deployment: every
// variable of this process reaches it (OTEL_*, METRICS_*, DATABASE_URL,
// REDIS_URL, LOG_LEVEL...), so measuring another configuration of the chain
// needs no code. Only variables that are unset are filled in: PORT and
// HOST (always: a free port on 127.0.0.1), RATE_LIMIT_DEFAULT
// (1000000000/second), CORS_ALLOWED_ORIGINS (https://app.example.com, and
// wrk sends that Origin), DATABASE_URL (a SQLite file in the work
// directory), GOGC (200, as the generated Dockerfile sets it; the bare
// server gets the same). The server's log goes to a pipe that this program drains and
// counts, as a container runtime would collect it: every request it served
// must have logged a line.
//
// Why these defaults: 2 wrk threads and 50 connections keep both cores of a
// small machine busy with requests queued (so p99 means something) without
// measuring mostly the scheduler; 4 rounds of 10 s each, alternating, spread
// the machine's background noise over both servers evenly; a warm-up run
// before measuring lets each server grow its heap and connection pool.
// Load stays on 127.0.0.1 and every run is bounded by -duration.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Targets of issue 17.
const (
	minThroughputRatio = 0.85 // chain req/s >= 0.85 x bare
	maxP99Ratio        = 1.5  // chain p99 <= 1.5 x bare
)

type options struct {
	preset   string
	features string
	dir      string
	work     string
	keep     bool
	paths    string
	origin   string
	rounds   int
	duration time.Duration
	warmup   time.Duration
	threads  int
	conns    int
	check    bool
	otlp     bool
	varyBody bool
	plain    bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "bare" {
		if err := bare(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "perf bare:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.preset, "preset", "api", "preset to generate (ignored with -features or -dir)")
	flag.StringVar(&o.features, "features", "", "comma-separated features to generate instead of a preset")
	flag.StringVar(&o.dir, "dir", "", "an already generated project to measure (nothing is generated)")
	flag.StringVar(&o.work, "work", "", "work directory (default: a temporary one, removed afterwards unless -keep)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.StringVar(&o.paths, "paths", "item,/health/live", "comma-separated paths to GET, one comparison each; item: /api/v1/items/{id} of an item created first")
	flag.StringVar(&o.origin, "origin", "", "Origin header wrk sends (default: the first CORS_ALLOWED_ORIGINS entry)")
	flag.IntVar(&o.rounds, "rounds", 4, "rounds of A (chain) then B (bare)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measured wrk run")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured wrk run against each server first")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads")
	flag.IntVar(&o.conns, "conns", 50, "wrk connections")
	flag.BoolVar(&o.check, "check", false, "exit 1 when a target is missed")
	flag.BoolVar(&o.plain, "plain", false, "also run, in each round, a bare server answering the same status and body with only Content-Type: the cost of the chain including its security and CORS headers")
	flag.BoolVar(&o.varyBody, "vary-body", false, "the measured routes answer a body that changes per request but not in length (GET /api/v1/contact/form: a fresh token): compare body lengths, not bytes")
	flag.BoolVar(&o.otlp, "otlp", false, "start an OTLP/HTTP sink in this process and point OTEL_EXPORTER_OTLP_ENDPOINT at it (unless set), so sampled spans are exported for real; set OTEL_TRACES_SAMPLER(_ARG) to choose the sampling")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "perf:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) (err error) {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk not found: apt-get install -y wrk")
	}
	if o.rounds < 1 || o.duration < time.Second || o.threads < 1 || o.conns < o.threads {
		return errors.New("want -rounds >= 1, -duration >= 1s, -threads >= 1 and -conns >= -threads")
	}
	work := o.work
	if work == "" {
		if work, err = os.MkdirTemp("", "omnistack-perf-"); err != nil {
			return err
		}
		if !o.keep {
			defer os.RemoveAll(work)
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}

	dir := o.dir
	if dir == "" {
		dir = filepath.Join(work, "perfapp")
		if err := generate(o, dir); err != nil {
			return err
		}
	}
	fmt.Printf("project  %s\n", dir)
	server := filepath.Join(work, "server")
	if err := command(dir, "go", "build", "-o", server, "./cmd/server").Run(); err != nil {
		return fmt.Errorf("build the server: %w", err)
	}

	// A: the generated server.
	port, err := freePort()
	if err != nil {
		return err
	}
	set := map[string]string{ // filled in only where the environment is silent
		"APP_ENV":              "development",
		"RATE_LIMIT_DEFAULT":   "1000000000/second",
		"CORS_ALLOWED_ORIGINS": "https://app.example.com",
		"DATABASE_URL":         "file:" + filepath.Join(work, "perf.db"),
		"GOGC":                 gogc(),
	}
	var sink *otlpSink
	if o.otlp {
		if sink, err = startOTLPSink(); err != nil {
			return err
		}
		defer sink.close()
		set["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.url
	}
	env, shown := serverEnv(os.Environ(), set)
	env = append(env, "HOST=127.0.0.1", "PORT="+strconv.Itoa(port))
	if !hasVar(os.Environ(), "JWT_SECRET") { // auth-builtin in production wants one; never printed
		env = append(env, "JWT_SECRET="+randomSecret())
	}
	fmt.Printf("server   %s (HOST=127.0.0.1 PORT=%d %s)\n", server, port, strings.Join(shown, " "))
	if names := passedThrough(os.Environ()); len(names) > 0 {
		fmt.Printf("         from the environment: %s\n", strings.Join(names, " "))
	}
	chain := exec.Command(server, "serve")
	chain.Dir = work
	chain.Env = env
	logs := &lineCounter{}
	chain.Stdout = logs
	var stderr bytes.Buffer
	chain.Stderr = &stderr
	if err := chain.Start(); err != nil {
		return err
	}
	defer stop(chain)
	chainURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitReady(ctx, chainURL+"/health/ready"); err != nil {
		return fmt.Errorf("%w; server stderr:\n%s", err, stderr.String())
	}

	origin := o.origin
	if origin == "" {
		origins := lookup(env, "CORS_ALLOWED_ORIGINS")
		origin, _, _ = strings.Cut(origins, ",")
	}
	script := filepath.Join(work, "report.lua")
	if err := os.WriteFile(script, []byte(reportLua), 0o644); err != nil {
		return err
	}
	m := measurer{
		o: o, work: work, chainURL: chainURL, chainPID: chain.Process.Pid, logs: logs,
		wrk: wrkRunner{script: script, origin: origin, threads: o.threads, conns: o.conns},
	}
	fmt.Printf("wrk      -t%d -c%d, %d rounds of %v each, warm-up %v; Origin: %s\n", o.threads, o.conns, o.rounds, o.duration, o.warmup, origin)
	ok := true
	for _, path := range strings.Split(o.paths, ",") {
		if path == "item" {
			if path, err = createItem(chainURL, origin); err != nil {
				return err
			}
		}
		met, err := m.measure(ctx, path)
		if err != nil {
			return err
		}
		ok = ok && met
	}
	if !ok && o.check {
		return errors.New("targets missed")
	}
	return nil
}

// measurer runs the comparison for one path after another against the
// running generated server.
type measurer struct {
	o        options
	work     string
	chainURL string
	chainPID int
	logs     *lineCounter
	wrk      wrkRunner
}

// server is one of the servers measured in each round.
type server struct {
	name string
	url  string
	pid  int
	runs *[]result
}

// measure records the chain's answer to GET path, starts a bare server
// answering it, runs wrk A B A B and reports. It says whether the targets
// are met.
func (m measurer) measure(ctx context.Context, path string) (bool, error) {
	o, w, chainURL, origin := m.o, m.wrk, m.chainURL, m.wrk.origin
	ans, err := capture(chainURL+path, origin)
	if err != nil {
		return false, err
	}
	fmt.Printf("\n== GET %s: %d, %d header fields, %d bytes of body\n", path, ans.Status, len(ans.Header), len(ans.Body))

	// B: the bare server, answering the same bytes.
	bareCmd, bareURL, err := startBare(ctx, filepath.Join(m.work, "answer.json"), ans, path)
	if err != nil {
		return false, err
	}
	defer stop(bareCmd)
	if err := sameBytes(chainURL, bareURL, path, origin, o.varyBody); err != nil {
		return false, err
	}

	// C (with -plain): the same status and body, Content-Type alone.
	servers := []server{{"chain", chainURL, m.chainPID, nil}, {"bare", bareURL, bareCmd.Process.Pid, nil}}
	if o.plain {
		plain := &answer{Status: ans.Status, Header: http.Header{"Content-Type": ans.Header["Content-Type"]}, Body: ans.Body}
		plainCmd, plainURL, err := startBare(ctx, filepath.Join(m.work, "plain.json"), plain, path)
		if err != nil {
			return false, err
		}
		defer stop(plainCmd)
		servers = append(servers, server{"plain", plainURL, plainCmd.Process.Pid, nil})
	}

	// wrk, A B A B.
	if o.warmup > 0 {
		for _, s := range servers {
			if _, err := w.run(s.url+path, o.warmup); err != nil {
				return false, err
			}
		}
	}
	logged0 := m.logs.lines.Load()
	var chainRuns, bareRuns, plainRuns []result
	servers[0].runs, servers[1].runs = &chainRuns, &bareRuns
	if len(servers) > 2 {
		servers[2].runs = &plainRuns
	}
	var chainRequests int64
	fmt.Printf("%-5s %-6s %10s %9s %9s %9s %9s %9s %6s\n", "round", "server", "req/s", "p50", "p90", "p99", "max", "CPU/req", "load")
	for i := 1; i <= o.rounds; i++ {
		for _, s := range servers {
			cpu0 := processCPU(s.pid)
			r, err := w.run(s.url+path, o.duration)
			if err != nil {
				return false, err
			}
			r.cpu = (processCPU(s.pid) - cpu0) / float64(r.requests) * 1e6
			if s.name == "chain" {
				chainRequests += r.requests
			}
			*s.runs = append(*s.runs, r)
			fmt.Printf("%-5d %-6s %10.0f %9s %9s %9s %9s %9s %6.2f\n", i, s.name, r.rps, us(r.p50), us(r.p90), us(r.p99), us(r.max), us(r.cpu), r.load)
		}
	}

	// Every request the chain served logged one line (give the pipe a moment).
	deadline := time.Now().Add(10 * time.Second)
	for m.logs.lines.Load()-logged0 < chainRequests && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	logged := m.logs.lines.Load() - logged0
	fmt.Printf("access log: %d lines for %d requests measured\n", logged, chainRequests)

	ok := report(chainRuns, bareRuns)
	if len(plainRuns) > 0 {
		fmt.Println("against plain (Content-Type only, no security or CORS headers):")
		reportRatios("plain", chainRuns, plainRuns)
	}
	if logged < chainRequests {
		fmt.Println("MISSED: fewer log lines than requests")
		ok = false
	}
	return ok, nil
}

// startBare starts this program as "perf bare" answering ans (written to
// file) on a free port, and waits until it answers path.
func startBare(ctx context.Context, file string, ans *answer, path string) (*exec.Cmd, string, error) {
	b, _ := json.Marshal(ans)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return nil, "", err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(self, "bare", "-answer", file, "-addr", fmt.Sprintf("127.0.0.1:%d", port))
	cmd.Env = append(os.Environ(), "GOGC="+gogc()) // the same collector settings as the chain
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitReady(ctx, url+path); err != nil {
		stop(cmd)
		return nil, "", err
	}
	return cmd, url, nil
}

// gogc is the GOGC both servers run with: the environment's, else the
// generated Dockerfile's (200), so the chain is measured as deployed and
// the bare server under the same collector settings.
func gogc() string {
	if v := os.Getenv("GOGC"); v != "" {
		return v
	}
	return "200"
}

// generate writes the project with this repository's omnistack.
func generate(o options, dir string) error {
	args := []string{"run", "./cmd/omnistack", "new", "perfapp", "-o", dir, "--yes", "--no-git"}
	if o.features != "" {
		args = append(args, "--features", o.features)
	} else {
		args = append(args, "--preset", o.preset)
	}
	if _, err := os.Stat("cmd/omnistack"); err != nil {
		return errors.New("run from the root of the omnistack repository (or pass -dir)")
	}
	cmd := command("", "go", args...)
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	return nil
}

func command(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd
}

// serverEnv is env with the variables of set added where env lacks them.
// HOST and PORT are always replaced. shown lists what was added.
func serverEnv(env []string, set map[string]string) (out, shown []string) {
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != "HOST" && k != "PORT" {
			out = append(out, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		if !hasVar(env, k) {
			out = append(out, k+"="+set[k])
			shown = append(shown, k+"="+set[k])
		}
	}
	return out, shown
}

func hasVar(env []string, key string) bool {
	return slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
}

func lookup(env []string, key string) string {
	for _, kv := range slices.Backward(env) {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// configPrefixes name the variables that configure a generated service,
// listed (by name only: values may be secrets) when they come from the
// environment.
var configPrefixes = []string{"APP_", "OTEL_", "METRICS_", "RATE_LIMIT_", "CORS_", "DATABASE_", "REDIS_", "LOG_", "HSTS", "MAX_BODY", "TRUSTED_", "HTTP_", "JWT_", "GOMAXPROCS", "GOGC", "GOMEMLIMIT"}

func passedThrough(env []string) []string {
	var names []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		for _, p := range configPrefixes {
			if strings.HasPrefix(k, p) {
				names = append(names, k)
				break
			}
		}
	}
	slices.Sort(names)
	return names
}

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls url until it answers 200, for at most a minute.
func waitReady(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready within a minute (last: %v)", url, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop ends a process this program started: SIGTERM, then SIGKILL after 20 s.
func stop(cmd *exec.Cmd) {
	if cmd.Process == nil || cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// createItem creates the item whose GET is measured and returns its path.
func createItem(base, origin string) (string, error) {
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/items", strings.NewReader(`{"name":"Notebook","description":"A5, dotted"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST /api/v1/items: %d %s (pass -paths without item for a project without items)", resp.StatusCode, body)
	}
	var it struct{ ID int64 }
	if err := json.Unmarshal(body, &it); err != nil || it.ID == 0 {
		return "", fmt.Errorf("POST /api/v1/items: no id in %s", body)
	}
	return "/api/v1/items/" + strconv.FormatInt(it.ID, 10), nil
}

// answer is what the bare server sends: the chain's answer to the request.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// capture records the chain's answer to a GET of url. Date and
// Content-Length are left out: net/http sets them on both servers.
func capture(url, origin string) (*answer, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return nil, fmt.Errorf("GET %s: %d %s %s; want a 200 JSON answer", url, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") == "" {
		return nil, fmt.Errorf("GET %s: no Access-Control-Allow-Origin for %s: CORS is not on the measured path", url, origin)
	}
	h := resp.Header.Clone()
	h.Del("Date")
	h.Del("Content-Length") // net/http computes it, and writes it after Date, for both

	return &answer{Status: resp.StatusCode, Header: h, Body: body}, nil
}

// perRequest are the header fields whose values change from one request to
// the next; sameBytes compares their lengths only.
var perRequest = regexp.MustCompile(`(?mi)^(Date|X-Request-Id|Ratelimit): (.*)\r$`)

// sameBytes checks that both servers answer byte for byte the same, apart
// from the values of perRequest fields, which must have the same length.
func sameBytes(chainURL, bareURL, path, origin string, varyBody bool) error {
	a, err := rawGet(chainURL, path, origin)
	if err != nil {
		return err
	}
	b, err := rawGet(bareURL, path, origin)
	if err != nil {
		return err
	}
	mask := func(s []byte) []byte {
		return perRequest.ReplaceAllFunc(s, func(m []byte) []byte {
			k, v, _ := bytes.Cut(m, []byte(": "))
			out := append(append(slices.Clip(k), ": "...), bytes.Repeat([]byte("*"), len(v)-1)...)
			out = append(out, '\r')
			return out
		})
	}
	if varyBody { // the body's bytes too, keeping its length
		inner := mask
		mask = func(s []byte) []byte {
			head, body, _ := bytes.Cut(inner(s), []byte("\r\n\r\n"))
			return append(append(head, "\r\n\r\n"...), bytes.Repeat([]byte("*"), len(body))...)
		}
	}
	if ma, mb := mask(a), mask(b); !bytes.Equal(ma, mb) {
		return fmt.Errorf("the bare answer differs from the chain's:\nchain:\n%s\nbare:\n%s", ma, mb)
	}
	fmt.Printf("answer   %d bytes on the wire, the same from both (values of Date, X-Request-Id, RateLimit vary per request)\n", len(a))
	return nil
}

// rawGet returns the bytes of the answer to one GET over a fresh
// connection.
func rawGet(base, path, origin string) ([]byte, error) {
	host := strings.TrimPrefix(base, "http://")
	c, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nConnection: close\r\n\r\n", path, host, origin); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(bufio.NewReader(c))
	if err != nil {
		return nil, err
	}
	// Connection: close makes both servers add that field; drop it.
	return bytes.Replace(b, []byte("Connection: close\r\n"), nil, 1), nil
}

// lineCounter counts the lines written to it: the server's log.
type lineCounter struct{ lines atomic.Int64 }

func (l *lineCounter) Write(b []byte) (int, error) {
	l.lines.Add(int64(bytes.Count(b, []byte{'\n'})))
	return len(b), nil
}

// reportLua makes wrk print one machine-readable line with exact
// percentiles (in microseconds) instead of its rounded text.
const reportLua = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("PERF requests=%d duration_us=%d errors=%d non2xx=%d p50=%d p90=%d p99=%d max=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`

type wrkRunner struct {
	script, origin string
	threads, conns int
}

type result struct {
	requests            int64
	rps                 float64
	p50, p90, p99, max  float64 // µs
	load                float64 // 1-minute load average at the end of the run
	cpu                 float64 // µs of CPU (user + system) the server spent per request
	errors, non2xxOr3xx int64
}

var perfLine = regexp.MustCompile(`PERF requests=(\d+) duration_us=(\d+) errors=(\d+) non2xx=(\d+) p50=(\d+) p90=(\d+) p99=(\d+) max=(\d+)`)

func (w wrkRunner) run(url string, d time.Duration) (result, error) {
	secs := strconv.Itoa(int(d.Round(time.Second) / time.Second))
	out, err := exec.Command("wrk", "-t"+strconv.Itoa(w.threads), "-c"+strconv.Itoa(w.conns), "-d"+secs+"s",
		"--timeout", "10s", "-H", "Origin: "+w.origin, "-s", w.script, url).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk %s: %w\n%s", url, err, out)
	}
	m := perfLine.FindSubmatch(out)
	if m == nil {
		return result{}, fmt.Errorf("wrk %s: no report in\n%s", url, out)
	}
	n := make([]float64, len(m)-1)
	for i := range n {
		n[i], _ = strconv.ParseFloat(string(m[i+1]), 64)
	}
	r := result{
		requests: int64(n[0]), rps: n[0] / (n[1] / 1e6), errors: int64(n[2]), non2xxOr3xx: int64(n[3]),
		p50: n[4], p90: n[5], p99: n[6], max: n[7], load: loadAverage(),
	}
	if r.errors > 0 || r.non2xxOr3xx > 0 {
		return r, fmt.Errorf("wrk %s: %d socket errors, %d answers not 2xx/3xx (rate limited?)", url, r.errors, r.non2xxOr3xx)
	}
	return r, nil
}

// processCPU returns the CPU time (user + system, in seconds) process pid
// has used, from /proc/<pid>/stat (in USER_HZ ticks, 100 a second on Linux).
func processCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
}

func loadAverage() float64 {
	b, _ := os.ReadFile("/proc/loadavg")
	f, _ := strconv.ParseFloat(strings.Fields(string(b) + " 0")[0], 64)
	return f
}

func us(v float64) string {
	if v >= 1000 {
		return strconv.FormatFloat(v/1000, 'f', 2, 64) + "ms"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + "µs"
}

// report prints the ranges and the ratios and says whether the targets are
// met: by the medians, with the range of the per-round ratios beside them.
func report(chain, bare []result) bool {
	get := values
	rps := func(r result) float64 { return r.rps }
	p99 := func(r result) float64 { return r.p99 }
	load := func(r result) float64 { return r.load }
	ratios := func(f func(result) float64) []float64 {
		out := make([]float64, len(chain))
		for i := range chain {
			out[i] = f(chain[i]) / f(bare[i])
		}
		return out
	}
	fmt.Printf("chain  req/s %s, p99 %s\n", spanOf(get(chain, rps), "%.0f"), spanOf(get(chain, p99), "%.0fµs"))
	fmt.Printf("bare   req/s %s, p99 %s\n", spanOf(get(bare, rps), "%.0f"), spanOf(get(bare, p99), "%.0fµs"))
	fmt.Printf("load average (1 min) during the runs: %s\n", spanOf(append(get(chain, load), get(bare, load)...), "%.2f"))
	tr := median(get(chain, rps)) / median(get(bare, rps))
	lr := median(get(chain, p99)) / median(get(bare, p99))
	okT, okL := tr >= minThroughputRatio, lr <= maxP99Ratio
	fmt.Printf("chain/bare req/s: %.3f of the medians (per round %s), target >= %.2f: %s\n", tr, spanOf(ratios(rps), "%.3f"), minThroughputRatio, verdict(okT))
	fmt.Printf("chain/bare p99:   %.3f of the medians (per round %s), target <= %.2f: %s\n", lr, spanOf(ratios(p99), "%.3f"), maxP99Ratio, verdict(okL))
	// On a machine other work loads, wrk's figures move with that load;
	// the CPU each server spends per request does not, much. bare/chain CPU
	// is the throughput ratio the servers would reach on cores of their own
	// (wrk's own CPU aside).
	cpu := func(r result) float64 { return r.cpu }
	fmt.Printf("CPU per request: chain %s, bare %s; bare/chain %.3f of the medians (per round %s)\n",
		spanOf(get(chain, cpu), "%.1fµs"), spanOf(get(bare, cpu), "%.1fµs"), median(get(bare, cpu))/median(get(chain, cpu)), spanOf(inverse(ratios(cpu)), "%.3f"))
	return okT && okL
}

// values is f of each result.
func values(rs []result, f func(result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// reportRatios prints the chain's req/s, p99 and CPU per request against
// another server's, without targets.
func reportRatios(name string, chain, other []result) {
	get := values
	rps := func(r result) float64 { return r.rps }
	p99 := func(r result) float64 { return r.p99 }
	cpu := func(r result) float64 { return r.cpu }
	fmt.Printf("%-6s req/s %s, p99 %s\n", name, spanOf(get(other, rps), "%.0f"), spanOf(get(other, p99), "%.0fµs"))
	fmt.Printf("chain/%s req/s: %.3f of the medians; p99: %.3f; %s/chain CPU per request: %.3f\n", name,
		median(get(chain, rps))/median(get(other, rps)), median(get(chain, p99))/median(get(other, p99)),
		name, median(get(other, cpu))/median(get(chain, cpu)))
}

func inverse(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = 1 / x
	}
	return out
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// spanOf formats values as "min–max (median m)".
func spanOf(v []float64, format string) string {
	s := slices.Clone(v)
	slices.Sort(s)
	return fmt.Sprintf(format+"–"+format+" (median "+format+")", s[0], s[len(s)-1], median(v))
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// bare serves the recorded answer to every request: the bare net/http
// server of the comparison. It sets the same header fields the same way
// the cheapest handler can (sharing the recorded values), so the
// difference measured is the generated server's own work.
func bare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	file := fs.String("answer", "", "JSON file with the answer to send")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dst := w.Header()
		for k, v := range a.Header {
			dst[k] = v
		}
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// The generated server's defaults (SECURITY.md §6): deadlines cost a
	// little per request, and a bare server should be hardened too.
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    1 << 20,
	}
	return srv.Serve(ln)
}

// otlpSink accepts OTLP/HTTP trace exports (POST /v1/traces, protobuf) and
// answers each with an empty ExportTraceServiceResponse, which is zero
// bytes of protobuf: a collector that costs the server what a real one
// would (the export itself), counting what it received.
type otlpSink struct {
	url            string
	srv            *http.Server
	exports, bytes atomic.Int64
}

func startOTLPSink() (*otlpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &otlpSink{url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
			http.NotFound(w, r)
			return
		}
		n, _ := io.Copy(io.Discard, r.Body)
		s.exports.Add(1)
		s.bytes.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = s.srv.Serve(ln) }()
	fmt.Printf("otlp     sink at %s\n", s.url)
	return s, nil
}

func (s *otlpSink) close() {
	_ = s.srv.Close()
	fmt.Printf("otlp     %d exports, %d bytes of spans received\n", s.exports.Load(), s.bytes.Load())
}
