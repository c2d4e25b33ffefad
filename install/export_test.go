package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var exportOpt = ExportOptions{
	Accounts:  map[string]bool{"alice": true, "bob": true},
	Campaigns: map[string]bool{"spring": true},
	Now:       time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
}

func TestReadExportGood(t *testing.T) {
	csv := "\xef\xbb\xbfAccount,Person,Campaign,At,Note,Answer,Answered\r\n" +
		"alice,HTTPS://www.Example.com/in/Ann/,spring,2026-11-20T09:00:00Z,true,accepted,2026-11-21T10:00:00Z\r\n" +
		"bob,https://example.com/in/bo,spring,2026-11-20T09:05:00+01:00,,,\r\n"
	jsonl := `{"account":"alice","person":"https://example.com/in/ann","campaign":"spring","at":"2026-11-20T09:00:00Z","note":true,"answer":"accepted","answered":"2026-11-21T10:00:00Z"}

{"account":"bob","person":"https://example.com/in/bo","campaign":"spring","at":"2026-11-20T08:05:00Z","key":"spring/x/invite"}
`
	for name, body := range map[string]string{"sent.csv": csv, "sent.jsonl": jsonl, "export.txt": jsonl} {
		t.Run(name, func(t *testing.T) {
			sent, fs, err := ReadExport(writeFile(t, name, body), exportOpt)
			if err != nil || len(fs) > 0 {
				t.Fatalf("%v %v", err, fs.Strings())
			}
			if len(sent) != 2 {
				t.Fatalf("%d invitations, want 2", len(sent))
			}
			a, b := sent[0], sent[1]
			if a.Person != "https://example.com/in/ann" || !a.Note || a.Answer != platform.AnswerAccepted ||
				!a.AnsweredAt.Equal(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)) || !strings.HasPrefix(a.Key, "import/spring/") {
				t.Errorf("first row: %+v", a)
			}
			if b.Account != "bob" || b.Answer != "" || !b.At.Equal(time.Date(2026, 11, 20, 8, 5, 0, 0, time.UTC)) || b.Note {
				t.Errorf("second row: %+v", b)
			}
		})
	}
}

func TestReadExportBad(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       []string
	}{
		{"rows.csv", "account,person,campaign,at,answer,answered,note\n" +
			"carol,p1,spring,2026-11-20T09:00:00Z,,,\n" + // 2
			"alice,,spring,2026-11-20T09:00:00Z,,,\n" + // 3
			"alice,p3,autumn,2026-11-20T09:00:00Z,,,\n" + // 4
			"alice,p4,spring,yesterday,,,\n" + // 5
			"alice,p5,spring,2026-12-20T09:00:00Z,,,\n" + // 6
			"alice,p6,spring,2026-11-20T09:00:00Z,maybe,,\n" + // 7
			"alice,p7,spring,2026-11-20T09:00:00Z,accepted,,\n" + // 8
			"alice,p8,spring,2026-11-20T09:00:00Z,declined,2026-11-19T09:00:00Z,\n" + // 9
			"alice,p9,spring,2026-11-20T09:00:00Z,,,perhaps\n" + // 10
			"alice,p10,spring,2026-11-20T09:00:00Z,,\n" + // 11
			"bob,p11,spring,2026-11-20T09:00:00Z,,,\n" + // 12
			"bob,P11,spring,2026-11-20T09:00:00Z,,,\n", // 13
			[]string{
				`rows.csv:2: account: "carol" is not an account of the config`,
				`rows.csv:3: person: missing`,
				`rows.csv:4: campaign: "autumn" is not a campaign of the config`,
				`rows.csv:5: at: "yesterday" is not an RFC 3339 time`,
				`rows.csv:6: at: 2026-12-20T09:00:00Z is in the future`,
				`rows.csv:7: answer: "maybe"`,
				`rows.csv:8: answered: missing`,
				`rows.csv:9: answered: 2026-11-19T09:00:00Z is before the invitation`,
				`rows.csv:10: note: "perhaps"`,
				`rows.csv:11: 6 fields, the header has 7`,
				`rows.csv:13: the same invitation (account, person, at) is also on line 12`,
			}},
		{"header.csv", "account,who,campaign\nalice,p,spring\n", []string{
			`header.csv:1: unknown column "who"`, `header.csv:1: missing column "person"`, `header.csv:1: missing column "at"`}},
		{"empty.csv", "", []string{`empty.csv:1: empty file`}},
		{"quote.csv", "account,person,campaign,at\n\"alice,p,spring,2026-11-20T09:00:00Z\n", []string{`quote.csv:2: `}},
		{"nothing.csv", "account,person,campaign,at\n", []string{`nothing.csv: no invitations in the file`}},
		{"bad.jsonl", `{"account":"alice","person":"p","campaign":"spring","at":"2026-11-20T09:00:00Z","colour":"red"}` + "\n" +
			"not json\n" +
			`{"account":"alice","person":"p","campaign":"spring","at":"2026-11-20T09:00:00Z","key":"k"}` + "\n" +
			`{"account":"bob","person":"q","campaign":"spring","at":"2026-11-20T10:00:00Z","key":"k"}` + "\n" +
			`{"account":"bob","person":"q","campaign":"spring","at":7}` + "\n",
			[]string{
				`bad.jsonl:1: unknown field "colour"`,
				`bad.jsonl:2: not a JSON object`,
				`bad.jsonl:4: key: "k" is also on line 3`,
				`bad.jsonl:5: at: want a string`,
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sent, fs, err := ReadExport(writeFile(t, c.name, c.body), exportOpt)
			if err != nil {
				t.Fatal(err)
			}
			if sent != nil {
				t.Errorf("invitations returned with errors: %v", sent)
			}
			got := fs.Strings()
			for _, w := range c.want {
				found := false
				for _, g := range got {
					if strings.HasPrefix(strings.TrimPrefix(g, filepath.Dir(g)+string(filepath.Separator)), w) ||
						strings.Contains(g, string(filepath.Separator)+w) {
						found = true
					}
				}
				if !found {
					t.Errorf("no finding %q in:\n%s", w, strings.Join(got, "\n"))
				}
			}
			if len(got) != len(c.want) {
				t.Errorf("%d findings, want %d:\n%s", len(got), len(c.want), strings.Join(got, "\n"))
			}
		})
	}
	if _, _, err := ReadExport(filepath.Join(t.TempDir(), "missing.csv"), exportOpt); err == nil {
		t.Error("a missing file is not an error")
	}
}
