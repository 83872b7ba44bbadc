// Package archive reads and writes an account's data in Mastodon's export formats: the archive
// zip ("Request your archive": actor.json, outbox.json, likes.json, bookmarks.json and
// media_attachments/) and the CSV lists of Settings › Import and export.
package archive

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Kind is one of Mastodon's CSV lists.
type Kind string

// The CSV lists, named as Mastodon's import form names them.
const (
	Following    Kind = "following"
	Blocks       Kind = "blocks"
	Mutes        Kind = "mutes"
	DomainBlocks Kind = "domain_blocks"
	Bookmarks    Kind = "bookmarks"
	Lists        Kind = "lists"
)

// Kinds lists every CSV kind, in the order an export writes them.
var Kinds = []Kind{Following, Blocks, Mutes, DomainBlocks, Bookmarks, Lists}

// FileName is the name Mastodon's export gives the CSV of kind k.
func (k Kind) FileName() string {
	switch k {
	case Following:
		return "following_accounts.csv"
	case Blocks:
		return "blocked_accounts.csv"
	case Mutes:
		return "muted_accounts.csv"
	case DomainBlocks:
		return "blocked_domains.csv"
	case Bookmarks:
		return "bookmarks.csv"
	case Lists:
		return "lists.csv"
	}
	return string(k) + ".csv"
}

// ParseKind reads a kind's name ("following", "blocks", ...); ok is false for an unknown one.
func ParseKind(s string) (Kind, bool) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// Entry is one row of a CSV list. Target is an account address (user@host) for Following,
// Blocks, Mutes and Lists, a domain for DomainBlocks and a post's URL for Bookmarks.
type Entry struct {
	Target string
	List   string // Lists: the list's title
	// Following's columns.
	ShowBoosts bool
	Notify     bool
	Languages  []string
	// Mutes' column.
	HideNotifications bool
}

// ErrUnknownKind is returned by ReadCSV when neither the file's name nor its header nor its
// rows tell which list it is.
var ErrUnknownKind = errors.New("cannot tell which list this CSV is: name the kind")

// MaxRows bounds the rows of one CSV, as Mastodon bounds an import's.
const MaxRows = 100_000

// ReadCSV reads a CSV list. kind may be empty: it is then told from the file's name (as
// Mastodon's export names them), else from its header (following and mutes have one), else from
// its rows (a URL is a bookmark, a bare domain a domain block, two columns a list, an address a
// block).
func ReadCSV(r io.Reader, name string, kind Kind) (Kind, []Entry, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var rows [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", nil, fmt.Errorf("read CSV: %w", err)
		}
		if len(rows) > MaxRows {
			return "", nil, fmt.Errorf("more than %d rows", MaxRows)
		}
		if len(rec) == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			continue
		}
		rows = append(rows, rec)
	}
	header := len(rows) > 0 && strings.EqualFold(strings.TrimSpace(rows[0][0]), "Account address")
	if kind == "" {
		kind = kindOf(name, rows, header)
	}
	if kind == "" {
		return "", nil, ErrUnknownKind
	}
	if header {
		rows = rows[1:]
	}
	out := make([]Entry, 0, len(rows))
	for _, rec := range rows {
		col := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		e := Entry{Target: strings.TrimPrefix(col(0), "@")}
		switch kind {
		case Following:
			e.ShowBoosts = col(1) != "false"
			e.Notify = col(2) == "true"
			for _, l := range strings.Split(col(3), ",") {
				if l = strings.TrimSpace(l); l != "" {
					e.Languages = append(e.Languages, l)
				}
			}
		case Mutes:
			e.HideNotifications = col(1) != "false"
		case Lists:
			e.List, e.Target = col(0), strings.TrimPrefix(col(1), "@")
		}
		if e.Target == "" || (kind == Lists && e.List == "") {
			continue
		}
		out = append(out, e)
	}
	return kind, out, nil
}

// kindOf tells a CSV's kind from its file name, header or rows ("" when it cannot).
func kindOf(name string, rows [][]string, header bool) Kind {
	base := strings.ToLower(path.Base(strings.ReplaceAll(name, `\`, "/")))
	for _, k := range Kinds {
		if base == k.FileName() {
			return k
		}
	}
	for _, p := range []struct {
		word string
		kind Kind
	}{{"follow", Following}, {"domain", DomainBlocks}, {"block", Blocks}, {"mute", Mutes},
		{"bookmark", Bookmarks}, {"list", Lists}} {
		if strings.Contains(base, p.word) {
			return p.kind
		}
	}
	if header {
		if len(rows[0]) >= 2 && strings.EqualFold(strings.TrimSpace(rows[0][1]), "Hide notifications") {
			return Mutes
		}
		return Following
	}
	if len(rows) == 0 {
		return ""
	}
	first := rows[0]
	switch v := strings.TrimSpace(first[0]); {
	case len(first) >= 2 && strings.Contains(first[1], "@"):
		return Lists
	case strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://"):
		return Bookmarks
	case strings.Contains(v, "@"):
		return Blocks
	case strings.Contains(v, "."):
		return DomainBlocks
	}
	return ""
}

// WriteCSV writes entries as Mastodon's export writes the list of kind k: with the header of
// following and mutes, without one for the others.
func WriteCSV(w io.Writer, k Kind, entries []Entry) error {
	cw := csv.NewWriter(w)
	switch k {
	case Following:
		cw.Write([]string{"Account address", "Show boosts", "Notify on new posts", "Languages"})
	case Mutes:
		cw.Write([]string{"Account address", "Hide notifications"})
	}
	for _, e := range entries {
		var rec []string
		switch k {
		case Following:
			rec = []string{e.Target, fmt.Sprint(e.ShowBoosts), fmt.Sprint(e.Notify), strings.Join(e.Languages, ", ")}
		case Mutes:
			rec = []string{e.Target, fmt.Sprint(e.HideNotifications)}
		case Lists:
			rec = []string{e.List, e.Target}
		default:
			rec = []string{e.Target}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
