package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/platform/sandbox/server"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/sim"
	"github.com/outreach-scheduler/outreach/wire"
)

// secret is the webhook secret of every process (Standard Webhooks, the
// default signing: whsec_ and base64).
const secret = "whsec_ZTJlLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a child process of the outreach binary.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
}

func start(t *testing.T, bin, dir, name string, args ...string) *proc {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "OUTREACH_WEBHOOK_SECRET="+secret)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{name: name, cmd: cmd, log: f}
	t.Cleanup(func() { p.kill(); f.Close() })
	return p
}

func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// stop sends SIGTERM and waits (graceful shutdown).
func (p *proc) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Errorf("%s did not stop within 30s of SIGTERM", p.name)
		p.kill()
	}
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer within 20s", url)
}

// TestDaemonsKeepThePromises: one sandbox server, two schedulers, four
// workers, three accounts, a few hundred prospects in two campaigns that
// share people, demo-sized gaps. A worker is SIGKILLed and Redis (with AOF)
// restarted mid-run. The sandbox's record must show no cap, gap or hours
// violation, no duplicate invitation, and every invitation it received must
// be in the ledger the scheduler rebuilds from.
func TestDaemonsKeepThePromises(t *testing.T) {
	if testing.Short() {
		t.Skip("the end-to-end run takes about two minutes")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "outreach")
	build := exec.Command("go", "build", "-o", bin, "../cmd/outreach")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("building the binary: %v", err)
	}
	rs := redistest.Start(t, redistest.WithAOF())

	// Working hours: a two-minute window opening now (UTC), so that the
	// day's quota of 12 is spread over it and the cap is reached in the run.
	now := time.Now().UTC()
	open := now.Truncate(time.Minute)
	closeAt := open.Add(150 * time.Second).Truncate(time.Minute)
	if closeAt.Day() != open.Day() {
		closeAt = time.Date(open.Year(), open.Month(), open.Day(), 23, 59, 0, 0, time.UTC)
	}
	end := "24:00"
	if closeAt.Day() == open.Day() && !(closeAt.Hour() == 0 && closeAt.Minute() == 0) {
		end = closeAt.Format("15:04")
	}
	hours := open.Format("15:04") + "-" + end

	sandboxPort, s1Port, s2Port := freePort(t), freePort(t), freePort(t)
	m1, m2, mw := freePort(t), freePort(t), freePort(t) // metrics of scheduler1, scheduler2, worker2
	var people strings.Builder
	people.WriteString("profile_url,first_name\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&people, "https://example.com/in/person-%d,P%d\n", i, i)
	}
	files := map[string]string{
		"a.csv": people.String(),
		"b.csv": strings.Join(strings.Split(people.String(), "\n")[:101], "\n") + "\n", // shares 100 people with a.csv
		"config.yaml": fmt.Sprintf(`
redis:
  addr: %s
platform:
  driver: webhook
  webhook:
    url: http://127.0.0.1:%d
    secret_env: OUTREACH_WEBHOOK_SECRET
  sandbox:
    accept_rate: 0.5
    delay_scale: 0.0005 # a day of answers in 43 s: answers flow during the run
defaults:
  min_gap: 2s
  jitter: 0.5
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "%s"
  timezone: UTC
accounts:
  - {id: alice, tier: premium, limits: {weekly: 12, daily: 12}}
  - {id: bob, tier: premium, limits: {weekly: 12, daily: 12}}
  - {id: carol, tier: free, limits: {weekly: 12, daily: 12}}
campaigns: [a.yaml, b.yaml]
`, rs.Addr(), sandboxPort, hours),
		"a.yaml": "name: a\naccounts: [alice, bob, carol]\nprospects: {csv: a.csv}\nsteps:\n  - connect:\n      note:\n        variants:\n          - name: hi\n            text: \"Hi {{.first_name}}!\"\n        fallback: [blank]\n",
		"b.yaml": "name: b\naccounts: [bob, carol]\nprospects: {csv: b.csv}\nsteps:\n  - connect: {}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := filepath.Join(dir, "config.yaml")

	sb := start(t, bin, dir, "sandbox", "--config", cfgPath, "sandbox",
		"--listen", fmt.Sprintf("127.0.0.1:%d", sandboxPort), "--events-url", fmt.Sprintf("http://127.0.0.1:%d/v1/events", s1Port))
	waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/v1/invitations", sandboxPort))
	s1 := start(t, bin, dir, "scheduler1", "--config", cfgPath, "scheduler", "-v", "--listen", fmt.Sprintf("127.0.0.1:%d", s1Port),
		"--metrics-listen", fmt.Sprintf("127.0.0.1:%d", m1))
	s2 := start(t, bin, dir, "scheduler2", "--config", cfgPath, "scheduler", "-v", "--listen", fmt.Sprintf("127.0.0.1:%d", s2Port),
		"--metrics-listen", fmt.Sprintf("127.0.0.1:%d", m2))
	var workers []*proc
	for i := 1; i <= 4; i++ {
		metricsAddr := "off"
		if i == 2 {
			metricsAddr = fmt.Sprintf("127.0.0.1:%d", mw)
		}
		workers = append(workers, start(t, bin, dir, fmt.Sprintf("worker%d", i), "--config", cfgPath, "worker", "-v", "--concurrency", "4",
			"--metrics-listen", metricsAddr))
	}

	time.Sleep(35 * time.Second)
	workers[0].kill() // SIGKILL, mid-run
	t.Log("worker1 killed")
	time.Sleep(25 * time.Second)
	rs.Restart(t) // with AOF: nothing acknowledged is lost
	t.Log("redis restarted")
	time.Sleep(80 * time.Second)

	// The durable statistics survived the kill and the Redis restart: every
	// daemon exports the same gauges, and they agree with the ledger.
	var murls []string
	for _, port := range []int{m1, m2, mw} {
		murls = append(murls, fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	}
	checkMetrics(t, ledger.New(rs.Client(), ""), murls)

	for _, p := range append([]*proc{s1, s2}, workers[1:]...) {
		p.stop(t)
	}
	var inv server.Invitations
	getJSON(t, fmt.Sprintf("http://127.0.0.1:%d/v1/invitations", sandboxPort), &inv)
	var evs server.Events
	getJSON(t, fmt.Sprintf("http://127.0.0.1:%d/v1/events?since=0", sandboxPort), &evs)
	sb.stop(t)

	cfg, fs, err := config.Load(cfgPath)
	if err != nil || fs.HasErrors() {
		t.Fatal(err, fs.Strings())
	}
	var camps []*campaigns.Campaign
	for _, f := range []string{"a.yaml", "b.yaml"} {
		c, fs, err := campaigns.Load(filepath.Join(dir, f), cfg)
		if err != nil || fs.HasErrors() {
			t.Fatal(err, fs.Strings())
		}
		camps = append(camps, c)
	}
	var events []wire.Event
	for _, e := range evs.Events {
		ev, err := e.Event()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	invited := map[string]string{} // person -> account
	for _, e := range inv.Requests {
		if e.Op == "invite" && e.Refused == "" && !e.Repeat {
			invited[e.Person] = e.Account
		}
	}
	t.Logf("%d requests, %d invitations, %d answers, %d refusals", len(inv.Requests), len(invited), len(events), len(inv.Violations))
	if len(invited) < 15 {
		t.Fatalf("only %d invitations went out: the run exercised too little (see the logs in %s)", len(invited), dir)
	}
	for _, v := range sim.CheckInvariants(cfg, camps, inv.Requests, events) {
		t.Errorf("%s", v)
	}

	// Every invitation the platform received is in the ledger, and a
	// scheduler rebuilding from it sees that prospect as invited.
	rdb := rs.Client()
	led := ledger.New(rdb, "")
	eng, err := scheduler.New(scheduler.Options{Config: cfg, Campaigns: camps, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	inLedger := map[string]bool{}
	last := "0"
	for {
		es, err := led.Read(context.Background(), last, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			last = e.ID
			switch {
			case e.Event != nil:
				eng.Observe(*e.Event)
			case e.Task != nil:
				if e.Task.Kind == wire.KindInvite && e.Outcome.Kind == wire.Delivered {
					inLedger[e.Task.Person] = true
				}
				if err := eng.Replay(*e.Task, *e.Outcome); err != nil {
					t.Errorf("replaying %s: %v", e.Task.Key, err)
				}
			}
		}
	}
	for person, acct := range invited {
		if !inLedger[person] {
			t.Errorf("%s invited %s on the platform, but the ledger has no record of it", acct, person)
		}
	}
	if t.Failed() {
		for _, n := range []string{"scheduler1", "scheduler2", "worker1", "worker2", "sandbox"} {
			b, _ := os.ReadFile(filepath.Join(dir, n+".log"))
			t.Logf("--- %s log (tail)\n%s", n, tail(string(b), 2000))
		}
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
