package sqlite

import (
	"strings"
	"time"
)

// Scanner is what *sql.Row and *sql.Rows have in common: a row to scan.
type Scanner interface{ Scan(dest ...any) error }

// Time turns a column of Unix milliseconds into a UTC time; 0 is the zero time.
func Time(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// MS turns t into Unix milliseconds for a column; the zero time is 0.
func MS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// IsUnique reports whether err is a UNIQUE constraint's failure.
func IsUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// Truncate cuts s to at most n bytes, for the text columns whose length Roost bounds.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
