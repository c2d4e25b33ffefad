package diag

import "testing"

func TestFindingString(t *testing.T) {
	cases := []struct {
		f    Finding
		want string
	}{
		{Errorf("c.yaml", 3, "unknown key %q", "foo"), `c.yaml:3: unknown key "foo"`},
		{Finding{File: "p.yaml", Prospect: "u1", Message: "no note fits"}, "p.yaml: prospect u1: no note fits"},
		{Warnf("c.yaml", 0, "odd"), "c.yaml: warning: odd"},
	}
	for _, c := range cases {
		if got := c.f.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestListSortAndErrors(t *testing.T) {
	var l List
	l.Add(Warnf("b", 1, "w"))
	l.Errorf("a", 9, "late")
	l.Errorf("a", 2, "early")
	if !l.HasErrors() || l.Count(Warning) != 1 || l.Count(Error) != 2 {
		t.Fatalf("counts wrong: %v", l.Strings())
	}
	l.Sort()
	want := []string{"a:2: early", "a:9: late", "b:1: warning: w"}
	for i, s := range l.Strings() {
		if s != want[i] {
			t.Errorf("[%d] = %q, want %q", i, s, want[i])
		}
	}
	if (List{Warnf("x", 1, "w")}).Err() != nil {
		t.Error("warnings alone must not be an error")
	}
}
