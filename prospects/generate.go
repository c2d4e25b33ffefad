package prospects

import (
	"encoding/csv"
	"io"
	"strconv"
)

// GenerateCSV writes a synthetic prospect CSV of rows data rows, for
// benchmarks and demos: columns profile_url, first_name, last_name, company,
// title, event; about 100 bytes a row; every profile_url distinct (the row
// number is part of it); some companies quoted because they hold a comma.
// The output depends only on rows.
func GenerateCSV(w io.Writer, rows int) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"profile_url", "first_name", "last_name", "company", "title", "event"}); err != nil {
		return err
	}
	rec := make([]string, 6)
	var url []byte
	x := uint64(0x9e3779b97f4a7c15) // splitmix64 state: deterministic
	for i := range rows {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31

		first := genFirst[z%uint64(len(genFirst))]
		last := genLast[z>>8%uint64(len(genLast))]
		url = append(url[:0], "https://www.linkedin.com/in/"...)
		url = appendSlug(url, first)
		url = append(url, '-')
		url = appendSlug(url, last)
		url = append(url, '-')
		url = strconv.AppendUint(url, uint64(i+1), 36)
		rec[0] = string(url)
		rec[1] = first
		rec[2] = last
		rec[3] = genCompany[z>>16%uint64(len(genCompany))]
		rec[4] = genTitle[z>>24%uint64(len(genTitle))]
		rec[5] = genEvent[z>>32%uint64(len(genEvent))]
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// appendSlug appends name in lower case (the names are ASCII letters).
func appendSlug(b []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

var (
	genFirst = []string{"Jane", "John", "Maria", "Wei", "Aisha", "Lukas", "Sofia", "Mateo",
		"Priya", "Oliver", "Chloe", "Kenji", "Fatima", "Noah", "Elena", "Samuel"}
	genLast = []string{"Doe", "Smith", "Garcia", "Chen", "Khan", "Muller", "Rossi", "Silva",
		"Patel", "Brown", "Martin", "Tanaka", "Haddad", "Wilson", "Novak", "Okafor"}
	genCompany = []string{"Acme, Inc.", "Globex", "Initech", "Umbrella Payments", "Stark Capital",
		"Wayne Fintech", "Hooli", "Vandelay Industries, LLC"}
	genTitle = []string{"Chief Financial Officer", "VP Finance", "Head of Treasury", "Controller",
		"Finance Director", "CFO"}
	genEvent = []string{"Money20/20 Europe", "Fintech Week London", "Sibos", "Web Summit",
		"SaaStr Annual", "the CFO Leadership Summit"}
)
