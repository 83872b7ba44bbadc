package app

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"roost/store"
)

// Reports (Mastodon's POST /api/v1/reports): on a server of one, the owner is its only moderator,
// so a report is worth something only when it is forwarded to the reported account's server, as
// a Flag activity (what Mastodon sends: the account and the reported posts as its object, the
// comment as its content). A report not forwarded is answered and kept nowhere.

// Report categories, as Mastodon names them.
var reportCategories = []string{"spam", "legal", "violation", "other"}

// MaxReportComment is the longest comment a report may carry (Mastodon's limit).
const MaxReportComment = 1000

// ReportInput is the owner's report of an account and, optionally, some of its posts.
type ReportInput struct {
	AccountID int64
	PostIDs   []int64
	Comment   string
	Category  string // spam, legal, violation or other ("other" if empty)
	Forward   bool   // send it to the account's server
}

// Report is a report as made.
type Report struct {
	ID        int64
	Account   *store.Account
	PostIDs   []int64
	Comment   string
	Category  string
	Forwarded bool
	CreatedAt time.Time
}

// ReportAccount reports an account, forwarding a Flag to its server when in.Forward asks. The
// posts must be the account's.
func (s *App) ReportAccount(ctx context.Context, in ReportInput) (*Report, error) {
	a, err := s.st.AccountByID(ctx, in.AccountID)
	if err != nil {
		return nil, err
	}
	if a.ID == s.Owner.Account.ID {
		return nil, invalid("You cannot report yourself")
	}
	if in.Category == "" {
		in.Category = "other"
	}
	if !slices.Contains(reportCategories, in.Category) {
		return nil, invalid("Category is not included in the list")
	}
	if utf8.RuneCountInString(in.Comment) > MaxReportComment {
		return nil, invalid("Comment is too long (maximum is %d characters)", MaxReportComment)
	}
	objects := []string{a.IRI}
	if len(in.PostIDs) > 0 {
		posts, err := s.st.PostsByID(ctx, in.PostIDs)
		if err != nil {
			return nil, err
		}
		for _, id := range in.PostIDs {
			p, ok := posts[id]
			if !ok || p.AccountID != a.ID {
				return nil, fmt.Errorf("report post %d: %w", id, store.ErrNotFound)
			}
			objects = append(objects, p.IRI)
		}
	}
	r := &Report{Account: a, PostIDs: in.PostIDs, Comment: in.Comment, Category: in.Category,
		Forwarded: in.Forward, CreatedAt: s.st.Now()}
	if !in.Forward {
		r.ID = s.st.NewID()
		return r, nil
	}
	out, err := s.outgoing("Flag", a.IRI, []string{a.IRI}, nil, false, []string{cmp.Or(a.SharedInbox, a.Inbox)})
	if err != nil {
		return nil, err
	}
	// The object is the account and the posts, an array wrap does not make; the comment is the
	// content.
	var doc map[string]any
	if err := json.Unmarshal(out.Body, &doc); err != nil {
		return nil, err
	}
	doc["object"], doc["content"] = objects, in.Comment
	if out.Body, err = json.Marshal(doc); err != nil {
		return nil, err
	}
	if err := s.st.Enqueue(ctx, out); err != nil {
		return nil, fmt.Errorf("queue the report to %s: %w", a.IRI, err)
	}
	s.Deliver.Wake()
	r.ID = out.ID
	return r, nil
}
